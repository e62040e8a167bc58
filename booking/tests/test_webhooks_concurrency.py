"""Stripe delivering at the same moment, on PostgreSQL: each event counts once, a payment is refunded once."""

import json
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from booking import stripe_gateway
from booking.models import Booking, Payment, Refund, Slot, StripeEvent
from booking.payments import checkout_hold, checkout_start
from booking.rules import Patient
from booking.services import booking_create, booking_hold
from booking.tests.factories import PromotionFactory, ServiceFactory, SlotFactory
from booking.tests.stripe_fakes import StripeRecorder, event, recorded, signature_header
from booking.tests.threads import race
from clinic.tests.factories import ClinicFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PATIENT = Patient(name="Michael Green", email="michael@example.com", phone="+16195550123")


@pytest.fixture
def payment(stripe_recorder):
    service = ServiceFactory(clinic=ClinicFactory())
    PromotionFactory(service=service)
    slot = SlotFactory(service=service)
    booking = booking_hold(slot_id=slot.pk, patient=PATIENT, quoted_price_cents=99_00, hold_for=checkout_hold())
    checkout_start(booking=booking)
    return Payment.objects.get(booking=booking)


def paid(payment: Payment) -> dict:
    session = recorded("checkout_session")
    session.update(
        id=payment.checkout_session_id,
        client_reference_id=payment.booking.reference,
        metadata={"booking_reference": payment.booking.reference},
        amount_total=payment.amount_cents,
        status="complete",
        payment_status="paid",
        payment_intent="pi_test_race",
    )
    return session


def deliver(payload: dict) -> int:
    body = json.dumps(payload)
    response = Client().post(
        "/webhooks/stripe/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature_header(body)
    )
    return response.status_code


def test_one_event_delivered_ten_times_at_once_is_processed_once(payment):
    completed = event("checkout.session.completed", paid(payment))
    statuses = race([lambda: deliver(completed) for _ in range(10)])
    assert statuses == [200] * 10
    assert StripeEvent.objects.count() == 1
    booking = Booking.objects.get()
    assert (booking.status, Payment.objects.get().status) == ("confirmed", "paid")


def test_late_payment_events_racing_for_a_taken_slot_refund_once(payment, stripe_recorder):
    completed = event("checkout.session.completed", paid(payment))
    succeeded = event("checkout.session.async_payment_succeeded", paid(payment))
    other = Patient(name="Dana Cruz", email="dana@example.com", phone="+18585550199")
    later = timezone.now() + timedelta(hours=1)
    with time_machine.travel(later):
        booking_create(slot_id=payment.booking.slot_id, patient=other, quoted_price_cents=99_00, online=False)
        statuses = race([lambda e=e: deliver(e) for e in [completed, succeeded] * 5])
    assert Counter(statuses) == {200: 10}
    assert Refund.objects.count() == 1
    assert len(stripe_recorder.calls("POST", "/v1/refunds")) == 1
    assert Booking.objects.filter(slot_id=payment.booking.slot_id, status="confirmed").count() == 1


class SlotLock:
    """Another transaction holding the slot's row lock until told to let go (then doing `then`)."""

    def __init__(self, slot_id, then=None):
        self.slot_id, self.then = slot_id, then
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with transaction.atomic():
                Slot.objects.select_for_update().get(pk=self.slot_id)
                self.locked.set()
                self.release.wait(timeout=20)
                if self.then:
                    self.then()
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(timeout=10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(timeout=20)


def test_a_busy_database_makes_stripe_retry_instead_of_refunding(payment, stripe_recorder, settings):
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    completed = event("checkout.session.completed", paid(payment))
    with SlotLock(payment.booking.slot_id):
        assert deliver(completed) == 503
    assert (Booking.objects.get().status, StripeEvent.objects.count(), Refund.objects.count()) == ("held", 0, 0)
    assert deliver(completed) == 200  # Stripe's retry
    assert Booking.objects.get().status == "confirmed"


def test_a_hold_lapsing_while_the_webhook_waits_for_the_lock_is_never_overbooked(payment, stripe_recorder):
    """The webhook arrives in time but waits; meanwhile the hold lapses and someone else takes the seat."""
    slot_id = payment.booking.slot_id
    lapsed = payment.booking.hold_expires_at + timedelta(minutes=1)

    def someone_else_books():
        Booking.objects.create(
            slot_id=slot_id,
            patient_name="Dana Cruz",
            email="dana@example.com",
            phone="+18585550199",
            status=Booking.Status.CONFIRMED,
            price_cents=175_00,
            confirmed_at=timezone.now(),
        )

    statuses = []
    with time_machine.travel(timezone.now(), tick=True) as clock:
        with SlotLock(slot_id, then=someone_else_books):

            def deliver_and_hang_up():
                statuses.append(deliver(event("checkout.session.completed", paid(payment))))
                connection.close()

            webhook = threading.Thread(target=deliver_and_hang_up)
            webhook.start()
            time.sleep(0.5)  # the webhook is now queued behind the lock
            clock.move_to(lapsed)
        webhook.join(timeout=20)

    assert statuses == [200]
    assert Booking.objects.filter(slot_id=slot_id, status="confirmed").count() == 1
    assert Booking.objects.get(pk=payment.booking_id).status == "cancelled"
    assert Refund.objects.count() == 1


class SlowStripe(StripeRecorder):
    """Stripe taking its time to create a Checkout Session: answers only once told to."""

    def __init__(self):
        super().__init__()
        self.asked, self.answer = threading.Event(), threading.Event()

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        if url.endswith("/v1/checkout/sessions"):
            self.asked.set()
            assert self.answer.wait(timeout=20)
        return super().request(method, url, headers, post_data, _usage=_usage)


def wait_until_a_query_waits_for_a_lock() -> None:
    with connection.cursor() as cursor:
        for _ in range(200):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("nothing ever waited for a lock")


def test_a_paid_event_arriving_before_checkout_start_records_its_session_waits_and_confirms(
    stripe_recorder, monkeypatch
):
    """Stripe's event can beat the site's own record of a session only if checkout_start is slow to commit:
    the webhook waits on the booking's lock for that record instead of refusing a session it thinks unknown."""
    slow = SlowStripe()
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", slow)
    service = ServiceFactory(clinic=ClinicFactory())
    slot = SlotFactory(service=service)
    booking = booking_hold(slot_id=slot.pk, patient=PATIENT, quoted_price_cents=175_00, hold_for=checkout_hold())
    session = recorded("checkout_session")
    session.update(
        id="cs_test_0001",  # the recorder's first session
        client_reference_id=booking.reference,
        metadata={"booking_reference": booking.reference},
        amount_total=175_00,
        status="complete",
        payment_status="paid",
        payment_intent="pi_test_race",
    )
    statuses = []

    def start_checkout():
        try:
            checkout_start(booking=booking)
        finally:
            connection.close()

    def stripe_delivers():
        try:
            statuses.append(deliver(event("checkout.session.completed", session)))
        finally:
            connection.close()

    starting = threading.Thread(target=start_checkout)
    starting.start()
    assert slow.asked.wait(timeout=10)  # checkout_start holds the booking's lock, waiting for Stripe
    webhook = threading.Thread(target=stripe_delivers)
    webhook.start()
    wait_until_a_query_waits_for_a_lock()
    slow.answer.set()
    starting.join(timeout=20)
    webhook.join(timeout=20)

    assert statuses == [200]
    payment = Payment.objects.get()
    assert (payment.checkout_session_id, payment.status) == ("cs_test_0001", Payment.Status.PAID)
    assert Booking.objects.get().status == Booking.Status.CONFIRMED
    assert not Refund.objects.exists()
