"""What patients and the clinic are told when something happens to a booking: the notices, and the receivers
of the signals that booking, waitlist and assessments send when something happened (connected in apps.py).

Each receiver runs inside the sender's transaction, so its messages commit with the change or not at all.
"""

import uuid
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from booking.links import Purpose, placeholder
from booking.models import Booking, BookingEvent, Payment, Refund
from clinic.contact import sms_allowed
from clinic.quiet_hours import QUIET_END, QUIET_START, after_quiet_hours
from waitlist.links import PLACEHOLDER as LEAVE_LINK
from waitlist.models import WaitlistEntry
from waitlist.services import place_in_line

from . import transports
from .models import Message
from .outbox import (
    PATIENT_LINKS,
    booking_context,
    clinic_context,
    is_opted_out,
    message_queue,
    messages_queue,
    outbox_message,
    visit_context,
)

Kind, Channel, Status = Message.Kind, Message.Channel, Message.Status


def _patient_messages(booking: Booking, kind: str, key: str, context: dict, *, urgent=False) -> list[Message]:
    """An email to the patient, and a text too when they agreed to texts (never in quiet hours unless urgent)."""
    channels = [(Channel.EMAIL, booking.email, None)] if booking.email else []
    if booking.sms_consent:
        now = timezone.now()
        channels.append((Channel.SMS, booking.phone, now if urgent else after_quiet_hours(now, context["clinic"].tz)))
    return [
        outbox_message(
            kind=kind,
            channel=channel,
            recipient=recipient,
            dedupe_key=f"{key}:{channel}",
            context=context,
            booking=booking,
            send_after=send_after,
        )
        for channel, recipient, send_after in channels
    ]


def _notify_patient(booking: Booking, kind: str, key: str, *, context: dict | None = None, urgent=False) -> None:
    messages_queue(_patient_messages(booking, kind, key, context or booking_context(booking), urgent=urgent))


def notify_booking_confirmed(booking: Booking) -> None:
    visit = visit_context(booking)
    # The patient has just booked and is waiting for it: no quiet-hours delay.
    key = f"booking:{booking.pk}:confirmation"
    patient = _patient_messages(booking, Kind.CONFIRMATION, key, {**visit, **PATIENT_LINKS}, urgent=True)
    clinic = outbox_message(
        kind=Kind.CLINIC_NEW_BOOKING,
        channel=Channel.EMAIL,
        recipient=visit["clinic"].email,
        dedupe_key=f"booking:{booking.pk}:clinic_new_booking:email",
        context=clinic_context(booking, visit),
        booking=booking,
    )
    messages_queue([*patient, clinic])


def on_links_replaced(sender, booking: Booking, event: BookingEvent, **kwargs) -> None:
    notify_new_link(booking, event=event)


def on_contact_changed(sender, booking: Booking, event: BookingEvent, old_email: str, old_phone: str, **kwargs) -> None:
    notify_contact_changed(booking, event=event, old_email=old_email, old_phone=old_phone)


def notify_new_link(booking: Booking, *, event: BookingEvent) -> None:
    """The patient's links were replaced (`event` records it): the new one, at once, as staff are often on the
    phone with them."""
    _notify_patient(booking, Kind.NEW_LINK, f"booking:{booking.pk}:new_link:{event.pk}", urgent=True)


def notify_contact_changed(booking: Booking, *, event: BookingEvent, old_email: str, old_phone: str) -> None:
    """Tell the email and number the clinic had before that they changed: nothing more, and no link.

    What was still waiting to go to them about this booking (a reminder kept for after quiet hours, a retry)
    goes to the new ones instead, with the links as they are when it leaves.
    """
    waiting = Message.objects.filter(booking=booking, status=Status.QUEUED, kind__in=Kind.with_private_links())
    old_emails = waiting.filter(channel=Channel.EMAIL, recipient=old_email)
    if booking.email:
        old_emails.update(recipient=booking.email)
    else:  # the email was taken off: nothing more goes to it
        old_emails.update(status=Status.SUPPRESSED)
    waiting.filter(channel=Channel.SMS, recipient=old_phone).update(recipient=booking.phone)
    context = visit_context(booking)
    told = []
    if old_email and old_email != booking.email:
        told.append((Channel.EMAIL, old_email, None))
    if old_phone != booking.phone and booking.sms_consent:
        told.append((Channel.SMS, old_phone, after_quiet_hours(timezone.now(), context["clinic"].tz)))
    messages = [
        outbox_message(
            kind=Kind.CONTACT_CHANGED,
            channel=channel,
            recipient=recipient,
            dedupe_key=f"booking:{booking.pk}:contact_changed:{event.pk}:{channel}",
            context=context,
            booking=booking,
            send_after=send_after,
        )
        for channel, recipient, send_after in told
    ]
    if messages:
        messages_queue(messages)


