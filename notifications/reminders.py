"""Reminders before the visit, found by a scan every minute, so they survive restarts, cancellations and moves.

Texts keep out of the clinic's quiet hours: the day-before one goes earlier, the 2-hour one later or not at all.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from booking.models import Booking
from clinic.quiet_hours import after_quiet_hours, before_quiet_hours, in_quiet_hours

from .models import Message
from .outbox import booking_context, messages_queue, outbox_message

Kind, Channel = Message.Kind, Message.Channel

# The reminder kinds here are the ones the outbox (REMINDER_KINDS) sends only while their visit is still on.

REMINDERS = {
    # kind: (how long before the visit, how late it may still go out)
    Kind.REMINDER_24H: (timedelta(hours=24), timedelta(hours=3)),
    Kind.REMINDER_2H: (timedelta(hours=2), timedelta(minutes=30)),
}


def reminder_send_at(kind: str, channel: str, starts_at: datetime, tz: ZoneInfo) -> datetime | None:
    """When a reminder goes out: texts keep out of quiet hours, the day-before one by going earlier."""
    lead, last_chance = REMINDERS[kind]
    due = starts_at - lead
    if channel == Channel.EMAIL or not in_quiet_hours(due, tz):
        return due
    if kind == Kind.REMINDER_24H:
        return before_quiet_hours(due, tz)
    later = after_quiet_hours(due, tz)
    return later if later <= starts_at - last_chance else None


def _reminder_channels(booking: Booking, kind: str) -> list[str]:
    channels = [Channel.SMS] if booking.sms_consent else []
    return [*channels, Channel.EMAIL] if kind == Kind.REMINDER_24H and booking.email else channels


def reminders_queue(*, now: datetime | None = None) -> int:
    """Queue the reminders whose time has come. Run every minute; a reminder is queued once per visit time."""
    now = now or timezone.now()
    bookings = list(
        Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            slot__starts_at__gt=now,
            slot__starts_at__lte=now + timedelta(hours=48),
        ).select_related("slot__service__clinic")
    )
    queued_before = set(
        Message.objects.filter(booking__in=bookings, kind__in=REMINDERS).values_list("dedupe_key", flat=True)
    )
    due = []
    for booking in bookings:
        starts_at, tz = booking.slot.starts_at, booking.slot.service.clinic.tz
        context = None  # built once per booking, and only when a reminder is due
        for kind, (_, last_chance) in REMINDERS.items():
            if now >= starts_at - last_chance:
                continue
            for channel in _reminder_channels(booking, kind):
                key = f"booking:{booking.pk}:{kind}:{starts_at:%Y%m%dT%H%MZ}:{channel}"
                send_at = reminder_send_at(kind, channel, starts_at, tz)
                if key in queued_before or send_at is None or send_at > now:
                    continue
                if booking.confirmed_at and send_at < booking.confirmed_at - timedelta(minutes=1):
                    continue  # it was due before the patient booked
                recipient = booking.phone if channel == Channel.SMS else booking.email
                context = context or booking_context(booking)
                due.append(
                    outbox_message(
                        kind=kind,
                        channel=channel,
                        recipient=recipient,
                        dedupe_key=key,
                        context=context,
                        booking=booking,
                    )
                )
    if due:
        messages_queue(due)
    return len(due)
