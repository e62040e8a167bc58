"""The truth when a service is down, each with the real failure.

A booking that committed lands the patient on its page, and its messages wait in the outbox for the periodic
sweep: with the broker (Redis) and the mail server on a closed port, and with Twilio answering 500. With
Stripe's API on a closed port, the hold is released at once and the page says what to do instead. No error page
says that nothing was booked when the booking may have been made.

The bookings go through the public pages with the test client, in transactions that really commit, so the tasks
queued on commit run (or fail) inside the request, as they do on the live site. The clock is frozen at
booking.tests.pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego).
"""

import logging
import socket
from datetime import timedelta

import pytest
import time_machine
from celery import Celery
from django.core import mail
from django.db import DatabaseError, transaction
from django.db.models.signals import post_save
from django.test import Client

from booking import stripe_gateway
from booking.links import manage_path
from booking.models import Booking, Payment, Refund
from booking.payments import refunds_resend_unsent
from booking.selectors import availability_for_day
from booking.tests.manage_helpers import DANA_P, fresh, paid_online, url
from booking.tests.pages import NOW, PROMO_DAY, REGULAR_DAY, confirm, does_not_say, hidden_fields, review, says, slot_at
from booking.tests.stripe_fakes import SECRET_KEY, WEBHOOK_SECRET
from config.celery import app as celery_app
from notifications.models import Message
from notifications.outbox import messages_send_due

pytestmark = pytest.mark.django_db(transaction=True)

Kind, Channel, Status = Message.Kind, Message.Channel, Message.Status
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
CLINIC_PHONE = "(619) 268-1397"  # the conftest clinic's


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def closed_port() -> int:
    """A port on this machine that nothing listens on: one the system hands out, given back at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Broker:
    """Where tasks go: to a Redis that is not there, as from a web process whose REDIS_URL points at a Redis that
    is down, or back to the tests' in-process running.

    Down is a Celery app of its own, configured from the settings as the real one is but with the broker on a
    closed port and no in-process running; it is the current app (where the tasks look theirs up) until `back`.
    """

    def __init__(self):
        self.app = Celery("clinic-broker-down", set_as_current=False)
        self.app.config_from_object("django.conf:settings", namespace="CELERY")
        self.app.conf.update(broker_url=f"redis://127.0.0.1:{closed_port()}/0", task_always_eager=False)

    def down(self):
        self.app.set_current()

    def back(self):
        celery_app.set_current()


@pytest.fixture
def broker():
    broker = Broker()
    try:
        yield broker
    finally:
        broker.back()
        broker.app.close()


def outbox(booking: Booking) -> set[tuple]:
    return {(m.kind, m.channel, m.recipient, m.status) for m in booking.messages.all()}


def book_on_the_pages(client, slot):
    return confirm(client, slot, hidden_fields(review(client, slot)))


def landed_on_its_page(client, response) -> Booking:
    """The confirm POST took the patient to their booking's page, which says they are booked."""
    booking = Booking.objects.get()
    assert response.status_code == 302, response.content.decode()
    assert response.url == manage_path(booking)
    says(client.get(response.url), "You’re booked, Michael")
    assert booking.status == Booking.Status.CONFIRMED
    return booking


# The broker ----------------------------------------------------------------------------------------