def notify_access_code(booking: Booking, *, channel: str, code: str, key: str) -> Message:
    """A one-time code the patient asked for, to their email or mobile on the booking: sent at once, whatever
    the hour. `key` names this code (one message each)."""
    recipient = booking.phone if channel == Channel.SMS else booking.email
    with transaction.atomic():  # sent on commit: only once the code waits beside it
        message = message_queue(
            kind=Kind.ACCESS_CODE,
            channel=channel,
            recipient=recipient,
            dedupe_key=f"booking:{booking.pk}:access_code:{key}:{channel}",
            context={**visit_context(booking), "code": transports.CODE},  # the code itself is not kept here
            booking=booking,
        )
        transports.keep_code(message, code)
    return message


def on_mobile_code_issued(sender, *, booking: Booking, code: str, key: str, **kwargs) -> None:
    """A code proving the booking's mobile (booking/verification.py): texted at once, whether or not the
    patient asked for reminders by text, since they asked for this one."""
    notify_access_code(booking, channel=Channel.SMS, code=code, key=f"mobile-{key}")


def notify_booking_cancelled(booking: Booking) -> None:
    _notify_patient(booking, Kind.CANCELLATION, f"booking:{booking.pk}:cancellation")


def notify_booking_rescheduled(booking: Booking, *, previous_starts_at: datetime, move: BookingEvent) -> None:
    """The visit's new time; `move` is the history row of this move, so each move (back and forth too) is told once."""
    context = booking_context(booking)
    context["previous_starts_at"] = timezone.localtime(previous_starts_at, context["clinic"].tz)
    _notify_patient(booking, Kind.RESCHEDULE, f"booking:{booking.pk}:reschedule:{move.pk}", context=context)


def notify_waitlist_offer(booking: Booking, *, expires_at: datetime) -> None:
    """A place freed for someone waiting: held for them until `expires_at`. Offers are only made outside quiet hours."""
    context = booking_context(booking)
    context.update(
        claim_link=placeholder(Purpose.CLAIM), expires_at=timezone.localtime(expires_at, context["clinic"].tz)
    )
    _notify_patient(booking, Kind.WAITLIST_OFFER, f"booking:{booking.pk}:waitlist_offer", context=context, urgent=True)


def notify_waitlist_joined(entry: WaitlistEntry) -> None:
    """Someone joined a waiting list: an email saying so, with the private link that takes them off it again, and
    a short text too when they agreed to texts (kept for after quiet hours)."""
    clinic = entry.service.clinic
    context = {
        "clinic": clinic,
        "entry": entry,
        "place": place_in_line(entry),
        "offer_minutes": settings.WAITLIST_OFFER_MINUTES,
        "quiet_start": QUIET_START,
        "quiet_end": QUIET_END,
        "leave_link": LEAVE_LINK,
    }
    channels = [(Channel.EMAIL, entry.email, None)] if entry.email else []
    if entry.sms_consent:
        channels.append((Channel.SMS, entry.phone, after_quiet_hours(timezone.now(), clinic.tz)))
    messages_queue(
        [
            outbox_message(
                kind=Kind.WAITLIST_JOINED,
                channel=channel,
                recipient=recipient,
                dedupe_key=f"waitlist:{entry.pk}:joined:{channel}",
                context=context,
                waitlist_entry=entry,
                send_after=send_after,
            )
            for channel, recipient, send_after in channels
        ]
    )


def notify_refund(refund: Refund) -> None:
    booking = refund.payment.booking
    context = {**booking_context(booking), "refund": refund}
    _notify_patient(booking, Kind.REFUND, f"refund:{refund.pk}", context=context)


def notify_late_payment_refunded(booking: Booking) -> None:
    _notify_patient(booking, Kind.LATE_PAYMENT, f"booking:{booking.pk}:late_payment")


def on_payment_refused(sender, payment: Payment, refund: Refund | None, **kwargs) -> None:
    notify_payment_refused(payment, refund=refund)


def notify_payment_refused(payment: Payment, *, refund: Refund | None) -> None:
    """Tell the clinic that money for a booking was refused and (if `refund`) is on its way back.

    Staff follow the admin link; the email names the booking and why, nothing about the patient's health,
    and no link of the patient's. The patient is not told: the payment may not have been theirs.
    """
    booking = payment.booking
    message_queue(
        kind=Kind.CLINIC_PAYMENT_REFUSED,
        channel=Channel.EMAIL,
        recipient=booking.slot.service.clinic.email,
        dedupe_key=f"payment:{payment.pk}:refused:email",
        context={**clinic_context(booking), "payment": payment, "refund": refund},
        booking=booking,
    )


def notify_intake_review(booking: Booking) -> None:
    """A "yes" on the red-flag screen: the clinic is told once. The alert names the booking and links to it in
    the admin; the answers stay behind the clinicians' login."""
    message_queue(
        kind=Kind.CLINIC_INTAKE_REVIEW,
        channel=Channel.EMAIL,
        recipient=booking.slot.service.clinic.email,
        dedupe_key=f"booking:{booking.pk}:intake_review:email",
        context=clinic_context(booking),
        booking=booking,
    )


