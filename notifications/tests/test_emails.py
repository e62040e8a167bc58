"""Emails as patients and the front desk receive them: headers, parts, calendar file, wording, and SMTP trouble.

Email goes through Django's locmem backend (django.core.mail.outbox), or a
backend below that fails the way an SMTP server does.
"""

import smtplib
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from celery.signals import task_prerun
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from icalendar import Calendar

from booking.links import Purpose, private_link
from booking.models import Booking, Payment
from booking.payments import checkout_hold, checkout_start, refund_request
from booking.rules import Patient
from booking.services import booking_cancel, booking_create, booking_hold
from booking.tests.factories import PromotionFactory, ServiceFactory, SlotFactory, local
from booking.tests.pages import code_typed
from booking.tests.stripe_fakes import event, paid_checkout_session, post_events
from clinic.tests.factories import ClinicFactory
from notifications import tasks
from notifications.inbound import inbound_text_handle
from notifications.models import Conversation, InboundText, Message
from notifications.notices import notify_booking_confirmed
from notifications.outbox import messages_queue, messages_send_due
from notifications.reminders import reminders_queue

pytestmark = pytest.mark.django_db

NOW = local(date(2026, 4, 6), 8)  # Monday 8:00 AM in San Diego
VISIT = local(date(2026, 4, 7), 10)  # Tuesday 10:00 AM PDT, 17:00 UTC
CLINIC_FROM = "Project Performance Physical Therapy <admin@projectperformancept.com>"
CLINIC_EMAIL = "admin@projectperformancept.com"
ADDRESS = "4901 Morena Blvd, Suite 501, San Diego, CA 92117"
DANA = Patient(name="Dana Cruz", email="dana@example.com", phone="+18585550199", sms_consent=False)
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
Kind, Status = Message.Kind, Message.Status


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def book(service, patient: Patient, capture, *, visit: datetime = VISIT, price_cents: int | None = None) -> Booking:
    """A pay-at-visit booking through the booking service (a discounted one booked by the code texted to the
    mobile), its messages sent when it commits."""
    slot = SlotFactory(service=service, starts_at=visit)
    price_cents = service.regular_price_cents if price_cents is None else price_cents
    with capture(execute=True):
        booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=price_cents)
    with capture(execute=True):
        return code_typed(booking)


def html_part(email) -> str:
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return html


def everything_in(email) -> str:
    """What a reader could see of an email: subject, text, HTML and attachments."""
    attached = [a.content if isinstance(a.content, str) else a.content.decode() for a in email.attachments]
    return "\n".join([email.subject, email.body, html_part(email), *attached])


def to(address: str) -> list:
    return [email for email in mail.outbox if email.to == [address]]


# Booking confirmation ------------------------------------------------------------------------------


def test_confirmation_email_comes_from_the_clinic_with_text_html_and_a_calendar_file(
    service, patient, django_capture_on_commit_callbacks
):
    booking = book(service, patient, django_capture_on_commit_callbacks)

    [email] = to(patient.email)
    assert email.from_email == CLINIC_FROM
    assert email.reply_to == [CLINIC_EMAIL]
    assert email.subject == "You're booked: Tue Apr 7, 10:00 AM"
    assert email.content_subtype == "plain"
    html = html_part(email)
    assert "<html" in html and "running clothes" in html
    assert f'<a href="{private_link(booking, Purpose.MANAGE)}"' in html
    sent = email.message()
    assert sent["From"] == CLINIC_FROM
    assert sent["Reply-To"] == CLINIC_EMAIL
    assert sent.get_content_type() == "multipart/mixed"

    [attachment] = email.attachments
    assert attachment.filename == f"visit-{booking.reference}.ics"
    assert attachment.mimetype == "text/calendar"
    calendar = Calendar.from_ical(attachment.content)
    [visit] = calendar.walk("VEVENT")
    assert visit.decoded("DTSTART") == datetime(2026, 4, 7, 17, 0, tzinfo=UTC) == booking.slot.starts_at
    assert visit.decoded("DTEND") == datetime(2026, 4, 7, 18, 0, tzinfo=UTC) == booking.slot.ends_at
    assert visit.decoded("DTSTART").utcoffset() == timedelta(0)
    assert service.name in str(visit["SUMMARY"])
    assert str(visit["LOCATION"]) == ADDRESS
    assert booking.reference in str(visit["UID"])


