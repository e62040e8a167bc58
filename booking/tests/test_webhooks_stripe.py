"""Stripe's webhook: signed with Stripe's real scheme, replayed, reordered, late, and malformed."""

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from booking.models import Booking, Payment, Refund, StripeEvent
from booking.payments import checkout_hold, checkout_start
from booking.rules import Patient
from booking.services import booking_create, booking_hold
from booking.tests.factories import SlotFactory
from booking.tests.stripe_fakes import (
    WEBHOOK_URL,
    checkout_session,
    event,
    paid_checkout_session,
    recorded,
    signature_header,
)

pytestmark = pytest.mark.django_db

PATIENT = Patient(name="Michael Green", email="michael@example.com", phone="+16195550123")
OTHER = Patient(name="Dana Cruz", email="dana@example.com", phone="+18585550199")


def post(client, payload, *, header=None, **signing):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    headers = {} if header is False else {"HTTP_STRIPE_SIGNATURE": header or signature_header(body, **signing)}
    return client.post(WEBHOOK_URL, body, content_type="application/json", **headers)


@pytest.fixture
def slot(promotion):
    return SlotFactory(service=promotion.service)


@pytest.fixture
def payment(stripe_recorder, slot) -> Payment:
    booking = booking_hold(slot_id=slot.pk, patient=PATIENT, quoted_price_cents=99_00, hold_for=checkout_hold())
    checkout_start(booking=booking)
    return Payment.objects.get(booking=booking)


def state(payment):
    payment.refresh_from_db()
    payment.booking.refresh_from_db()
    return payment.booking.status, payment.status


# Signatures ----------------------------------------------------------------------------------------


def test_paid_session_confirms_the_booking(client, payment):
    response = post(client, event("checkout.session.completed", paid_checkout_session(payment)))
    assert response.status_code == 200
    assert state(payment) == ("confirmed", "paid")
    assert payment.payment_intent_id == "pi_test_0001"
    assert payment.paid_at is not None


@pytest.mark.parametrize(
    "signing",
    [
        {"header": False},
        {"header": "garbage"},
        {"secret": "whsec_someone_else"},
        {"timestamp": int(time.time()) - 301},  # older than Stripe's default tolerance of 300 s
    ],
    ids=["missing", "unparseable", "wrong-secret", "stale"],
)
def test_unverifiable_events_are_refused_and_change_nothing(client, payment, signing):
    response = post(client, event("checkout.session.completed", paid_checkout_session(payment)), **signing)
    assert response.status_code == 400
    assert state(payment) == ("held", "open")
    assert not StripeEvent.objects.exists()


def test_tampered_body_is_refused(client, payment):
    genuine = json.dumps(event("checkout.session.completed", checkout_session(payment)))
    header = signature_header(genuine)
    tampered = genuine.replace('"payment_status": "unpaid"', '"payment_status": "paid"')
    assert tampered != genuine
    assert post(client, tampered, header=header).status_code == 400
    assert state(payment) == ("held", "open")


@pytest.mark.parametrize(
    "body", ["{not json", "[]", '"evt"', json.dumps({"id": "evt_1", "type": "charge.refunded"})], ids=str
)
def test_malformed_signed_payloads_are_400_not_500(client, stripe_recorder, db, body):
    assert post(client, body).status_code == 400
    assert not StripeEvent.objects.exists()


def test_webhook_is_post_only_and_needs_no_csrf_token(client, stripe_recorder, payment):
    from django.test import Client

    assert client.get(WEBHOOK_URL).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, event("checkout.session.completed", paid_checkout_session(payment))).status_code == 200


def test_without_stripe_keys_the_webhook_is_not_there(client, db):
    assert post(client, event("checkout.session.completed", {"id": "cs_1"})).status_code == 404


# Once, in any order --------------------------------------------------------------------------------


def test_replayed_event_is_processed_once(client, payment):
    completed = event("checkout.session.completed", paid_checkout_session(payment))
    assert post(client, completed).status_code == 200
    Booking.objects.filter(pk=payment.booking_id).update(status=Booking.Status.ATTENDED)
    assert post(client, completed).status_code == 200
    assert StripeEvent.objects.filter(id=completed["id"]).count() == 1
    assert state(payment) == ("attended", "paid")  # the replay did not touch the booking again


def test_unknown_event_types_and_foreign_sessions_are_acknowledged(client, payment, stripe_recorder):
    assert post(client, event("customer.created", {"id": "cus_1", "object": "customer"})).status_code == 200
    # Another sale on the clinic's Stripe account, naming none of our bookings: not ours to refund.
    foreign = paid_checkout_session(
        payment, id="cs_test_not_ours", client_reference_id="SOMEONE_ELSES_APP", metadata={"order": "gift-card-17"}
    )
    assert post(client, event("checkout.session.completed", foreign)).status_code == 200
    assert state(payment) == ("held", "open")
    assert StripeEvent.objects.count() == 2
    assert Payment.objects.count() == 1
    assert not Refund.objects.exists()
    assert not stripe_recorder.calls("POST", "/v1/refunds")


