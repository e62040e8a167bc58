"""Texts to patients: what goes to Twilio, sent exactly once, retried or given up, and never to an opted-out number.

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego; the visit is on
Wednesday 2026-04-08 at 10:00 AM (clinic time), so reminders and quiet hours
fall at known times. Texts go through the real twilio Client over a recorder.
"""

import re
from datetime import date, timedelta

import pytest
import requests
import time_machine
from django.core import mail
from django.utils import timezone

from booking.links import Purpose, private_link
from booking.models import Booking, Payment, Refund
from booking.rules import Patient
from booking.services import booking_cancel, booking_create
from booking.tests.factories import BookingFactory, SlotFactory, local
from notifications import tasks
from notifications.gsm import is_gsm7, segments
from notifications.models import Message, OptOut
from notifications.notices import (
    notify_booking_confirmed,
    notify_booking_rescheduled,
    notify_late_payment_refunded,
    notify_refund,
)
from notifications.outbox import messages_send_due, sms_opt_out
from notifications.reminders import reminders_queue
from notifications.tests.twilio_fakes import ACCOUNT_SID, FROM_NUMBER
from notifications.transports import text_as_sent

pytestmark = pytest.mark.django_db

BASE = "https://book.example.com"
MONDAY, TUESDAY, WEDNESDAY = date(2026, 4, 6), date(2026, 4, 7), date(2026, 4, 8)
NOW = local(MONDAY, 8)
VISIT = local(WEDNESDAY, 10)
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
SMS, EMAIL = Message.Channel.SMS, Message.Channel.EMAIL

# Failures worth another try: Twilio's 5xx and 429 answers, and a network that drops the request.
TRANSIENT = {
    "twilio-500": lambda recorder: recorder.fail_next(500, 20500, "Internal Server Error"),
    "twilio-503": lambda recorder: recorder.fail_next(503, 20503, "Service Unavailable"),
    "twilio-429": lambda recorder: recorder.fail_next(429, 20429, "Too Many Requests"),
    "connection-error": lambda recorder: recorder.raise_next(requests.ConnectionError("Connection reset by peer")),
}


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def slot(clock, service):
    return SlotFactory(service=service, starts_at=VISIT)


def book(capture, slot, patient: Patient, *, execute: bool = True) -> Booking:
    """Book and confirm at the regular price, as the details page does; with `execute`, what it queued is sent."""
    with capture(execute=execute):
        return booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=slot.service.regular_price_cents)


def sms_row(booking: Booking, kind: str = Message.Kind.CONFIRMATION) -> Message:
    return Message.objects.get(booking=booking, channel=SMS, kind=kind)


def emails_to(address: str) -> list:
    return [email for email in mail.outbox if email.to == [address]]


# What goes to Twilio -----------------------------------------------------------------------------


def test_confirmed_booking_sends_one_text_through_twilio_with_the_booking_facts(
    django_capture_on_commit_callbacks, twilio_recorder, clock, service, clinic, patient
):
    early = SlotFactory(service=service, starts_at=local(WEDNESDAY, 7))

    booking = book(django_capture_on_commit_callbacks, early, patient)

    assert len(twilio_recorder.texts) == 1
    request = twilio_recorder.texts[0]
    assert request.method == "POST"
    assert request.url == MESSAGES_URL
    assert request.data["To"] == "+16195550123"
    assert request.data["From"] == FROM_NUMBER
    assert "MessagingServiceSid" not in request.data
    assert request.data["StatusCallback"] == f"{BASE}/webhooks/twilio/status/"
    body = request.data["Body"]
    assert "Michael" in body
    assert "Wed Apr 8" in body
    assert "7:00 AM" in body  # clinic time, not UTC (2:00 PM)
    assert clinic.name in body
    assert "4901 Morena Blvd" in body
    assert private_link(booking, Purpose.MANAGE) in body
    assert "Reply STOP to opt out" in body
    assert is_gsm7(body)
    assert segments(body) <= 2

    sms = sms_row(booking)
    assert sms.body == body.replace(private_link(booking, Purpose.MANAGE), "[[link:manage]]")  # no link is kept
    assert sms.recipient == "+16195550123"
    assert sms.status == Message.Status.SENT
    assert sms.provider_id == "SM00000000000000000000000000000001"
    assert sms.attempts == 1
    assert sms.sent_at == timezone.now()