def test_with_the_broker_down_a_booking_lands_on_its_page_and_its_messages_wait_for_the_sweep(
    client, service, promotion, broker, clock, caplog
):
    slot = slot_at(service, REGULAR_DAY, 10)  # booked at once (a discounted spot waits for the mobile's code)
    fields = hidden_fields(review(client, slot))
    broker.down()
    with caplog.at_level(logging.WARNING, logger="clinic.queue"):
        response = confirm(client, slot, fields)

    booking = landed_on_its_page(client, response)
    assert booking.price_cents == 175_00
    # The broker refused the task (the test did not just miss it): its messages wait, none tried yet.
    assert "Could not queue notifications.tasks.send_messages" in caplog.text
    assert "Connection refused" in caplog.text
    assert outbox(booking) == {
        (Kind.CONFIRMATION, Channel.EMAIL, "michael@example.com", Status.QUEUED),
        (Kind.CONFIRMATION, Channel.SMS, "+16195550123", Status.QUEUED),
        (Kind.CLINIC_NEW_BOOKING, Channel.EMAIL, "admin@projectperformancept.com", Status.QUEUED),
    }
    assert {m.attempts for m in booking.messages.all()} == {0}
    assert mail.outbox == []

    # A second click finds the booking: not a second one, nor a refusal.
    assert confirm(client, slot, fields).url == manage_path(booking)
    assert Booking.objects.count() == 1

    # The sweep, while the broker is still down, gives up at its first refusal and leaves them all waiting.
    clock.shift(timedelta(minutes=1))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="clinic.queue"):
        assert messages_send_due() == 0
    assert caplog.text.count("Could not queue notifications.tasks.send_message;") == 1
    assert {m.status for m in booking.messages.all()} == {Status.QUEUED}

    # The broker is back: the next sweep sends them.
    broker.back()
    assert messages_send_due() == 3
    assert {(m.status, m.attempts) for m in booking.messages.all()} == {(Status.SENT, 1)}
    assert sorted(email.to[0] for email in mail.outbox) == ["admin@projectperformancept.com", "michael@example.com"]


def test_with_the_broker_down_a_cancellation_is_made_and_its_refund_and_messages_wait_for_the_sweeps(
    client, service, promotion, stripe_recorder, broker, clock, caplog
):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA_P, 99_00)
    mail.outbox.clear()
    broker.down()
    with caplog.at_level(logging.WARNING, logger="clinic.queue"):
        response = Client().post(url(booking, "cancel/"))

    assert response.status_code == 302
    says(Client().get(response.url), "This visit is cancelled")
    assert fresh(booking).status == Booking.Status.CANCELLED
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.REQUESTED
    assert stripe_recorder.calls("POST", "/v1/refunds") == []
    for task in ("refund_submit", "send_messages", "offer_freed_spots"):  # the refund, the notices, the waiting list
        assert f"tasks.{task}; its periodic sweep will do it" in caplog.text
    waiting = booking.messages.filter(kind__in=[Kind.CANCELLATION, Kind.REFUND])
    assert {(m.kind, m.status) for m in waiting} == {(Kind.CANCELLATION, Status.QUEUED), (Kind.REFUND, Status.QUEUED)}

    # The broker is back: the refunds sweep asks Stripe (under the refund's own key), the messages sweep sends.
    broker.back()
    clock.shift(timedelta(minutes=16))
    assert refunds_resend_unsent() == 1
    [call] = stripe_recorder.calls("POST", "/v1/refunds")
    assert (call.idempotency_key, call.params["amount"]) == (refund.idempotency_key, "9900")
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING
    assert messages_send_due() == 3  # the patient's two, and the clinic told of the online cancellation
    assert {m.status for m in waiting.all()} == {Status.SENT}
    assert sorted(email.subject for email in mail.outbox) == [
        "Changed online by the patient: visit Wed Apr 8, 10:00 AM",
        "Your refund from Project Performance Physical Therapy",
        "Your visit on Wed Apr 8, 10:00 AM is cancelled",
    ]


# The mail server and Twilio, run in-process --------------------------------------------------------


