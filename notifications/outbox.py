"""The outbox: each message queued once, in the same transaction as the change it reports, and sent once.

A message is a row first, and is sent after commit by a task that claims the
row with a conditional UPDATE. A failed send is tried again by the periodic
sweep with exponential backoff; a row claimed by a worker that died stays
claimed and is never sent twice. What the messages say, and when, is in
notices.py and reminders.py.
"""

import logging
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import SimpleLazyObject, lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from booking.calendar import calendar_links
from booking.links import Purpose, admin_link, placeholder
from booking.models import Booking, format_cents
from booking.payments import paid_and_due
from clinic.contact import sms_allowed
from clinic.dates import clock, short_day
from clinic.queue import task_queue, task_queue_on_commit
from waitlist.models import WaitlistEntry

from . import tasks, transports
from .emails import email_calendar, email_html
from .gsm import to_gsm7
from .models import Message, OptOut

logger = logging.getLogger(__name__)

Kind, Channel, Status = Message.Kind, Message.Channel, Message.Status

MAX_ATTEMPTS = 5
SENDING_TIMEOUT = timedelta(minutes=10)
NOT_TEXTED = "Not a mobile in a country the clinic texts (SMS_ALLOWED_COUNTRIES)."
# Reminders (reminders.py) are sent only while their visit is still on, at the same time.
REMINDER_KINDS = (Kind.REMINDER_24H, Kind.REMINDER_2H)

SUBJECTS = {
    Kind.CONFIRMATION: _("You're booked: {when}"),
    Kind.REMINDER_24H: _("See you {visit_day}: {when}"),
    Kind.REMINDER_2H: _("See you soon: {when}"),
    Kind.CANCELLATION: _("Your visit on {when} is cancelled"),
    Kind.RESCHEDULE: _("Your visit is now {when}"),
    Kind.REFUND: _("Your refund from {clinic}"),
    Kind.LATE_PAYMENT: _("Your payment to {clinic} is being refunded"),
    Kind.WAITLIST_OFFER: _("A spot opened up: {when}"),
    Kind.NEW_LINK: _("Your new link to your visit on {when}"),
    Kind.CONTACT_CHANGED: _("Your contact details at {clinic} have changed"),
    Kind.ACCESS_CODE: _("Your code from {clinic}"),
    Kind.CLINIC_NEW_BOOKING: "New booking: {when}",
    Kind.CLINIC_INBOUND_TEXT: "New text to the clinic's number",
    Kind.CLINIC_INTAKE_REVIEW: "Review before the visit: {when}",
    Kind.CLINIC_PAYMENT_REFUSED: "A payment was refused: visit {when}",
    Kind.CLINIC_ONLINE_CHANGE: "Changed online by the patient: visit {when}",
    Kind.LINK_RESENT: _("Your link to your visit on {when}"),
    Kind.WAITLIST_JOINED: _("You're on the waiting list at {clinic}"),
}


# Queueing --------------------------------------------------------------------------------------


def visit_day(starts_at: datetime, tz: ZoneInfo) -> str:
    """ "today", "tomorrow" or "on Friday": the visit's day as seen when the message goes out."""
    days = (timezone.localtime(starts_at, tz).date() - timezone.localdate(timezone=tz)).days
    if days == 0:
        return gettext("today")
    if days == 1:
        return gettext("tomorrow")
    return gettext("on %(weekday)s") % {"weekday": date_format(timezone.localtime(starts_at, tz), "l")}


def visit_context(booking: Booking) -> dict:
    """The visit as any message tells it: no private link."""
    clinic = booking.slot.service.clinic
    return {
        "booking": booking,
        "clinic": clinic,
        "starts_at": timezone.localtime(booking.slot.starts_at, clinic.tz),
        # Both told in the message's language, so made as it is written (outbox_message), not here.
        "visit_day": lazy(visit_day, str)(booking.slot.starts_at, clinic.tz),
        **_paid_online(booking),
        "cutoff_hours": settings.CANCELLATION_CUTOFF_HOURS,
        "calendar_links": SimpleLazyObject(lambda: calendar_links(booking)),  # no private link in them
        "book_link": settings.PUBLIC_BASE_URL + reverse("booking:landing"),
    }