def test_messaging_service_sends_the_text_without_a_from_number(
    django_capture_on_commit_callbacks, twilio_recorder, settings, slot, patient
):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "b" * 32

    booking = book(django_capture_on_commit_callbacks, slot, patient)

    [request] = twilio_recorder.texts
    assert request.data["MessagingServiceSid"] == "MG" + "b" * 32
    assert "From" not in request.data
    assert request.data["To"] == patient.phone
    assert request.data["StatusCallback"] == f"{BASE}/webhooks/twilio/status/"
    assert sms_row(booking).status == Message.Status.SENT


def test_booking_without_sms_consent_gets_email_and_no_text(
    django_capture_on_commit_callbacks, twilio_recorder, slot, clinic
):
    dana = Patient(name="Dana Cruz", email="dana@example.com", phone="+18585550199", sms_consent=False)

    booking = book(django_capture_on_commit_callbacks, slot, dana)

    assert twilio_recorder.texts == []
    assert not Message.objects.filter(channel=SMS).exists()
    assert Message.objects.get(booking=booking, channel=EMAIL, kind=Message.Kind.CONFIRMATION).status == "sent"
    [confirmation] = emails_to("dana@example.com")
    assert confirmation.subject == "You're booked: Wed Apr 8, 10:00 AM"
    assert len(emails_to(clinic.email)) == 1  # the clinic's new-booking alert


def test_text_is_gsm7_even_when_the_names_are_not(django_capture_on_commit_callbacks, twilio_recorder, slot):
    clinic = slot.service.clinic
    clinic.name = "O’Brien – Performance Physio"
    clinic.save()
    zoe = Patient(name="Zoë Łukasz", email="zoe@example.com", phone="+16195550177", sms_consent=True)

    book(django_capture_on_commit_callbacks, slot, zoe)

    [request] = twilio_recorder.texts
    body = request.data["Body"]
    assert is_gsm7(body), body
    assert body.startswith("O'Brien - Performance Physio: Zoe, you're booked for Wed Apr 8 at 10:00 AM")
    assert segments(body) <= 2


def test_text_shows_names_as_written_not_html_escaped(django_capture_on_commit_callbacks, twilio_recorder, slot):
    clinic = slot.service.clinic
    clinic.name = "Smith & Jones Physical Therapy"
    clinic.save()
    dandre = Patient(name="D'Andre Jones", email="dandre@example.com", phone="+16195550188", sms_consent=True)

    book(django_capture_on_commit_callbacks, slot, dandre)

    [request] = twilio_recorder.texts
    assert request.data["Body"].startswith("Smith & Jones Physical Therapy: D'Andre, you're booked")


# Exactly once ------------------------------------------------------------------------------------


def test_send_task_run_twice_for_the_same_row_sends_one_text(
    django_capture_on_commit_callbacks, twilio_recorder, clock, slot, patient
):
    with django_capture_on_commit_callbacks() as callbacks:
        booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    sms = sms_row(booking)
    assert sms.status == Message.Status.QUEUED

    tasks.send_message.delay(sms.pk)
    tasks.send_message.delay(sms.pk)
    for callback in callbacks:  # the task queued on commit arrives too
        callback()

    assert len(twilio_recorder.texts) == 1
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (Message.Status.SENT, 1)


def test_sweep_right_after_the_send_sends_nothing_more(
    django_capture_on_commit_callbacks, twilio_recorder, clock, slot, patient
):
    booking = book(django_capture_on_commit_callbacks, slot, patient)
    assert len(twilio_recorder.texts) == 1

    clock.shift(timedelta(seconds=31))
    assert messages_send_due() == 0
    clock.shift(timedelta(hours=1))
    assert messages_send_due() == 0

    assert len(twilio_recorder.texts) == 1
    sms = sms_row(booking)
    assert (sms.status, sms.attempts) == (Message.Status.SENT, 1)


def test_sweep_sends_a_text_whose_task_was_lost_and_the_late_task_sends_nothing(
    django_capture_on_commit_callbacks, twilio_recorder, clock, slot, patient
):
    with django_capture_on_commit_callbacks() as callbacks:
        booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)

    clock.shift(timedelta(seconds=29))
    assert messages_send_due() == 0  # too fresh: its on-commit task may still come
    assert twilio_recorder.texts == []

    clock.shift(timedelta(seconds=2))
    assert messages_send_due() == 3  # patient's text and email, the clinic's email
    for callback in callbacks:
        callback()

    assert len(twilio_recorder.texts) == 1
    assert sms_row(booking).status == Message.Status.SENT


