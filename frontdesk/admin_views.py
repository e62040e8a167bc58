"""Two front-desk pages in the slot admin: open slots from opening hours, and the day's (or week's) agenda.

Both are plain functions taking the SlotAdmin and the request; SlotAdmin.get_urls() wraps them
in admin_site.admin_view (login, staff, CSRF), and each checks its own permission.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking, Payment, Service, Slot, active_q
from booking.services import SlotPlan, slots_generate, slots_plan
from clinic.models import EARLIEST_DAY, LATEST_DAY, Clinic, Practitioner

MAX_DAYS = 92  # about three months of opening hours at a time
DAY_FORMAT = "%Y-%m-%d"


def _clinic_tz(clinic: Clinic | None):
    return clinic.tz if clinic else timezone.get_default_timezone()


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
        today = timezone.localdate(timezone=_clinic_tz(Clinic.current()))
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


# The agenda -------------------------------------------------------------------------------------------

SPANS = {"day": 1, "week": 7}
BADGES = {  # status -> CSS modifier; the status is always written out too
    Booking.Status.HELD: "held",
    Booking.Status.CONFIRMED: "confirmed",
    Booking.Status.ATTENDED: "attended",
    Booking.Status.NO_SHOW: "no-show",
}


@dataclass
class AgendaBooking:
    booking: Booking
    url: str
    status: str
    badge: str
    held_until: datetime | None
    promo: bool
    paid: bool
    intake_done: bool
    review: bool


@dataclass
class AgendaSlot:
    slot: Slot
    bookings: list[AgendaBooking]


@dataclass
class AgendaDay:
    day: date
    slots: list[AgendaSlot] = field(default_factory=list)

    @property
    def booking_count(self) -> int:
        return sum(len(s.bookings) for s in self.slots)


def _parse_day(raw: str) -> date | None:
    try:
        day = datetime.strptime(raw, DAY_FORMAT).date()
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def _agenda_url(model_admin, day: date, span: str) -> str:
    url = reverse(f"{model_admin.admin_site.name}:booking_slot_agenda")
    return f"{url}?{urlencode({'day': day.isoformat(), 'span': span})}"


def agenda_slots(*, clinic: Clinic | None, start: date, days: int, now: datetime):
    """The slots from `start` for `days` clinic days, with their active bookings: two queries in all."""
    tz = _clinic_tz(clinic)
    first = datetime.combine(start, time.min, tzinfo=tz)
    after = datetime.combine(start + timedelta(days=days), time.min, tzinfo=tz)
    bookings = (
        Booking.objects.filter(active_q(now))
        .select_related("intake")
        .annotate(is_paid=Exists(Payment.objects.filter(booking=OuterRef("pk"), status=Payment.Status.PAID)))
        .order_by("created_at", "pk")
    )
    slots = (
        Slot.objects.filter(starts_at__gte=first, starts_at__lt=after)
        .select_related("service", "practitioner")
        .prefetch_related(Prefetch("bookings", queryset=bookings, to_attr="active_bookings"))
        .order_by("starts_at", "service__name", "practitioner__name", "pk")
    )
    if clinic:
        slots = slots.filter(service__clinic=clinic)
    return slots


def agenda(model_admin, request):
    """The slots of a day or a week in the clinic's time, each with its active bookings."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    user = request.user
    show_patients = user.has_perm("booking.view_booking") or user.has_perm("booking.change_booking")
    clinic = Clinic.current()
    tz = _clinic_tz(clinic)
    now = timezone.now()
    today = timezone.localdate(now, timezone=tz)

    raw_day = request.GET.get("day", "").strip()
    day = today
    if raw_day:
        day = _parse_day(raw_day)
        if day is None:
            messages.error(request, f"“{raw_day[:40]}” is not a day we can show (use YYYY-MM-DD). Showing today.")
            day = today
    span = request.GET.get("span", "day") or "day"
    if span not in SPANS:
        messages.error(request, f"“{span[:20]}” is not a view we know (day or week). Showing one day.")
        span = "day"

    start = day - timedelta(days=day.weekday()) if span == "week" else day
    days = SPANS[span]
    by_day = {start + timedelta(days=n): AgendaDay(start + timedelta(days=n)) for n in range(days)}
    admin_name = model_admin.admin_site.name
    for slot in agenda_slots(clinic=clinic, start=start, days=days, now=now):
        rows = []
        for booking in slot.active_bookings if show_patients else []:
            intake = getattr(booking, "intake", None)
            rows.append(
                AgendaBooking(
                    booking=booking,
                    url=reverse(f"{admin_name}:booking_booking_change", args=[booking.pk]),
                    status=booking.get_status_display(),
                    badge=BADGES.get(booking.status, "other"),
                    held_until=booking.hold_expires_at if booking.status == Booking.Status.HELD else None,
                    promo=booking.promotion_id is not None,
                    paid=booking.is_paid,
                    intake_done=bool(intake and intake.completed_at),
                    review=booking.review_before_visit,
                )
            )
        slot.booked = len(slot.active_bookings)
        by_day[timezone.localtime(slot.starts_at, tz).date()].slots.append(AgendaSlot(slot, rows))

    step = timedelta(days=days)
    if span == "week":
        heading = f"Agenda: week of {start:%A, %B} {start.day}, {start.year}"
    else:
        heading = f"Agenda: {day:%A, %B} {day.day}, {day.year}"
    context = _context(
        model_admin,
        request,
        title=heading,
        clinic_tz=tz,
        day=day,
        span=span,
        today=today,
        days=list(by_day.values()),
        show_patients=show_patients,
        previous_url=_agenda_url(model_admin, max(start - step, EARLIEST_DAY), span),
        next_url=_agenda_url(model_admin, min(start + step, LATEST_DAY), span),
        today_url=_agenda_url(model_admin, today, span),
        other_span_url=_agenda_url(model_admin, day, "day" if span == "week" else "week"),
        other_span="day" if span == "week" else "week",
        spans=list(SPANS),
        earliest=EARLIEST_DAY,
        latest=LATEST_DAY,
    )
    return TemplateResponse(request, "admin/booking/agenda.html", context)