def test_expired_after_completed_leaves_the_booking_confirmed(client, payment):
    post(client, event("checkout.session.completed", paid_checkout_session(payment)))
    post(client, event("checkout.session.expired", checkout_session(payment, status="expired")))
    assert state(payment) == ("confirmed", "paid")


def test_expired_before_completed_ends_confirmed_while_the_slot_is_free(client, payment):
    post(client, event("checkout.session.expired", checkout_session(payment, status="expired")))
    assert state(payment) == ("expired", "expired")
    post(client, event("checkout.session.completed", paid_checkout_session(payment)))
    assert state(payment) == ("confirmed", "paid")
    assert not Refund.objects.exists()


def test_expired_session_releases_the_slot(client, payment, slot):
    post(client, event("checkout.session.expired", checkout_session(payment, status="expired")))
    assert state(payment) == ("expired", "expired")
    assert booking_create(slot_id=slot.pk, patient=OTHER, quoted_price_cents=99_00, online=False).status == "confirmed"


def test_delayed_payment_waits_then_confirms(client, payment):
    pending = checkout_session(payment, status="complete", payment_status="unpaid", payment_intent="pi_test_0001")
    post(client, event("checkout.session.completed", pending))
    assert state(payment) == ("held", "processing")
    post(client, event("checkout.session.async_payment_succeeded", paid_checkout_session(payment)))
    assert state(payment) == ("confirmed", "paid")


def test_failed_delayed_payment_releases_the_hold(client, payment):
    pending = checkout_session(payment, status="complete", payment_status="unpaid", payment_intent="pi_test_0001")
    post(client, event("checkout.session.completed", pending))
    post(client, event("checkout.session.async_payment_failed", pending))
    assert state(payment) == ("expired", "failed")


# Late payments -------------------------------------------------------------------------------------


def test_late_payment_confirms_when_the_slot_is_still_free(client, payment):
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        post(client, event("checkout.session.completed", paid_checkout_session(payment)))
    assert state(payment) == ("confirmed", "paid")
    assert not Refund.objects.exists()


def test_late_payment_for_a_taken_slot_is_refunded_exactly_once(
    client, payment, slot, stripe_recorder, django_capture_on_commit_callbacks
):
    completed = event("checkout.session.completed", paid_checkout_session(payment))
    succeeded = event("checkout.session.async_payment_succeeded", paid_checkout_session(payment))
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        booking_create(
            slot_id=slot.pk, patient=OTHER, quoted_price_cents=99_00, online=False
        )  # the seat went to someone else
        with django_capture_on_commit_callbacks(execute=True):
            for delivery in (completed, completed, succeeded):
                assert post(client, delivery).status_code == 200

    assert state(payment) == ("cancelled", "paid")
    assert "refunded in full" in payment.booking.cancel_reason
    assert slot.bookings.filter(status="confirmed").count() == 1  # never overbooked
    [refund_call] = stripe_recorder.calls("POST", "/v1/refunds")
    assert refund_call.params["payment_intent"] == "pi_test_0001"
    assert refund_call.params["amount"] == "9900"
    assert refund_call.idempotency_key == f"late-payment-{payment.checkout_session_id}"
    refund = Refund.objects.get()
    assert (refund.amount_cents, refund.status, refund.stripe_refund_id) == (99_00, "pending", "re_test_0002")
    [notice] = mail.outbox
    assert notice.to == ["michael@example.com"]
    assert "refunded the full $99" in notice.body


def test_late_payment_after_the_last_discounted_spot_went_is_refunded(
    client, payment, promotion, stripe_recorder, django_capture_on_commit_callbacks
):
    promotion.spots = 1
    promotion.save()
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        booking_create(
            slot_id=SlotFactory(service=promotion.service).pk, patient=OTHER, quoted_price_cents=99_00, online=False
        )
        with django_capture_on_commit_callbacks(execute=True):
            post(client, event("checkout.session.completed", paid_checkout_session(payment)))
    assert state(payment) == ("cancelled", "paid")
    assert len(stripe_recorder.calls("POST", "/v1/refunds")) == 1
    assert promotion.bookings.filter(status="confirmed").count() == 1


# Refunds reported back -----------------------------------------------------------------------------


def test_charge_refunded_records_the_refund(client, payment):
    post(client, event("checkout.session.completed", paid_checkout_session(payment)))
    charge = recorded("charge")
    charge.update(payment_intent="pi_test_0001", amount_refunded=4000)
    refund = recorded("refund")
    refund.update(id="re_dash_1", amount=4000, payment_intent="pi_test_0001", status="succeeded")
    post(client, event("refund.created", refund))
    post(client, event("charge.refunded", charge))
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded_cents) == ("paid", 4000)
    assert Refund.objects.get().stripe_refund_id == "re_dash_1"

    charge["amount_refunded"] = 9900
    post(client, event("charge.refunded", charge))
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded_cents) == ("refunded", 9900)