def test_confirmation_email_says_when_where_what_to_bring_the_price_and_the_link(
    service, patient, django_capture_on_commit_callbacks
):
    booking = book(service, patient, django_capture_on_commit_callbacks)

    [email] = to(patient.email)
    assert email.body.startswith("Hi Michael,")
    assert "Tuesday, April 7, 2026 at 10:00 AM (PDT)" in email.body
    assert ADDRESS in email.body
    assert "What:  Active Back & Hip Reset Assessment, 60 minutes" in email.body
    assert "running clothes" in email.body
    assert "shoes" in email.body
    assert "Price: $175, due at the visit" in email.body
    assert private_link(booking, Purpose.MANAGE) in email.body
    assert private_link(booking, Purpose.MANAGE).startswith("http")


def test_the_clinic_gets_one_new_booking_email_with_the_admin_link(
    service, patient, settings, django_capture_on_commit_callbacks
):
    booking = book(service, patient, django_capture_on_commit_callbacks)

    [email] = to(CLINIC_EMAIL)
    assert email.subject == "New booking: Tue Apr 7, 10:00 AM"
    assert email.from_email == CLINIC_FROM
    assert f"New booking {booking.reference}" in email.body
    assert "Patient: Michael Green" in email.body
    assert f"{settings.PUBLIC_BASE_URL}/admin/booking/booking/{booking.pk}/change/" in email.body
    assert email.attachments == []
    assert len(mail.outbox) == 2  # the patient's and the clinic's


def test_both_email_rows_are_sent_with_the_message_id_as_provider_id(
    service, patient, django_capture_on_commit_callbacks
):
    booking = book(service, patient, django_capture_on_commit_callbacks)

    rows = Message.objects.filter(booking=booking, channel=Message.Channel.EMAIL)
    assert {(m.kind, m.recipient, m.status, m.attempts) for m in rows} == {
        (Kind.CONFIRMATION, patient.email, Status.SENT, 1),
        (Kind.CLINIC_NEW_BOOKING, CLINIC_EMAIL, Status.SENT, 1),
    }
    sent_ids = {email.to[0]: email.message()["Message-ID"] for email in mail.outbox}
    for row in rows:
        assert row.provider_id == sent_ids[row.recipient]
        assert row.provider_id.startswith("<") and row.provider_id.endswith("@projectperformancept.com>")
        assert row.sent_at == NOW
    assert rows[0].provider_id != rows[1].provider_id