def test_text_left_sending_by_a_dead_worker_is_never_resent_and_is_failed_after_ten_minutes(
    django_capture_on_commit_callbacks, twilio_recorder, clock, slot, patient
):
    with django_capture_on_commit_callbacks() as callbacks:
        booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    sms = sms_row(booking)
    # The worker dies while Twilio has the request: it may or may not have gone out.
    twilio_recorder.raise_next(RuntimeError("worker killed mid-request"))
    with pytest.raises(RuntimeError):
        tasks.send_message.delay(sms.pk)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (Message.Status.SENDING, 1)

    tasks.send_message.delay(sms.pk)  # the broker redelivers the task
    for callback in callbacks:
        callback()
    clock.shift(timedelta(minutes=9, seconds=59))
    messages_send_due()
    sms.refresh_from_db()
    assert sms.status == Message.Status.SENDING

    clock.shift(timedelta(seconds=2))
    messages_send_due()
    sms.refresh_from_db()
    assert sms.status == Message.Status.FAILED
    assert "may or may not have gone out" in sms.last_error

    clock.shift(timedelta(days=1))
    assert messages_send_due() == 0
    assert len(twilio_recorder.texts) == 1  # only the request the dead worker made
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (Message.Status.FAILED, 1)


# Transient failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("fail", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_transient_failure_requeues_the_text_and_the_sweep_sends_it_once_later(
    fail, django_capture_on_commit_callbacks, twilio_recorder, clock, slot, patient
):
    fail(twilio_recorder)

    booking = book(django_capture_on_commit_callbacks, slot, patient)

    sms = sms_row(booking)
    assert sms.status == Message.Status.QUEUED
    assert sms.attempts == 1
    assert sms.last_error
    assert sms.provider_id == ""
    assert timedelta(seconds=45) <= sms.send_after - timezone.now() <= timedelta(seconds=75)

    clock.move_to(sms.send_after - timedelta(seconds=1))
    assert messages_send_due() == 0
    assert len(twilio_recorder.texts) == 1

    clock.move_to(sms.send_after)
    assert messages_send_due() == 1
    clock.shift(timedelta(minutes=5))
    assert messages_send_due() == 0

    assert len(twilio_recorder.texts) == 2
    assert twilio_recorder.texts[0].data == twilio_recorder.texts[1].data
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.last_error) == (Message.Status.SENT, 2, "")
    assert sms.provider_id.startswith("SM")


@pytest.mark.parametrize("fail", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_transient_failures_back_off_longer_each_time_and_give_up_after_five_attempts(
    fail, django_capture_on_commit_callbacks, twilio_recorder, clock, slot, patient
):
    for _ in range(5):
        fail(twilio_recorder)
    booking = book(django_capture_on_commit_callbacks, slot, patient)
    sms = sms_row(booking)

    # Backoff with jitter: about 1, 2, 4, 8 minutes, each within 25%.
    expected = [60, 120, 240, 480]
    delays = []
    for attempt, seconds in enumerate(expected, start=1):
        sms.refresh_from_db()
        assert (sms.status, sms.attempts) == (Message.Status.QUEUED, attempt)
        delay = (sms.send_after - timezone.now()).total_seconds()
        assert seconds * 0.75 <= delay <= seconds * 1.25
        delays.append(delay)
        clock.move_to(sms.send_after)
        assert messages_send_due() == 1
    assert delays == sorted(delays)

    sms.refresh_from_db()
    assert sms.status == Message.Status.FAILED
    assert sms.attempts == 5
    assert sms.last_error.startswith("Gave up after 5 attempts")
    assert len(twilio_recorder.texts) == 5

    clock.shift(timedelta(days=2))
    assert messages_send_due() == 0
    tasks.send_message.delay(sms.pk)
    assert len(twilio_recorder.texts) == 5
    sms.refresh_from_db()
    assert sms.status == Message.Status.FAILED


# Permanent failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, message",
    [(21211, "Invalid 'To' Phone Number"), (21614, "'To' number is not a valid mobile number")],
)
def test_permanent_twilio_error_fails_the_text_without_retrying(
    code, message, django_capture_on_commit_callbacks, twilio_recorder, clock, slot, patient
):
    twilio_recorder.fail_next(400, code, message)

    booking = book(django_capture_on_commit_callbacks, slot, patient)

    sms = sms_row(booking)
    assert sms.status == Message.Status.FAILED
    assert sms.attempts == 1
    assert f"Twilio error {code}" in sms.last_error
    assert not OptOut.objects.exists()

    clock.shift(timedelta(days=1))
    assert messages_send_due() == 0
    tasks.send_message.delay(sms.pk)
    assert len(twilio_recorder.texts) == 1
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (Message.Status.FAILED, 1)