# Where the patient's links go in their messages: made as each message is sent (booking/links.py).
PATIENT_LINKS = {"link": placeholder(Purpose.MANAGE), "intake_link": placeholder(Purpose.INTAKE)}


def booking_context(booking: Booking) -> dict:
    """The visit as the patient is told it, with their links."""
    return {**visit_context(booking), **PATIENT_LINKS}


def clinic_context(booking: Booking, visit: dict | None = None) -> dict:
    """The visit as the clinic's staff are told it: the patient's phone (in the templates) and the booking in the
    admin, never the patient's links."""
    return {**(visit or visit_context(booking)), "admin_link": admin_link(booking)}


def _paid_online(booking: Booking) -> dict:
    """Whether the visit is paid for online, and what is left to pay at the visit after a move to a dearer time."""
    paid, balance = paid_and_due(booking)
    return {"paid_online": bool(paid) and not balance, "balance": format_cents(balance) if balance else ""}


def is_opted_out(phone: str) -> bool:
    return OptOut.objects.filter(phone=phone).exists()


def message_queue(**message) -> Message:
    """Put one message (outbox_message's arguments) in the outbox, once per dedupe key; sent after commit."""
    return messages_queue([outbox_message(**message)])[0]


def message_queue_written(
    *,
    kind: str,
    channel: str,
    recipient: str,
    body: str,
    dedupe_key: str,
    booking: Booking | None = None,
    waitlist_entry: WaitlistEntry | None = None,
) -> Message:
    """Put one message written already (an answer to a text) in the outbox, once per dedupe key; due at once, and
    sent after commit. Its links are placeholders, as a template's are."""
    message = Message(
        kind=kind,
        channel=channel,
        recipient=recipient,
        body=body,
        dedupe_key=dedupe_key,
        booking=booking,
        waitlist_entry=waitlist_entry,
    )
    return messages_queue([message])[0]


def outbox_message(
    *,
    kind: str,
    channel: str,
    recipient: str,
    dedupe_key: str,
    context: dict,
    booking: Booking | None = None,
    waitlist_entry: WaitlistEntry | None = None,
    send_after: datetime | None = None,
    sent_by=None,
) -> Message:
    """A message for the outbox, written but not yet queued: `messages_queue` puts it there. A patient's is
    written in their language (the booking's or the waiting-list entry's); the clinic's own, in English."""
    folder = "sms" if channel == Channel.SMS else "emails"
    patient = booking or waitlist_entry
    language = patient.language if patient is not None and not kind.startswith("clinic_") else "en"
    with translation.override(language), timezone.override(context["clinic"].tz):
        body = render_to_string(f"{folder}/{kind}.txt", context, using="text").strip()
        if channel == Channel.SMS:
            body = to_gsm7(body)
        subject = html = calendar = ""
        if channel == Channel.EMAIL:
            when = context.get("starts_at")
            subject = str(SUBJECTS[kind]).format(
                when=f"{short_day(when)}, {clock(when)}" if when else "",
                visit_day=context.get("visit_day", ""),
                clinic=context["clinic"].name,
            )
            # Made now and kept, as the body is: a retry sends the very same email, whatever changed since.
            html = email_html(kind, context, subject=subject)
            calendar = email_calendar(kind, booking)
    return Message(
        booking=booking,
        waitlist_entry=waitlist_entry,
        kind=kind,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        html=html,
        calendar=calendar,
        dedupe_key=dedupe_key,
        send_after=send_after or timezone.now(),
        sent_by=sent_by,
    )