def notify_online_change(booking: Booking, *, event: BookingEvent, previous_starts_at: datetime | None = None) -> None:
    """The patient cancelled or moved their visit through their private link: the front desk is told by email
    (and sees it on Today). What changed and when, never why the patient is coming."""
    context = clinic_context(booking)
    if previous_starts_at:
        context["previous_starts_at"] = timezone.localtime(previous_starts_at, context["clinic"].tz)
    message_queue(
        kind=Kind.CLINIC_ONLINE_CHANGE,
        channel=Channel.EMAIL,
        recipient=booking.slot.service.clinic.email,
        dedupe_key=f"booking:{booking.pk}:online_change:{event.pk}:email",
        context=context,
        booking=booking,
    )


def notify_link_resent(booking: Booking, *, channel: str) -> None:
    """The link a patient asked for again ("Resend my link"): by text to the booking's mobile when they typed a
    mobile the clinic may text, else by email to the booking's email. Once a minute at most per booking."""
    now = timezone.now()
    if channel == Channel.SMS and sms_allowed(booking.phone) and not is_opted_out(booking.phone):
        recipient = booking.phone
    elif booking.email:
        channel, recipient = Channel.EMAIL, booking.email
    else:
        return  # no email on the booking, and its mobile cannot be texted: the page sends them to the phone
    message_queue(
        kind=Kind.LINK_RESENT,
        channel=channel,
        recipient=recipient,
        dedupe_key=f"booking:{booking.pk}:link_resent:{now:%Y%m%d%H%M}:{channel}",
        context=booking_context(booking),
        booking=booking,
    )


def on_links_requested(sender, booking: Booking, channel: str, **kwargs) -> None:
    notify_link_resent(booking, channel=channel)


class CannotText(Exception):
    """The front desk cannot text this patient; the message says why."""


STAFF_TEXT_LENGTH = 300  # two text messages at most


def text_from_staff(booking: Booking, *, text: str, user=None) -> Message:
    """A text the front desk writes to the patient ("We're running 10 minutes late"), sent at once from the
    clinic's number: only to a patient who agreed to texts, on a mobile the clinic texts, not opted out."""
    text = " ".join(text.split())
    if not text:
        raise CannotText("Write the text to send.")
    if len(text) > STAFF_TEXT_LENGTH:
        raise CannotText(f"Keep the text to {STAFF_TEXT_LENGTH} characters; this one has {len(text)}.")
    if not booking.sms_consent:
        raise CannotText("The patient has not agreed to texts: call them instead.")
    if not sms_allowed(booking.phone) or is_opted_out(booking.phone):
        raise CannotText("This mobile cannot be texted (abroad, or it replied STOP): call the patient instead.")
    return message_queue(
        kind=Kind.STAFF_TEXT,
        channel=Channel.SMS,
        recipient=booking.phone,
        dedupe_key=f"booking:{booking.pk}:staff_text:{uuid.uuid4()}",
        context={**visit_context(booking), "text": text},
        booking=booking,
        sent_by=user,
    )


# Receivers of what the apps below announce (connected in apps.py), inside the sender's transaction. ------------


def on_booking_confirmed(sender, booking: Booking, **kwargs) -> None:
    notify_booking_confirmed(booking)


def on_booking_cancelled(sender, booking: Booking, event: BookingEvent, notify: bool, by_patient: bool, **kwargs):
    if notify:
        notify_booking_cancelled(booking)
    if by_patient:
        notify_online_change(booking, event=event)


def on_booking_rescheduled(
    sender, booking: Booking, previous_starts_at: datetime, move: BookingEvent, by_patient: bool, **kwargs
):
    notify_booking_rescheduled(booking, previous_starts_at=previous_starts_at, move=move)
    if by_patient:
        notify_online_change(booking, event=move, previous_starts_at=previous_starts_at)


def on_refund_requested(sender, refund: Refund, notify: bool, **kwargs) -> None:
    if notify:
        notify_refund(refund)


def on_late_payment_refunded(sender, booking: Booking, **kwargs) -> None:
    notify_late_payment_refunded(booking)


def on_offer_made(sender, booking: Booking, expires_at: datetime, **kwargs) -> None:
    notify_waitlist_offer(booking, expires_at=expires_at)


def on_entry_joined(sender, entry: WaitlistEntry, **kwargs) -> None:
    notify_waitlist_joined(entry)


def on_intake_flagged(sender, booking: Booking, **kwargs) -> None:
    notify_intake_review(booking)


def on_intake_code_issued(sender, booking: Booking, channel: str, code: str, key: str, **kwargs) -> bool:
    """A code to open saved intake answers: sent at once. Answers whether it goes out (not to a mobile that
    texted STOP, or in a country the clinic does not text)."""
    message = notify_access_code(booking, channel=Channel(channel), code=code, key=key)
    return message.status != Status.SUPPRESSED