def test_twilio_opted_out_error_fails_the_text_and_suppresses_later_texts(
    django_capture_on_commit_callbacks, twilio_recorder, clock, slot, patient
):
    twilio_recorder.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")

    booking = book(django_capture_on_commit_callbacks, slot, patient)

    sms = sms_row(booking)
    assert sms.status == Message.Status.FAILED
    assert "Twilio error 21610" in sms.last_error
    assert OptOut.objects.filter(phone=patient.phone).exists()

    clock.move_to(local(TUESDAY, 10))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_queue()
        booking_cancel(booking=booking, reason="Cancelled by the front desk")
    clock.shift(timedelta(days=1))
    messages_send_due()

    assert len(twilio_recorder.texts) == 1
    later = Message.objects.filter(channel=SMS).exclude(pk=sms.pk)
    assert {m.kind for m in later} == {Message.Kind.REMINDER_24H, Message.Kind.CANCELLATION}
    assert {m.status for m in later} == {Message.Status.SUPPRESSED}


# Opted out ---------------------------------------------------------------------------------------


def test_stop_suppresses_a_text_still_queued_for_the_number(
    django_capture_on_commit_callbacks, twilio_recorder, clock, slot, patient
):
    with django_capture_on_commit_callbacks() as callbacks:
        booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)

    sms_opt_out(phone=patient.phone, keyword="STOP")
    for callback in callbacks:
        callback()
    clock.shift(timedelta(minutes=5))
    messages_send_due()

    assert twilio_recorder.texts == []
    assert sms_row(booking).status == Message.Status.SUPPRESSED
    assert len(emails_to(patient.email)) == 1


def test_after_stop_a_reminder_is_suppressed_and_its_email_still_goes(
    django_capture_on_commit_callbacks, twilio_recorder, clock, slot, patient
):
    booking = book(django_capture_on_commit_callbacks, slot, patient)
    assert len(twilio_recorder.texts) == 1
    sms_opt_out(phone=patient.phone, keyword="STOP")
    mail.outbox.clear()

    clock.move_to(local(TUESDAY, 10))  # 24 hours before the visit
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_queue() == 2
    clock.shift(timedelta(minutes=5))
    messages_send_due()

    assert len(twilio_recorder.texts) == 1
    assert sms_row(booking, Message.Kind.REMINDER_24H).status == Message.Status.SUPPRESSED
    reminder_email = Message.objects.get(booking=booking, channel=EMAIL, kind=Message.Kind.REMINDER_24H)
    assert reminder_email.status == Message.Status.SENT
    [email] = emails_to(patient.email)
    assert email.subject == "See you tomorrow: Wed Apr 8, 10:00 AM"


def test_after_stop_a_new_confirmation_is_suppressed_and_its_email_still_goes(
    django_capture_on_commit_callbacks, twilio_recorder, clock, service, slot, patient
):
    sms_opt_out(phone=patient.phone, keyword="STOP")

    booking = book(django_capture_on_commit_callbacks, slot, patient)

    assert twilio_recorder.texts == []
    sms = sms_row(booking)
    assert (sms.status, sms.attempts) == (Message.Status.SUPPRESSED, 0)
    assert Message.objects.get(booking=booking, channel=EMAIL, kind=Message.Kind.CONFIRMATION).status == "sent"
    assert len(emails_to(patient.email)) == 1


def test_number_opted_out_from_the_admin_is_not_sent_a_text_queued_before(
    django_capture_on_commit_callbacks, twilio_recorder, clock, slot, patient
):
    booking = book(django_capture_on_commit_callbacks, slot, patient)
    clock.move_to(local(MONDAY, 23))
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, reason="Cancelled by the front desk")
    sms = sms_row(booking, Message.Kind.CANCELLATION)
    assert sms.status == Message.Status.QUEUED  # held until 8:00

    OptOut.objects.create(phone=patient.phone, keyword="admin")  # added by staff in the admin
    clock.move_to(local(TUESDAY, 8))
    messages_send_due()

    assert len(twilio_recorder.texts) == 1  # the confirmation only
    sms.refresh_from_db()
    assert sms.status == Message.Status.SUPPRESSED


# Console -----------------------------------------------------------------------------------------