def messages_queue(messages: list[Message]) -> list[Message]:
    """Put messages in the outbox in one insert, each once per dedupe key, and send the due ones after commit
    (one task for them all).

    A text to a number that opted out is kept, suppressed. A key already in the outbox keeps
    its row; such a row still queued and due is sent now too, which is harmless: sending
    claims the row first, so it goes out once.
    """
    phones = {message.recipient for message in messages if message.channel == Channel.SMS}
    opted_out = set(OptOut.objects.filter(phone__in=phones).values_list("phone", flat=True)) if phones else set()
    for message in messages:
        if message.channel == Channel.SMS and message.recipient in opted_out:
            message.status = Status.SUPPRESSED
        elif message.channel == Channel.SMS and not sms_allowed(message.recipient):
            message.status, message.last_error = Status.SUPPRESSED, NOT_TEXTED
    Message.objects.bulk_create(messages, ignore_conflicts=True)
    keys = [message.dedupe_key for message in messages]
    rows = {row.dedupe_key: row for row in Message.objects.filter(dedupe_key__in=keys)}
    for message in messages:
        if message.dedupe_key not in rows:  # SQLite's INSERT OR IGNORE also skips a row it cannot store
            message.save(force_insert=True)  # which raises the reason, as PostgreSQL's insert does
            rows[message.dedupe_key] = message
    now = timezone.now()
    due = [row.pk for row in rows.values() if row.status == Status.QUEUED and row.send_after <= now]
    if due:
        task_queue_on_commit(tasks.send_messages, due)
    return [rows[key] for key in keys]


# Sending ---------------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: about 1, 2, 4, 8 minutes."""
    return timedelta(seconds=60 * 2 ** (attempts - 1) * random.uniform(0.75, 1.25))


def message_send(*, message_id: int) -> None:
    """Send one queued message, if this call is the one that claims it."""
    now = timezone.now()
    claimed = Message.objects.filter(pk=message_id, status=Status.QUEUED, send_after__lte=now).update(
        status=Status.SENDING, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return  # sent, being sent, suppressed, or not due: another call has it
    message = Message.objects.select_related("booking__slot").get(pk=message_id)
    if message.channel == Channel.SMS and is_opted_out(message.recipient):
        _finish(message, Status.SUPPRESSED, error="The number texted STOP.")
        return
    if message.channel == Channel.SMS and not sms_allowed(message.recipient):
        _finish(message, Status.SUPPRESSED, error=NOT_TEXTED)
        return
    if message.kind in REMINDER_KINDS and not _reminder_still_true(message):
        _finish(message, Status.SUPPRESSED, error="The visit was cancelled or moved.")
        return
    try:
        provider_id = transports.send(message)
    except transports.TransientError as exc:
        logger.warning("Message %s failed for now (attempt %s): %s", message.pk, message.attempts, exc)
        if message.attempts >= MAX_ATTEMPTS:
            _finish(message, Status.FAILED, error=f"Gave up after {message.attempts} attempts: {exc}")
        else:
            Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
                status=Status.QUEUED, send_after=now + retry_delay(message.attempts), last_error=str(exc)
            )
        return
    except transports.PermanentError as exc:
        logger.warning("Message %s cannot be sent: %s", message.pk, exc)
        if exc.opted_out:
            OptOut.objects.get_or_create(phone=message.recipient, defaults={"keyword": "carrier"})
        _finish(message, Status.FAILED, error=str(exc))
        return
    _finish(message, Status.SENT, provider_id=provider_id, sent_at=now)


def _reminder_still_true(message: Message) -> bool:
    """A reminder waiting for a retry is sent only if its visit is still on, at the same time."""
    booking = message.booking
    key = message.dedupe_key.partition(":resend:")[0]  # a staff resend keeps the original's visit time
    return booking.status == Booking.Status.CONFIRMED and key.endswith(
        f":{booking.slot.starts_at:%Y%m%dT%H%MZ}:{message.channel}"
    )


def _finish(message: Message, status: str, *, error: str = "", **fields) -> None:
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(status=status, last_error=error, **fields)