def test_refund_updated_moves_our_refund_on(client, payment, stripe_recorder, django_capture_on_commit_callbacks):
    from booking.payments import refund_request

    post(client, event("checkout.session.completed", paid_checkout_session(payment)))
    payment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ours = refund_request(payment=payment, reason="Cancelled by the front desk", amount_cents=5000)
    ours.refresh_from_db()
    update = recorded("refund")
    update.update(id=ours.stripe_refund_id, amount=5000, payment_intent="pi_test_0001", status="succeeded")
    post(client, event("refund.updated", update))
    ours.refresh_from_db()
    assert ours.status == "succeeded"
    assert Refund.objects.count() == 1


# Signed, but odd ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        event("checkout.session.completed", {"id": "cs_1"}, event_id="evt_" + "x" * 300),
        {"id": "evt_no_type", "data": {"object": {"id": "cs_1"}}},
        {"id": "evt_no_object", "type": "checkout.session.completed", "data": {"object": "cs_1"}},
        "[" * 100_000,
    ],
    ids=["overlong-id", "no-type", "object-not-a-dict", "deeply-nested"],
)
def test_signed_but_malformed_events_are_400(client, stripe_recorder, db, payload):
    assert post(client, payload).status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "cs_" + "x" * 300},
        {"amount_total": 2**40, "id": "cs_test_unknown"},
        {"amount_total": -5, "id": "cs_test_unknown"},
        {"payment_intent": "pi_" + "x" * 300},
        {"payment_intent": None},
        {"payment_intent": 12},
        {"metadata": "not a dict"},
    ],
    ids=["overlong-session", "huge-amount", "negative-amount", "overlong-intent", "no-intent", "int-intent", "meta"],
)
def test_odd_fields_in_a_signed_event_never_500(client, payment, changes):
    response = post(client, event("checkout.session.completed", paid_checkout_session(payment, **changes)))
    assert response.status_code == 200
    assert Payment.objects.filter(amount_cents__gt=10**9).count() == 0


@pytest.mark.parametrize(
    "changes",
    [{"amount_refunded": 2**40}, {"amount_refunded": "9900"}, {"payment_intent": ["pi"]}],
    ids=["huge", "string", "list"],
)
def test_odd_charge_refunded_events_change_nothing(client, payment, changes):
    post(client, event("checkout.session.completed", paid_checkout_session(payment)))
    charge = {**recorded("charge"), "payment_intent": "pi_test_0001", **changes}
    assert post(client, event("charge.refunded", charge)).status_code == 200
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded_cents) == ("paid", 0)


def test_odd_refund_events_are_ignored(client, payment):
    post(client, event("checkout.session.completed", paid_checkout_session(payment)))
    for changes in ({"id": "re_" + "x" * 300}, {"metadata": "x"}, {"amount": -1}, {"status": "exploded"}):
        refund = {**recorded("refund"), "payment_intent": "pi_test_0001", **changes}
        assert post(client, event("refund.updated", refund)).status_code == 200
    # Only the one with a readable id, amount and status is kept, whatever its metadata.
    assert list(Refund.objects.values_list("stripe_refund_id", flat=True)) == [recorded("refund")["id"]]


# Money arriving twice -----------------------------------------------------------------------------


def test_second_paid_session_for_a_paid_booking_is_refunded_not_kept(
    client, payment, stripe_recorder, django_capture_on_commit_callbacks
):
    post(client, event("checkout.session.completed", paid_checkout_session(payment)))
    # A second session the site made for the booking (as it does for a balance), paid in full again.
    Payment.objects.create(booking=payment.booking, checkout_session_id="cs_test_second", amount_cents=99_00)
    second = paid_checkout_session(payment, id="cs_test_second", payment_intent="pi_test_second")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, event("checkout.session.completed", second)).status_code == 200
    assert state(payment) == ("confirmed", "paid")  # the booking stands on the first payment
    [refund_call] = stripe_recorder.calls("POST", "/v1/refunds")
    assert refund_call.params["payment_intent"] == "pi_test_second"
    assert refund_call.idempotency_key == "duplicate-payment-cs_test_second"


def test_payment_event_for_an_already_refunded_payment_is_acknowledged(client, payment, stripe_recorder):
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        booking_create(slot_id=payment.booking.slot_id, patient=OTHER, quoted_price_cents=99_00, online=False)
        post(client, event("checkout.session.completed", paid_checkout_session(payment)))
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.REFUNDED, amount_refunded_cents=99_00)
    Refund.objects.all().delete()
    again = event("checkout.session.async_payment_succeeded", paid_checkout_session(payment))
    assert post(client, again).status_code == 200
    assert StripeEvent.objects.filter(id=again["id"]).exists()