def test_without_twilio_credentials_the_text_is_printed_and_kept_as_sent(
    django_capture_on_commit_callbacks, capsys, slot, patient, settings
):
    settings.DEBUG = True  # make run: the console stands in for the phone, links and all
    booking = book(django_capture_on_commit_callbacks, slot, patient)

    sms = sms_row(booking)
    assert (sms.status, sms.provider_id, sms.attempts) == (Message.Status.SENT, "console", 1)
    printed = capsys.readouterr().out
    assert f"SMS to {patient.phone}:\n{text_as_sent(sms)}\n" in printed
    assert "Reply STOP to opt out" in printed


# Quiet hours -------------------------------------------------------------------------------------


def test_cancellation_at_11pm_emails_at_once_and_holds_the_text_until_8am(
    django_capture_on_commit_callbacks, twilio_recorder, clock, slot, patient
):
    booking = book(django_capture_on_commit_callbacks, slot, patient)
    assert len(twilio_recorder.texts) == 1
    mail.outbox.clear()

    clock.move_to(local(MONDAY, 23))
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, reason="Cancelled by the front desk")

    [email] = emails_to(patient.email)
    assert email.subject == "Your visit on Wed Apr 8, 10:00 AM is cancelled"
    sms = sms_row(booking, Message.Kind.CANCELLATION)
    assert sms.status == Message.Status.QUEUED
    assert sms.send_after == local(TUESDAY, 8)
    assert len(twilio_recorder.texts) == 1

    clock.move_to(local(TUESDAY, 7, 59))
    assert messages_send_due() == 0
    assert len(twilio_recorder.texts) == 1

    clock.move_to(local(TUESDAY, 8))
    assert messages_send_due() == 1
    assert len(twilio_recorder.texts) == 2
    body = twilio_recorder.texts[1].data["Body"]
    assert "Wed Apr 8 at 10:00 AM is cancelled" in body
    assert private_link(booking, Purpose.MANAGE) in body
    sms.refresh_from_db()
    assert (sms.status, sms.sent_at) == (Message.Status.SENT, local(TUESDAY, 8))


# No health details -------------------------------------------------------------------------------

HEALTH_WORDS = re.compile(
    r"\b(pain|painful|numb|numbness|tingling|bladder|bowel|injury|injured|symptoms?|diagnosis|sciatica|"
    r"surgery|fracture|pregnan\w*|medication|knee|hip|spine|back)\b",
    re.IGNORECASE,
)


def test_texts_carry_booking_facts_only_never_health_details_or_the_email(clock, slot):
    booking = BookingFactory(
        slot=slot,
        patient_name="Michael Green",
        email="michael.green.sciatica@example.com",
        phone="+16195550123",
        sms_consent=True,
        confirmed_at=timezone.now(),
    )
    payment = Payment.objects.create(
        booking=booking, checkout_session_id="cs_test_0001", amount_cents=175_00, status=Payment.Status.PAID
    )
    refund = Refund.objects.create(
        payment=payment,
        amount_cents=175_00,
        reason="Knee pain and numbness after the injury",
        idempotency_key="refund-health",
    )

    notify_booking_confirmed(booking)
    reminders_queue(now=VISIT - timedelta(hours=24))
    reminders_queue(now=VISIT - timedelta(hours=1, minutes=55))
    notify_booking_rescheduled(
        booking,
        previous_starts_at=VISIT - timedelta(days=1),
        move=booking.events.create(from_status="confirmed", to_status="confirmed"),
    )
    notify_refund(refund)
    notify_late_payment_refunded(booking)
    booking_cancel(booking=booking, reason="Back pain, numbness in the leg and bladder trouble since the injury")

    texts = list(Message.objects.filter(channel=SMS))
    assert {text.kind for text in texts} == {
        Message.Kind.CONFIRMATION,
        Message.Kind.REMINDER_24H,
        Message.Kind.REMINDER_2H,
        Message.Kind.RESCHEDULE,
        Message.Kind.REFUND,
        Message.Kind.LATE_PAYMENT,
        Message.Kind.CANCELLATION,
    }
    for text in texts:
        sent = text_as_sent(text)
        assert HEALTH_WORDS.search(sent) is None, (text.kind, sent)
        assert "@" not in sent, text.kind
        assert "Green" not in sent, text.kind  # first name only
        assert "Michael" in sent, text.kind
        assert private_link(booking, Purpose.MANAGE) in sent, text.kind
        assert sent.endswith("Reply STOP to opt out."), text.kind
        assert is_gsm7(sent), text.kind
        assert segments(sent) <= 2, text.kind
