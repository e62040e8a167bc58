"""The intake questionnaire's writes and its private link. No answer ever leaves in a message or a log line."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from booking.links import admin_link
from booking.models import Booking
from notifications.models import Message
from notifications.services import booking_context, message_queue

from .forms import STEPS, StepForm
from .links import intake_key_for_token
from .models import Intake, IntakeAccess

OPEN_STATUSES = [Booking.Status.HELD, Booking.Status.CONFIRMED, Booking.Status.ATTENDED]


def booking_for_token(token: str) -> Booking | None:
    """The booking a private link belongs to, while it works: until INTAKE_LINK_DAYS after the visit."""
    intake_key = intake_key_for_token(token)
    if not isinstance(intake_key, str):
        return None
    booking = (
        Booking.objects.select_related("slot__service__clinic")
        .filter(intake_key=intake_key, status__in=OPEN_STATUSES)
        .first()
    )
    if booking is None or timezone.now() > booking.slot.ends_at + timedelta(days=settings.INTAKE_LINK_DAYS):
        return None
    return booking


def intake_is_open(booking: Booking) -> bool:
    """Patients may change their answers until the visit starts."""
    return timezone.now() < booking.slot.starts_at and booking.status in (Booking.Status.HELD, Booking.Status.CONFIRMED)


def next_step(intake: Intake | None) -> str | None:
    done = intake.steps_done if intake else []
    return next((step for step in STEPS if step not in done), None)


@transaction.atomic
def intake_save_step(*, booking: Booking, step: str, form: StepForm, ip_address: str | None) -> Intake:
    """Save one valid step as a draft; a "yes" on the safety screen flags the booking and alerts the clinic once."""
    Intake.objects.get_or_create(booking=booking)
    intake = Intake.objects.select_for_update().get(booking=booking)
    for name, value in form.cleaned_data.items():
        setattr(intake, name, value)
    if step not in intake.steps_done:
        intake.steps_done = [name for name in STEPS if name in {*intake.steps_done, step}]
    now = timezone.now()
    if step == "consent":
        intake.signed_at, intake.signed_ip = now, ip_address
    if next_step(intake) is None and intake.completed_at is None:
        intake.completed_at = now
    intake.save()
    intake_access_log(
        booking=booking, user=None, action=IntakeAccess.Action.PATIENT_SAVE, ip_address=ip_address, detail=step
    )
    if step == "screen" and intake.has_red_flag:
        _flag_for_review(booking)
    return intake


def _flag_for_review(booking: Booking) -> None:
    Booking.objects.filter(pk=booking.pk).update(review_before_visit=True)
    context = booking_context(booking)
    context["admin_link"] = admin_link(booking)
    # The alert names the booking and links to it; the answers stay behind the clinicians' login.
    message_queue(
        kind=Message.Kind.CLINIC_INTAKE_REVIEW,
        channel=Message.Channel.EMAIL,
        recipient=context["clinic"].email,
        dedupe_key=f"booking:{booking.pk}:intake_review:email",
        context=context,
        booking=booking,
    )


def intake_access_log(*, booking: Booking, user, action: str, ip_address: str | None = None, detail: str = "") -> None:
    IntakeAccess.objects.create(booking=booking, user=user, action=action, ip_address=ip_address, detail=detail)
