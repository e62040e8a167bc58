"""Texts to the clinic's number: opt-outs, help, "YES" to a reminder, and anything else."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from booking.links import Purpose, private_link
from booking.models import Booking
from booking.selectors import featured_offer
from clinic.models import Clinic

from .models import InboundText, Message
from .outbox import message_queue, sms_opt_in, sms_opt_out

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO"}
YES_WORDS = {"Y", "YES"}


def _next_visit(phone: str) -> Booking | None:
    return (
        Booking.objects.filter(phone=phone, status=Booking.Status.CONFIRMED, slot__starts_at__gt=timezone.now())
        .select_related("slot__service__clinic")
        .order_by("slot__starts_at")
        .first()
    )


def _hours(clinic: Clinic) -> str:
    return "; ".join(
        f"{period.get_weekday_display()[:3]} {period.opens_at:%-I%p}-{period.closes_at:%-I%p}"
        for period in clinic.opening_hours.all()
    )


@transaction.atomic
def inbound_text_handle(*, sender: str, body: str, message_sid: str, opt_out_type: str = "") -> str | None:
    """Act on a text and return the reply, or None when nothing should be answered."""
    inbound, created = InboundText.objects.get_or_create(
        provider_id=message_sid, defaults={"sender": sender, "body": body}
    )
    if not created:
        return None  # Twilio retried a text we already answered
    keyword = body.strip().upper().rstrip(".!")
    twilio_answered = bool(opt_out_type)  # Twilio's own opt-out handling has replied already
    clinic = Clinic.current()

    if opt_out_type.upper() == "STOP" or keyword in STOP_WORDS:
        sms_opt_out(phone=sender, keyword=keyword[:20])
        return None  # Twilio confirms the opt-out itself; nothing more may be sent to this number
    if opt_out_type.upper() == "START" or keyword in START_WORDS:
        sms_opt_in(phone=sender)
        return (
            None
            if twilio_answered
            else f"{clinic.name}: you will get texts about your bookings again. Reply STOP to opt out."
        )
    if opt_out_type.upper() == "HELP" or keyword in HELP_WORDS:
        if twilio_answered:
            return None
        return (
            f"{clinic.name}, {clinic.street}, {clinic.city}. Call {clinic.phone_display}. "
            f"Hours by appointment: {_hours(clinic)}. Reply STOP to opt out."
        )

    visit = _next_visit(sender)
    if keyword in YES_WORDS and visit:
        Booking.objects.filter(pk=visit.pk, patient_confirmed_at__isnull=True).update(
            patient_confirmed_at=timezone.now()
        )
        starts_at = timezone.localtime(visit.slot.starts_at, clinic.tz)
        when = f"{starts_at:%a %b} {starts_at.day} at {starts_at:%-I:%M %p}"
        return f"Thanks {visit.first_name}, see you {when}. {clinic.name}"

    inbound.booking = visit
    inbound.save(update_fields=["booking"])
    _alert_clinic(inbound, clinic)
    return _answer(visit, clinic)


def _alert_clinic(inbound: InboundText, clinic: Clinic) -> None:
    """Tell the front desk a text came in. The words stay in the admin: they may be about someone's health."""
    admin_link = settings.PUBLIC_BASE_URL + reverse("admin:notifications_inboundtext_change", args=[inbound.pk])
    message_queue(
        kind=Message.Kind.CLINIC_INBOUND_TEXT,
        channel=Message.Channel.EMAIL,
        recipient=clinic.email,
        dedupe_key=f"inbound:{inbound.pk}:clinic_alert:email",
        context={"clinic": clinic, "inbound": inbound, "admin_link": admin_link},
        booking=inbound.booking,
    )


def _answer(visit: Booking | None, clinic: Clinic) -> str:
    if visit:
        link = private_link(visit, Purpose.MANAGE)  # the reply goes to the booking's own mobile
        return f"Thanks for your text. {clinic.name} will reply soon. Your booking: {link}"
    offer = featured_offer(now=timezone.now())
    book = settings.PUBLIC_BASE_URL + reverse("booking:book_days")
    if offer and offer.is_open and offer.spots_left:
        spots = f"{offer.spots_left} of {offer.promotion.spots} {offer.promotion.price} spots left. "
    else:
        spots = ""
    return (
        f"Thanks for texting {clinic.name}. {spots}Book online: {book} or call {clinic.phone_display}. "
        "We will reply soon."
    )