def test_with_the_mail_server_down_a_booking_lands_on_its_page_and_its_emails_wait_for_a_retry(
    client, service, promotion, settings, clock
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    booking = landed_on_its_page(client, book_on_the_pages(client, slot_at(service, REGULAR_DAY, 10)))

    emails = booking.messages.filter(channel=Channel.EMAIL)
    for email in emails:
        assert (email.status, email.attempts) == (Status.QUEUED, 1)
        assert email.last_error == "Could not reach the mail server: ConnectionRefusedError"
        assert NOW + timedelta(seconds=45) <= email.send_after <= NOW + timedelta(seconds=75)
    assert booking.messages.get(channel=Channel.SMS).status == Status.SENT  # the text went its own way

    # The mail server is back: the sweep sends them at their retry time.
    settings.EMAIL_BACKEND = LOCMEM
    clock.shift(timedelta(minutes=2))
    assert messages_send_due() == 2
    assert {(m.status, m.attempts) for m in emails.all()} == {(Status.SENT, 2)}
    assert sorted(email.to[0] for email in mail.outbox) == ["admin@projectperformancept.com", "michael@example.com"]


def test_with_twilio_answering_500_a_booking_lands_on_its_page_and_its_text_waits_for_a_retry(
    client, service, promotion, twilio_recorder, clock
):
    twilio_recorder.fail_next(500, 20500, "Internal Server Error")

    booking = landed_on_its_page(client, book_on_the_pages(client, slot_at(service, REGULAR_DAY, 10)))

    text = booking.messages.get(channel=Channel.SMS)
    assert (text.status, text.attempts, text.last_error) == (Status.QUEUED, 1, "Twilio answered 500 (error 20500)")
    assert {m.status for m in booking.messages.filter(channel=Channel.EMAIL)} == {Status.SENT}

    clock.shift(timedelta(minutes=2))
    assert messages_send_due() == 1
    text.refresh_from_db()
    assert (text.status, text.attempts) == (Status.SENT, 2)
    assert [t.data["To"] for t in twilio_recorder.texts] == ["+16195550123", "+16195550123"]


# Stripe --------------------------------------------------------------------------------------------


def test_with_stripe_unreachable_the_hold_is_released_at_once_and_the_page_says_what_to_do(
    client, service, promotion, settings, monkeypatch, caplog
):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = SECRET_KEY, WEBHOOK_SECRET
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", None)  # the stripe library's own client, over the network
    slot = slot_at(service, PROMO_DAY, 10)

    with caplog.at_level(logging.WARNING, logger="booking.payments.checkout"):
        response = book_on_the_pages(client, slot)

    assert "failed: APIConnectionError" in caplog.text  # refused at the network, after the library's retries
    says(response, "We could not reach our payment provider. Nothing was charged", status=503)
    says(
        response,
        f"Please try again in a few minutes, or call or text {CLINIC_PHONE}: "
        "we can book the time for you, and you pay at the visit.",
        status=503,
    )
    assert Booking.objects.get().status == Booking.Status.EXPIRED
    assert not Payment.objects.exists()
    assert not Booking.objects.filter(status=Booking.Status.CONFIRMED).exists()
    # Released at once: the time and its discounted price are offered again now, not when the hold would lapse.
    [option] = availability_for_day(service=service, day=PROMO_DAY, now=NOW)
    assert (option.slot, option.price_cents) == (slot, 99_00)


# The error page ------------------------------------------------------------------------------------


def test_an_error_after_the_booking_committed_shows_a_page_that_does_not_say_nothing_was_booked(service, promotion):
    def after_commit():
        raise DatabaseError("the connection went away after the commit")

    def on_save(sender, instance, created, **kwargs):
        if instance.status == Booking.Status.CONFIRMED:  # the hold, booked
            transaction.on_commit(after_commit)

    browser = Client(raise_request_exception=False)  # as a browser sees it: the 500 page
    slot = slot_at(service, REGULAR_DAY, 10)
    post_save.connect(on_save, sender=Booking, dispatch_uid="test-after-commit")
    try:
        response = book_on_the_pages(browser, slot)
    finally:
        post_save.disconnect(dispatch_uid="test-after-commit", sender=Booking)

    assert Booking.objects.get().status == Booking.Status.CONFIRMED
    says(response, "Something went wrong on our side", status=500)
    says(response, "If you were booking, your booking may have gone through", status=500)
    says(response, f"call or text {CLINIC_PHONE} and we will check for you", status=500)
    does_not_say(response, "othing was booked")
