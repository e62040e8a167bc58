"""Booking a caller: the front desk picks a time and takes the caller's details; payment is due at the visit."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from booking.forms import PatientDetailsForm, PhoneNumberField
from booking.models import Slot, bookings_taken
from booking.rules import quote_slot
from booking.services import BookingError, booking_create


class SlotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, slot):
        local = timezone.localtime(slot.starts_at, slot.service.clinic.tz)
        who = f" · {slot.practitioner}" if slot.practitioner else ""
        return f"{local:%a %b} {local.day}, {local:%-I:%M %p}{who}"


class PhoneBookingForm(PatientDetailsForm):
    slot = SlotChoiceField(label="Time", queryset=Slot.objects.none())
    # A caller's phone from anywhere: texts still go only where the clinic texts (the outbox keeps to that).
    phone = PhoneNumberField(label="Mobile phone", error_messages={"required": "Enter the caller’s mobile number."})

    field_order = ["slot", "name", "email", "phone", "sms_consent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.now()
        self.fields["slot"].queryset = (
            Slot.objects.filter(
                is_blocked=False, service__is_active=True, starts_at__gt=now, starts_at__lt=now + timedelta(weeks=8)
            )
            .annotate(taken=bookings_taken(now))
            .filter(taken__lt=F("capacity"))
            .select_related("service__clinic", "practitioner")
            .order_by("starts_at")
        )
        self.fields["sms_consent"].label = "The caller agrees to texts about this booking"


def phone_booking(model_admin, request):
    if not request.user.has_perm("booking.change_booking"):
        raise PermissionDenied
    form = PhoneBookingForm(request.POST or None, initial={"slot": request.GET.get("slot")})
    if request.method == "POST" and form.is_valid():
        slot, patient = form.cleaned_data["slot"], form.patient()
        quote = quote_slot(slot=slot, now=timezone.now(), patient=patient)
        try:
            booking = booking_create(
                slot_id=slot.pk, patient=patient, quoted_price_cents=quote.price_cents, user=request.user, online=False
            )
        except BookingError as exc:
            form.add_error("slot", str(exc))
        else:
            model_admin.message_user(
                request, f"Booked {booking.patient_name} at {booking.price}, due at the visit.", messages.SUCCESS
            )
            return redirect(reverse("admin:booking_booking_change", args=[booking.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Book a caller",
        "form": form,
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/booking/phone_booking.html", context)