def messages_send_due(*, now: datetime | None = None) -> int:
    """Send what is due and was not sent on commit: deferred past quiet hours, retries, lost tasks.

    Also closes out rows left "sending" by a worker that died mid-send: they may
    have gone out, so they are marked failed for staff to check, never resent.
    """
    now = now or timezone.now()
    Message.objects.filter(status=Status.SENDING, updated_at__lt=now - SENDING_TIMEOUT).update(
        status=Status.FAILED, last_error="Interrupted while sending: it may or may not have gone out.", updated_at=now
    )
    due = list(
        Message.objects.filter(
            status=Status.QUEUED, send_after__lte=now, created_at__lt=now - timedelta(seconds=30)
        ).values_list("pk", flat=True)[:500]
    )
    for queued, message_id in enumerate(due):
        if not task_queue(tasks.send_message, message_id):
            return queued  # the broker is down: the next sweep tries again
    return len(due)


class CannotResend(Exception):
    """This message is not one to send again; the message says why, for staff."""


def message_resend(*, message: Message) -> Message:
    """A fresh copy of a message, queued now (staff asked for it again), with the links as they are when it goes.

    A message to the patient goes to their email or mobile as the booking (or waiting-list entry) has it now, never
    to one it replaced.
    """
    if message.kind in (Kind.ACCESS_CODE, Kind.CONTACT_CHANGED):
        raise CannotResend(f"A “{message.get_kind_display()}” message is not sent again.")
    recipient = message.recipient
    if message.booking and message.kind in Kind.with_private_links():
        recipient = message.booking.phone if message.channel == Channel.SMS else message.booking.email
    elif message.waitlist_entry and message.kind in Kind.with_private_links():
        recipient = message.waitlist_entry.phone if message.channel == Channel.SMS else message.waitlist_entry.email
    copy = Message(
        booking=message.booking,
        waitlist_entry=message.waitlist_entry,
        kind=message.kind,
        channel=message.channel,
        recipient=recipient,
        subject=message.subject,
        body=message.body,
        html=message.html,
        calendar=message.calendar,
        sent_by_id=message.sent_by_id,  # a staff text sent again is still in the words its writer chose
        dedupe_key=f"{message.dedupe_key}:resend:{timezone.now():%Y%m%dT%H%M%S.%f}",
    )
    return messages_queue([copy])[0]


# Opting out ------------------------------------------------------------------------------------


def sms_opt_out(*, phone: str, keyword: str) -> None:
    """No more texts to this number; texts already queued for it are suppressed."""
    OptOut.objects.get_or_create(phone=phone, defaults={"keyword": keyword})
    Message.objects.filter(channel=Channel.SMS, recipient=phone, status=Status.QUEUED).update(
        status=Status.SUPPRESSED, updated_at=timezone.now()
    )


def sms_opt_in(*, phone: str) -> None:
    OptOut.objects.filter(phone=phone).delete()


# How far along a text is; a late or repeated report never moves it back.
DELIVERY_PROGRESS = {Status.QUEUED: 0, Status.SENDING: 1, Status.SENT: 2, Status.DELIVERED: 3, Status.FAILED: 3}
TWILIO_STATUSES = {
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "undelivered": Status.FAILED,
    "failed": Status.FAILED,
}


def delivery_status_record(*, message_sid: str, status: str, error_code: str = "") -> None:
    """Keep Twilio's word on a text we sent: delivered, or failed and why."""
    new_status = TWILIO_STATUSES.get(status)
    message = Message.objects.filter(channel=Channel.SMS, provider_id=message_sid).first() if message_sid else None
    if message is None or new_status is None:
        return
    if DELIVERY_PROGRESS.get(new_status, 0) <= DELIVERY_PROGRESS.get(message.status, 3):
        return
    error = f"Twilio error {error_code}" if error_code else ""
    Message.objects.filter(pk=message.pk, status=message.status).update(status=new_status, last_error=error)
    if error_code == str(transports.TWILIO_OPTED_OUT):
        sms_opt_out(phone=message.recipient, keyword="carrier")
