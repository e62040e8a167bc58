"""Booking a caller: the front desk picks a day, then one of its open times with the price it is at, and takes
the caller's name and mobile (an email if they have one). Payment is due at the visit.

A caller whose mobile already has a visit booked, or who would pay another price than the one shown (one
discount per patient), is booked only once the desk has seen that and confirmed.
"""

from dataclasses import replace
from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from booking.forms import PatientDetailsForm, PhoneNumberField
from booking.models import Booking, Slot
from booking.rules import Patient, quote_slot
from booking.selectors import SlotOption, availability_for_day, default_service
from booking.services import BookingError, booking_create
from clinic.admin_mixins import LanguageField

from .today import clinic_tz, parse_day


def time_label(option: SlotOption) -> str:
    who = f" · {option.slot.practitioner}" if option.slot.practitioner else ""
    offer = f" ({option.promotion.name})" if option.promotion else ""
    return f"{option.starts_at:%-I:%M %p}{who} · {option.price}{offer}"


class PhoneBookingForm(PatientDetailsForm):
    slot = forms.TypedChoiceField(
        label="Time",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a time.",
            "invalid_choice": "That time is no longer open: choose another.",
        },
    )
    # A caller's phone from anywhere: texts still go only where the clinic texts (the outbox keeps to that).
    phone = PhoneNumberField(label="Mobile phone", error_messages={"required": "Enter the caller’s mobile number."})
    language = LanguageField(
        initial=settings.LANGUAGE_CODE,
        error_messages={"required": "Choose the caller’s language.", "invalid_choice": "Choose English or Spanish."},
    )
    book_anyway = forms.BooleanField(label="Book anyway", required=False, widget=forms.HiddenInput)

    field_order = ["slot", "name", "phone", "email", "sms_consent", "language"]

    def __init__(self, *args, options: list[SlotOption], **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {option.slot.pk: option for option in options}
        self.fields["slot"].choices = [(pk, time_label(option)) for pk, option in self.options.items()]
        self.fields["email"].required = False
        self.fields["email"].label = "Email (if the caller has one)"
        self.fields["name"].error_messages["required"] = "Enter the caller’s full name."
        self.fields["sms_consent"].label = "The caller agrees to texts about this booking"

    def clean_name(self):
        try:
            return super().clean_name()
        except forms.ValidationError as exc:
            raise forms.ValidationError("Enter the caller’s full name.", code="required") from exc

    def patient(self) -> Patient:
        return replace(super().patient(), language=self.cleaned_data["language"])

    def option(self) -> SlotOption:
        return self.options[self.cleaned_data["slot"]]


def _day(request, tz) -> tuple[date, str]:
    """The day asked for (?day=, or the day of ?slot=), else today; and what to say if it was not a day."""
    today = timezone.localdate(timezone=tz)
    if slot_id := request.GET.get("slot", "").strip():
        slot = Slot.objects.filter(pk=int(slot_id)).first() if slot_id.isdigit() else None
        if slot:
            return timezone.localtime(slot.starts_at, tz).date(), ""
    raw = (request.POST.get("day") or request.GET.get("day") or "").strip()
    if not raw:
        return today, ""
    day = parse_day(raw)
    return (day, "") if day else (today, f"“{raw[:40]}” is not a day we can show (use YYYY-MM-DD). Showing today.")


def _warnings(form: PhoneBookingForm, now) -> list[str]:
    """What the desk confirms before booking: another visit on that mobile, or another price than shown."""
    said = []
    phone = form.cleaned_data["phone"]
    others = Booking.objects.active(now).filter(phone=phone, slot__starts_at__gte=now).select_related("slot__service")
    for other in others.order_by("slot__starts_at")[:3]:
        local = timezone.localtime(other.slot.starts_at, other.slot.service.clinic.tz)
        said.append(
            f"This mobile already has a visit booked: {other.patient_name}, {local:%a %b} {local.day}, "
            f"{local:%-I:%M %p} ({other.reference})."
        )
    option = form.option()
    quote = quote_slot(slot=option.slot, now=now, patient=form.patient())
    if quote.price_cents != option.price_cents:
        said.append(f"For this caller the time is at {quote.price}, not {option.price}. {quote.notice}".strip())
    return said


def phone_booking(model_admin, request):
    if not request.user.has_perm("booking.change_booking"):
        raise PermissionDenied
    service = default_service()
    tz = clinic_tz(service.clinic if service else None)
    day, problem = _day(request, tz)
    if problem:
        messages.error(request, problem)
    now = timezone.now()
    options = availability_for_day(service=service, day=day, now=now, online=False) if service else []
    initial = {"slot": request.GET.get("slot")}
    form = PhoneBookingForm(request.POST or None, options=options, initial=initial)
    warnings: list[str] = []
    if request.method == "POST" and form.is_valid():
        warnings = _warnings(form, now)
        if warnings and not form.cleaned_data["book_anyway"]:
            form.data = form.data.copy()
            form.data["book_anyway"] = "on"  # seen: the same form posted again books
        else:
            booking = _book(form, request, now)
            if booking:
                model_admin.message_user(
                    request, f"Booked {booking.patient_name} at {booking.price}, due at the visit.", messages.SUCCESS
                )
                return redirect(reverse(f"{model_admin.admin_site.name}:frontdesk_visit", args=[booking.pk]))
            warnings = []
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Book a caller",
        "form": form,
        "warnings": warnings,
        "day": day,
        "service": service,
        "clinic_tz": tz,
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/booking/phone_booking.html", context, status=400 if form.errors else 200)


def _book(form: PhoneBookingForm, request, now) -> Booking | None:
    option, patient = form.option(), form.patient()
    quote = quote_slot(slot=option.slot, now=now, patient=patient)
    try:
        return booking_create(
            slot_id=option.slot.pk,
            patient=patient,
            quoted_price_cents=quote.price_cents,
            user=request.user,
            online=False,
        )
    except BookingError as exc:
        form.add_error("slot", str(exc))
        return None
