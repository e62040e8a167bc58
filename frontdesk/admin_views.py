"""A front-desk page in the slot admin: open slots from opening hours.

A plain function taking the SlotAdmin and the request; SlotAdmin.get_urls() wraps it in
admin_site.admin_view (login, staff, CSRF), and it checks its own permission.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone

from booking.models import Service
from booking.services import SlotPlan, slots_generate, slots_plan
from clinic.models import EARLIEST_DAY, LATEST_DAY, Clinic, Practitioner

from .today import clinic_tz

MAX_DAYS = 92  # about three months of opening hours at a time
DAY_FORMAT = "%Y-%m-%d"


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _context(model_admin, request, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "has_view_permission": model_admin.has_view_permission(request),
        **extra,
    }


# Opening slots ---------------------------------------------------------------------------------------


class DayInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DAY_FORMAT)


class GenerateSlotsForm(forms.Form):
    service = forms.ModelChoiceField(
        queryset=Service.objects.filter(is_active=True).select_related("clinic"),
        empty_label="Choose a service",
        error_messages={"required": "Choose the service to open slots for."},
    )
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.all(),
        required=False,
        empty_label="No one in particular",
        help_text="Leave empty for slots that do not name a practitioner.",
    )
    first_day = forms.DateField(
        widget=DayInput(),
        input_formats=[DAY_FORMAT],
        error_messages={"required": "Enter the first day.", "invalid": "Enter the first day as a date."},
    )
    last_day = forms.DateField(
        widget=DayInput(),
        input_formats=[DAY_FORMAT],
        help_text=f"Included. At most {MAX_DAYS} days from the first day.",
        error_messages={"required": "Enter the last day.", "invalid": "Enter the last day as a date."},
    )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        for name, day in (("first_day", first), ("last_day", last)):
            if day and not EARLIEST_DAY <= day <= LATEST_DAY:
                self.add_error(name, f"Choose a day between {EARLIEST_DAY.year} and {LATEST_DAY.year}.")
                first = last = None
        if first and last:
            days = (last - first).days + 1
            if last < first:
                self.add_error("last_day", "The last day must be on or after the first day.")
            elif days > MAX_DAYS:
                self.add_error("last_day", f"Open at most {MAX_DAYS} days at a time; this range has {days} days.")
        service, practitioner = cleaned.get("service"), cleaned.get("practitioner")
        if service and practitioner and practitioner.clinic_id != service.clinic_id:
            self.add_error("practitioner", f"{practitioner} does not work at {service.clinic}.")
        return cleaned

    def plan_args(self) -> dict:
        data = self.cleaned_data
        return {
            "service": data["service"],
            "practitioner": data["practitioner"],
            "start": data["first_day"],
            "end": data["last_day"],
        }


def plan_summary(plan: SlotPlan) -> str:
    """What a plan does, in a line: "Creates 52 slots, skips 3 that exist, 1 closed day"."""
    creates = _plural(len(plan.new), "slot", "slots")
    skips = f"{plan.existing} that {'exists' if plan.existing == 1 else 'exist'}"
    closed = _plural(len(plan.closed_days), "closed day", "closed days")
    return f"Creates {creates}, skips {skips}, {closed}"


def generate_slots(model_admin, request):
    """A form with "Preview" (shows what would be made) and, after a preview, "Generate"."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    plan = None
    if request.method == "POST":
        form = GenerateSlotsForm(request.POST)
        if form.is_valid():
            if "generate" in request.POST:
                plan = slots_generate(**form.plan_args())
                created = _plural(len(plan.new), "slot", "slots")
                model_admin.message_user(request, f"Created {created}.", messages.SUCCESS)
                return redirect(f"{model_admin.admin_site.name}:booking_slot_changelist")
            plan = slots_plan(**form.plan_args())
    else:
        today = timezone.localdate(timezone=clinic_tz(Clinic.current()))
        active = list(GenerateSlotsForm.base_fields["service"].queryset[:2])
        form = GenerateSlotsForm(
            initial={
                "service": active[0] if len(active) == 1 else None,
                "first_day": today,
                "last_day": today + timedelta(weeks=4, days=-1),
            }
        )
    context = _context(
        model_admin,
        request,
        title="Open slots from opening hours",
        form=form,
        plan=plan,
    )
    if plan is not None:
        starts = sorted(slot.starts_at for slot in plan.new)
        context |= {
            "summary": plan_summary(plan),
            "first_new": starts[0] if starts else None,
            "last_new": starts[-1] if starts else None,
            "clinic_tz": form.cleaned_data["service"].clinic.tz,
        }
    return TemplateResponse(request, "admin/booking/generate_slots.html", context)