def test_confirming_again_queues_nothing_more_and_sends_nothing_twice(
    service, patient, django_capture_on_commit_callbacks
):
    booking = book(service, patient, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        notify_booking_confirmed(booking)

    rows = Message.objects.filter(booking=booking)
    assert sorted((m.kind, m.channel, m.status, m.attempts) for m in rows) == [
        (Kind.CLINIC_NEW_BOOKING, Message.Channel.EMAIL, Status.SENT, 1),
        (Kind.CONFIRMATION, Message.Channel.EMAIL, Status.SENT, 1),
        (Kind.CONFIRMATION, Message.Channel.SMS, Status.SENT, 1),
    ]
    assert len(mail.outbox) == 2


def test_a_booking_sends_its_three_messages_in_one_task(service, patient, django_capture_on_commit_callbacks):
    tasks = []

    def ran(sender, args, **kwargs):
        tasks.append((sender.name, args))

    task_prerun.connect(ran)
    try:
        booking = book(service, patient, django_capture_on_commit_callbacks)
    finally:
        task_prerun.disconnect(ran)
    [(name, [message_ids])] = tasks
    assert name == "notifications.tasks.send_messages"
    assert sorted(message_ids) == sorted(booking.messages.values_list("pk", flat=True))
    assert set(booking.messages.values_list("status", flat=True)) == {Status.SENT}


def test_a_message_the_outbox_cannot_store_is_refused_on_every_database(
    service, patient, django_capture_on_commit_callbacks
):
    booking = book(service, patient, django_capture_on_commit_callbacks)
    broken = Message(booking=booking, kind=Kind.CONFIRMATION, channel=Message.Channel.EMAIL, body=None)
    broken.recipient, broken.dedupe_key = patient.email, "test:broken"

    with pytest.raises(IntegrityError), transaction.atomic():
        messages_queue([broken])
    assert not Message.objects.filter(dedupe_key="test:broken").exists()


# Time zones ----------------------------------------------------------------------------------------


def test_a_new_york_clinic_shows_the_visit_in_new_york_time_in_email_and_text(
    patient, twilio_recorder, django_capture_on_commit_callbacks
):
    new_york = ClinicFactory(
        time_zone="America/New_York", email="desk@eastside.example", street="1 Main St", city="Albany", region="NY"
    )
    service = ServiceFactory(clinic=new_york)
    visit = local(date(2026, 4, 7), 10, tz="America/New_York")  # 7:00 AM in San Diego, 14:00 UTC
    booking = book(service, patient, django_capture_on_commit_callbacks, visit=visit)

    [email] = to(patient.email)
    assert email.subject == "You're booked: Tue Apr 7, 10:00 AM"
    assert "Tuesday, April 7, 2026 at 10:00 AM (EDT)" in email.body
    assert "7:00 AM" not in email.body
    [clinic_email] = to("desk@eastside.example")
    assert clinic_email.subject == "New booking: Tue Apr 7, 10:00 AM"
    assert "10:00 AM (EDT)" in clinic_email.body
    [visit_event] = Calendar.from_ical(email.attachments[0].content).walk("VEVENT")
    assert visit_event.decoded("DTSTART") == datetime(2026, 4, 7, 14, 0, tzinfo=UTC) == booking.slot.starts_at
    [text] = twilio_recorder.texts
    assert "you're booked for Tue Apr 7 at 10:00 AM, 1 Main St" in text.data["Body"]
    assert "7:00 AM" not in text.data["Body"]


# SMTP trouble --------------------------------------------------------------------------------------

ATTEMPTS: list[str] = []


class _FailingBackend(BaseEmailBackend):
    """A mail server that answers every message with an error."""

    def error(self) -> Exception:
        raise NotImplementedError

    def send_messages(self, email_messages):
        ATTEMPTS.extend(email.to[0] for email in email_messages)
        raise self.error()


class DeferringBackend(_FailingBackend):
    def error(self):
        return smtplib.SMTPResponseException(451, b"try later")


class RejectingBackend(_FailingBackend):
    def error(self):
        return smtplib.SMTPResponseException(550, b"no such user")


class DisconnectingBackend(_FailingBackend):
    def error(self):
        return smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class CrashingBackend(_FailingBackend):
    def error(self):
        return RuntimeError("the mail library broke")


@pytest.fixture
def attempts():
    ATTEMPTS.clear()
    yield ATTEMPTS
    ATTEMPTS.clear()


@pytest.mark.parametrize(
    ("backend", "error"),
    [
        ("DeferringBackend", "Mail server answered 451"),
        ("DisconnectingBackend", "Could not reach the mail server: SMTPServerDisconnected"),
    ],
)
def test_a_deferral_or_disconnect_puts_the_email_back_in_the_queue_for_a_later_try(
    service, settings, attempts, clock, django_capture_on_commit_callbacks, backend, error
):
    settings.EMAIL_BACKEND = f"{__name__}.{backend}"
    booking = book(service, DANA, django_capture_on_commit_callbacks)

    assert sorted(attempts) == sorted([DANA.email, CLINIC_EMAIL])
    rows = Message.objects.filter(booking=booking)
    for row in rows:
        assert (row.status, row.attempts, row.last_error, row.provider_id) == (Status.QUEUED, 1, error, "")
        assert NOW + timedelta(seconds=45) <= row.send_after <= NOW + timedelta(seconds=75)
    assert mail.outbox == []

    # The sweep leaves them until their new time, then sends them once the server is back.
    clock.move_to(NOW + timedelta(seconds=40))
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_send_due() == 0
    settings.EMAIL_BACKEND = LOCMEM
    clock.move_to(NOW + timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_send_due() == 2
    assert {(row.status, row.attempts) for row in rows.all()} == {(Status.SENT, 2)}
    assert sorted(email.to[0] for email in mail.outbox) == sorted([DANA.email, CLINIC_EMAIL])


def test_an_email_that_crashes_does_not_keep_the_text_and_the_clinic_email_from_being_tried(
    service, patient, settings, attempts, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.CrashingBackend"
    # In-process the task runs inside the booking's request, which must still land on the booking: no error here.
    booking = book(service, patient, django_capture_on_commit_callbacks)

    assert sorted(attempts) == sorted([patient.email, CLINIC_EMAIL])
    text = Message.objects.get(channel=Message.Channel.SMS)
    assert (text.kind, text.status) == (Kind.CONFIRMATION, Status.SENT)
    emails = booking.messages.filter(channel=Message.Channel.EMAIL)
    assert {row.status for row in emails} == {Status.SENDING}  # it may have gone: the sweep marks it for staff

    # A worker's run of the task fails, after trying them all, so the failure shows in the worker's log.
    emails.update(status=Status.QUEUED)
    attempts.clear()
    with pytest.raises(RuntimeError, match="the mail library broke"):
        tasks.send_messages([row.pk for row in emails])  # called as a worker calls it, not eagerly
    assert sorted(attempts) == sorted([patient.email, CLINIC_EMAIL])


def test_a_permanent_refusal_fails_the_email_and_it_is_not_tried_again(
    service, settings, attempts, clock, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.RejectingBackend"
    booking = book(service, DANA, django_capture_on_commit_callbacks)

    rows = Message.objects.filter(booking=booking)
    assert {(row.status, row.attempts, row.last_error) for row in rows} == {
        (Status.FAILED, 1, "Mail server answered 550")
    }
    assert len(attempts) == 2

    for minutes in (2, 10, 60):
        clock.move_to(NOW + timedelta(minutes=minutes))
        with django_capture_on_commit_callbacks(execute=True):
            assert messages_send_due() == 0
    assert len(attempts) == 2
    assert {row.status for row in rows.all()} == {Status.FAILED}


# Cancellation, refund and late-payment notices ------------------------------------------------------


def test_cancellation_email_says_the_visit_is_cancelled_and_takes_it_out_of_the_calendar(
    service, patient, django_capture_on_commit_callbacks
):
    booking = book(service, patient, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, reason="Cancelled by the front desk")

    [email] = mail.outbox
    assert email.to == [patient.email]
    assert email.from_email == CLINIC_FROM
    assert email.subject == "Your visit on Tue Apr 7, 10:00 AM is cancelled"
    assert "Your visit on Tuesday, April 7 at 10:00 AM is cancelled." in email.body
    assert "book another time" in email.body
    assert "You're booked" not in email.body
    assert "is cancelled" in html_part(email)
    [attachment] = email.attachments
    calendar = Calendar.from_ical(attachment.content)
    assert str(calendar["METHOD"]) == "CANCEL"
    [visit] = calendar.walk("VEVENT")
    assert str(visit["STATUS"]) == "CANCELLED"
    assert booking.reference in str(visit["UID"])


INTENT = "pi_test_0001"


@pytest.fixture
def promo_slot(promotion):
    return SlotFactory(service=promotion.service, starts_at=VISIT)


@pytest.fixture
def open_payment(stripe_recorder, promo_slot, patient) -> Payment:
    """A $99 booking held while the patient pays by Checkout."""
    booking = booking_hold(slot_id=promo_slot.pk, patient=patient, quoted_price_cents=99_00, hold_for=checkout_hold())
    checkout_start(booking=booking)
    return Payment.objects.get(booking=booking)


def test_refund_email_says_how_much_was_refunded_without_a_calendar_file(
    client, open_payment, patient, django_capture_on_commit_callbacks
):
    post_events(client, event("checkout.session.completed", paid_checkout_session(open_payment)))
    open_payment.refresh_from_db()
    assert open_payment.status == Payment.Status.PAID

    with django_capture_on_commit_callbacks(execute=True):
        refund_request(payment=open_payment, reason="Goodwill", amount_cents=40_00)

    [email] = mail.outbox
    assert email.to == [patient.email]
    assert email.subject == "Your refund from Project Performance Physical Therapy"
    assert "We have refunded $40 to the card you paid with." in email.body
    assert "$99" not in email.body
    assert private_link(open_payment.booking, Purpose.MANAGE) in email.body
    assert email.attachments == []
    assert "text/calendar" not in email.message().as_string()


def test_late_payment_email_says_the_time_was_taken_and_the_payment_refunded_in_full(
    client, open_payment, promo_slot, patient, clock, stripe_recorder, django_capture_on_commit_callbacks
):
    clock.move_to(NOW + timedelta(hours=1))  # the hold lapsed and someone else took the time
    booking_create(slot_id=promo_slot.pk, patient=DANA, quoted_price_cents=99_00)
    with django_capture_on_commit_callbacks(execute=True):
        post_events(client, event("checkout.session.completed", paid_checkout_session(open_payment)))

    [email] = to(patient.email)
    assert email.subject == "Your payment to Project Performance Physical Therapy is being refunded"
    assert "It reached us after the hold on your time (Tuesday, April 7 at 10:00 AM) had lapsed" in email.body
    assert "We have refunded the full $99 to your card." in email.body
    assert "cancelled" not in email.subject.lower()
    assert email.attachments == []
    assert [m.kind for m in Message.objects.filter(booking=open_payment.booking, channel="email")] == [
        Kind.LATE_PAYMENT
    ]
    assert len(stripe_recorder.calls("POST", "/v1/refunds")) == 1


def test_plain_text_is_not_html_escaped_and_the_html_part_escapes_it_once(service, django_capture_on_commit_callbacks):
    patient = Patient(name="D'Andre O'Neil", email="dandre@example.com", phone="+16195550144")
    book(service, patient, django_capture_on_commit_callbacks)

    [email] = to(patient.email)
    assert email.body.startswith("Hi D'Andre,")
    assert "&#x27;" not in email.body and "&amp;" not in email.body
    html = html_part(email)
    assert "Hi D&#x27;Andre," in html
    assert "&amp;#x27;" not in html
    [clinic_email] = to(CLINIC_EMAIL)
    assert "Patient: D'Andre O'Neil" in clinic_email.body


# What emails never say -----------------------------------------------------------------------------


def test_no_email_carries_health_details(clinic, patient, django_capture_on_commit_callbacks, clock):
    service = ServiceFactory(
        clinic=clinic,
        summary="For runners whose low-back or hip pain keeps coming back.",
        includes="We look at your sciatica history\nWe film your stride",
    )
    PromotionFactory(service=service, headline="Launch week for runners with low-back or hip pain")
    booking = book(service, patient, django_capture_on_commit_callbacks, price_cents=99_00)
    assert booking.promotion is not None
    clock.move_to(VISIT - timedelta(hours=24))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_queue()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, reason="Rescheduling at the patient's request")

    kinds = {m.kind for m in Message.objects.filter(channel="email", status=Status.SENT)}
    assert kinds == {Kind.CONFIRMATION, Kind.CLINIC_NEW_BOOKING, Kind.REMINDER_24H, Kind.CANCELLATION}
    assert len(mail.outbox) == 4
    for email in mail.outbox:
        seen = everything_in(email).lower()
        for word in ("pain", "sciatica", "low-back", "hurt", "injur"):
            assert word not in seen, f"{word!r} in {email.subject!r}"


def test_the_clinic_alert_for_an_incoming_text_does_not_carry_its_words(
    clinic, service, patient, settings, django_capture_on_commit_callbacks
):
    booking = book(service, patient, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    words = "My left knee still swells after long runs and the ibuprofen is not helping"

    with django_capture_on_commit_callbacks(execute=True):
        reply = inbound_text_handle(sender=patient.phone, body=words, message_sid="SM" + "1" * 32)

    assert reply is None  # answered through the outbox, by text
    assert "will reply soon" in Message.objects.get(kind=Message.Kind.AUTO_REPLY).body
    inbound = InboundText.objects.get()
    assert (inbound.body, inbound.booking) == (words, booking)
    [alert] = mail.outbox
    assert alert.to == [CLINIC_EMAIL]
    assert alert.subject == "New text to the clinic's number"
    assert f"from {patient.phone}" in alert.body
    assert booking.reference in alert.body
    conversation = Conversation.objects.get(phone=inbound.sender)
    assert f"{settings.PUBLIC_BASE_URL}/admin/texts/{conversation.pk}/" in alert.body
    seen = everything_in(alert).lower()
    for word in ("knee", "swells", "ibuprofen", "helping", "long runs"):
        assert word not in seen
