"""Refunds through Stripe: asked for once, retried with the same key, reported back by webhook, run from the admin."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.utils import timezone

from booking import tasks
from booking.models import Payment, Refund
from booking.payments import (
    RefundError,
    checkout_hold,
    checkout_start,
    payment_refundable_cents,
    refund_request,
    refund_send,
    refunds_resend_unsent,
)
from booking.services import booking_hold
from booking.tests.factories import BookingFactory, SlotFactory
from booking.tests.stripe_fakes import event, paid_checkout_session, post_events, recorded

pytestmark = pytest.mark.django_db

INTENT = "pi_test_0001"
REFUNDS = ("POST", "/v1/refunds")
REASON = "Cancelled by the front desk"


def refund_object(refund_id: str, amount: int, status: str = "succeeded", **changes) -> dict:
    """A refund as Stripe puts it in a webhook."""
    refund = recorded("refund")
    refund.update(id=refund_id, amount=amount, payment_intent=INTENT, status=status, **changes)
    return refund


def charge_refunded(amount_refunded: int, *refunds: dict, event_id: str | None = None) -> list[dict]:
    """What Stripe sends as refunds are made: refund.created for each, then charge.refunded with the total."""
    charge = recorded("charge")
    charge.update(payment_intent=INTENT, amount=99_00, amount_refunded=amount_refunded)
    return [event("refund.created", refund) for refund in refunds] + [
        event("charge.refunded", charge, event_id=event_id)
    ]


def ask(capture, payment: Payment, **kwargs) -> Refund:
    """refund_request as the app calls it, with the submit task run when the transaction commits."""
    with capture(execute=True):
        refund = refund_request(payment=payment, reason=REASON, **kwargs)
    refund.refresh_from_db()
    return refund


@pytest.fixture
def slot(promotion):
    return SlotFactory(service=promotion.service)


@pytest.fixture
def payment(client, stripe_recorder, slot, patient) -> Payment:
    """$99 paid by Checkout, as Stripe's signed checkout.session.completed reports it."""
    booking = booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=99_00, hold_for=checkout_hold())
    checkout_start(booking=booking)
    payment = Payment.objects.get(booking=booking)
    post_events(client, event("checkout.session.completed", paid_checkout_session(payment, payment_intent=INTENT)))
    payment.refresh_from_db()
    assert (payment.status, payment.payment_intent_id, payment.amount_cents) == ("paid", INTENT, 99_00)
    return payment


def unpaid_payment(status: str, payment_intent_id: str | None = "pi_test_unpaid") -> Payment:
    booking = BookingFactory(status="held" if status == "open" else "expired")
    return Payment.objects.create(
        booking=booking,
        checkout_session_id=f"cs_test_{status}",
        amount_cents=booking.price_cents,
        status=status,
        payment_intent_id=payment_intent_id,
    )


# Asking Stripe -------------------------------------------------------------------------------------


def test_full_refund_sends_one_request_keyed_by_the_refund_row(
    payment, stripe_recorder, django_capture_on_commit_callbacks
):
    refund = ask(django_capture_on_commit_callbacks, payment)

    [call] = stripe_recorder.calls(*REFUNDS)
    assert call.params == {
        "payment_intent": INTENT,
        "amount": "9900",
        "metadata[booking_reference]": payment.booking.reference,
        "metadata[refund_key]": refund.idempotency_key,
    }
    assert call.idempotency_key == refund.idempotency_key
    assert refund.idempotency_key.startswith("refund-")
    assert (refund.amount_cents, refund.reason, refund.status) == (99_00, REASON, "pending")
    assert refund.stripe_refund_id == "re_test_0002"  # the id in Stripe's answer (cs_test_0001 was the session)
    assert refund.last_error == ""
    assert payment_refundable_cents(payment) == 0


def test_same_idempotency_key_returns_the_same_refund_and_asks_stripe_once(
    payment, stripe_recorder, django_capture_on_commit_callbacks
):
    first = ask(django_capture_on_commit_callbacks, payment, idempotency_key="desk-42")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = refund_request(payment=payment, reason=REASON, idempotency_key="desk-42")

    assert again.pk == first.pk
    assert callbacks == []
    assert Refund.objects.count() == 1
    [call] = stripe_recorder.calls(*REFUNDS)
    assert call.idempotency_key == "desk-42"
    assert call.params["metadata[refund_key]"] == "desk-42"


def test_two_partial_refunds_may_add_up_to_the_amount_and_a_third_is_refused(
    payment, stripe_recorder, django_capture_on_commit_callbacks
):
    first = ask(django_capture_on_commit_callbacks, payment, amount_cents=50_00)
    second = ask(django_capture_on_commit_callbacks, payment, amount_cents=49_00)
    assert (first.status, second.status) == ("pending", "pending")
    assert first.idempotency_key != second.idempotency_key
    assert payment_refundable_cents(payment) == 0

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RefundError, match=r"At most 0\.00 USD of this payment can still be refunded"):
            refund_request(payment=payment, reason=REASON, amount_cents=1)
        with pytest.raises(RefundError, match=r"At most 0\.00 USD"):
            refund_request(payment=payment, reason=REASON)  # "the rest" when nothing is left

    assert callbacks == []
    assert Refund.objects.count() == 2
    calls = stripe_recorder.calls(*REFUNDS)
    assert [(c.params["amount"], c.idempotency_key) for c in calls] == [
        ("5000", first.idempotency_key),
        ("4900", second.idempotency_key),
    ]


def test_a_partial_refund_larger_than_what_is_left_is_refused(
    payment, stripe_recorder, django_capture_on_commit_callbacks
):
    ask(django_capture_on_commit_callbacks, payment, amount_cents=60_00)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RefundError, match=r"At most 39\.00 USD of this payment can still be refunded"),
    ):
        refund_request(payment=payment, reason=REASON, amount_cents=39_01)

    assert callbacks == []
    assert list(Refund.objects.values_list("amount_cents", flat=True)) == [60_00]
    assert len(stripe_recorder.calls(*REFUNDS)) == 1
    # What is left can still be refunded, to the cent.
    assert ask(django_capture_on_commit_callbacks, payment).amount_cents == 39_00


@pytest.mark.parametrize("amount_cents", [0, -100])
def test_a_refund_of_nothing_or_less_is_refused(
    payment, stripe_recorder, django_capture_on_commit_callbacks, amount_cents
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RefundError, match="can still be refunded"),
    ):
        refund_request(payment=payment, reason=REASON, amount_cents=amount_cents)
    assert callbacks == []
    assert not Refund.objects.exists()
    assert stripe_recorder.calls(*REFUNDS) == []


@pytest.mark.parametrize("status", ["open", "processing", "expired", "failed"])
def test_an_unpaid_payment_cannot_be_refunded(stripe_recorder, django_capture_on_commit_callbacks, status):
    payment = unpaid_payment(status)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RefundError, match="Only a completed payment can be refunded"),
    ):
        refund_request(payment=payment, reason=REASON)
    assert callbacks == []
    assert not Refund.objects.exists()
    assert stripe_recorder.requests == []


def test_a_paid_payment_without_a_payment_intent_cannot_be_refunded(
    stripe_recorder, django_capture_on_commit_callbacks
):
    payment = unpaid_payment("paid", payment_intent_id=None)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RefundError, match="Only a completed payment can be refunded"),
    ):
        refund_request(payment=payment, reason=REASON)
    assert callbacks == []
    assert not Refund.objects.exists()
    assert stripe_recorder.requests == []


# Stripe's errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "attempts"),
    [
        # The stripe client tries a 5xx three times (max_network_retries=2) before giving up.
        (500, "api_error", 3),
        (503, "api_error", 3),
        # It does not retry a rate limit itself: the task's own retry waits it out.
        (429, "rate_limit_error", 1),
    ],
    ids=["500", "503", "429"],
)
def test_a_transient_stripe_error_retries_the_task_and_the_retry_sends_the_same_refund(
    payment, stripe_recorder, django_capture_on_commit_callbacks, status, kind, attempts
):
    stripe_recorder.fail_next(status, kind, "Try again in a moment.", times=attempts)
    # Run in-process there is no worker to retry on: the refund waits, requested, for the next try.
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(payment=payment, reason=REASON)

    refund = Refund.objects.get()
    calls = stripe_recorder.calls(*REFUNDS)
    assert len(calls) == attempts
    assert {c.idempotency_key for c in calls} == {refund.idempotency_key}
    assert {c.params["metadata[refund_key]"] for c in calls} == {refund.idempotency_key}
    assert (refund.status, refund.stripe_refund_id, refund.last_error) == ("requested", None, "")
    # Still counted against the payment: nobody can ask for the same money twice meanwhile.
    assert payment_refundable_cents(payment) == 0

    # The retry (what a worker would run after the backoff) reaches Stripe under the same key.
    tasks.refund_submit.delay(refund.pk)

    refund.refresh_from_db()
    calls = stripe_recorder.calls(*REFUNDS)
    assert len(calls) == attempts + 1
    assert (calls[-1].idempotency_key, calls[-1].params["amount"]) == (refund.idempotency_key, "9900")
    assert (refund.status, refund.stripe_refund_id, refund.last_error) == ("pending", "re_test_0002", "")
    assert Refund.objects.count() == 1


def test_when_the_task_runs_out_of_retries_the_refund_stays_requested_and_can_be_sent_later(
    payment, stripe_recorder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:  # queued, not run yet
        refund = refund_request(payment=payment, reason=REASON)
    assert [c.args[0].name for c in callbacks].count("booking.tasks.refund_submit") == 1  # task_queue(task, ...)
    stripe_recorder.fail_next(500, "api_error", "Stripe had a problem.", times=3)

    tasks.refund_submit.apply(args=[refund.pk], retries=tasks.refund_submit.max_retries)

    refund.refresh_from_db()
    assert (refund.status, refund.stripe_refund_id, refund.last_error) == ("requested", None, "")
    # The periodic sweep leaves a fresh refund to its own retries, then sends it again.
    assert refunds_resend_unsent() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert tasks.resend_unsent_refunds.apply().get() == 1

    refund.refresh_from_db()
    calls = stripe_recorder.calls(*REFUNDS)
    assert len(calls) == 4
    assert {c.idempotency_key for c in calls} == {refund.idempotency_key}
    assert (refund.status, refund.stripe_refund_id) == ("pending", "re_test_0002")


def test_stripe_refusing_the_refund_marks_it_failed_without_retrying(
    payment, stripe_recorder, django_capture_on_commit_callbacks
):
    stripe_recorder.fail_next(400, "invalid_request_error", "Charge ch_123 has already been refunded.")
    refund = ask(django_capture_on_commit_callbacks, payment)

    assert len(stripe_recorder.calls(*REFUNDS)) == 1
    assert refund.status == "failed"
    assert refund.stripe_refund_id is None
    assert refund.last_error == "Charge ch_123 has already been refunded."
    # A failed refund gives the money back to what can be refunded.
    assert payment_refundable_cents(payment) == 99_00


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "pending", "stripe_refund_id": "re_already_sent"},
        {"status": "succeeded", "stripe_refund_id": "re_already_sent"},
        {"status": "failed", "last_error": "Charge already refunded"},
        {"status": "canceled"},
    ],
    ids=["pending", "succeeded", "failed", "canceled"],
)
def test_refund_send_leaves_a_refund_past_requested_alone(payment, stripe_recorder, changes):
    refund = Refund.objects.create(payment=payment, amount_cents=99_00, reason=REASON, idempotency_key="desk-1")
    Refund.objects.filter(pk=refund.pk).update(**changes)

    refund_send(refund_id=refund.pk)
    tasks.refund_submit.delay(refund.pk)

    assert stripe_recorder.calls(*REFUNDS) == []
    refund.refresh_from_db()
    assert refund.status == changes["status"]
    assert refund.stripe_refund_id == changes.get("stripe_refund_id")


# Stripe's webhooks ---------------------------------------------------------------------------------


def test_charge_refunded_records_a_refund_made_in_the_dashboard(client, payment, stripe_recorder):
    post_events(client, *charge_refunded(99_00, refund_object("re_dash_1", 99_00)))

    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded_cents) == ("refunded", 99_00)
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount_cents, refund.status) == (payment.pk, 99_00, "succeeded")
    assert refund.stripe_refund_id == "re_dash_1"
    assert refund.reason == "Refunded in the Stripe dashboard"
    assert stripe_recorder.calls(*REFUNDS) == []  # recording it asks Stripe for nothing


def test_dashboard_refunds_in_parts_follow_the_charge_and_count_against_what_is_left(
    client, payment, stripe_recorder, django_capture_on_commit_callbacks
):
    first = refund_object("re_dash_1", 40_00)
    post_events(client, *charge_refunded(40_00, first))
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded_cents) == ("paid", 40_00)
    assert payment_refundable_cents(payment) == 59_00

    post_events(client, *charge_refunded(70_00, first, refund_object("re_dash_2", 30_00)))
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded_cents) == ("paid", 70_00)
    assert sorted(Refund.objects.values_list("stripe_refund_id", "amount_cents")) == [
        ("re_dash_1", 40_00),
        ("re_dash_2", 30_00),
    ]

    rest = ask(django_capture_on_commit_callbacks, payment)
    assert rest.amount_cents == 29_00
    assert stripe_recorder.calls(*REFUNDS)[0].params["amount"] == "2900"


def test_charge_refunded_matches_our_refund_by_the_key_in_its_metadata(client, payment, stripe_recorder):
    # Stripe made the refund but its answer never reached us: our row has no Stripe id yet.
    ours = Refund.objects.create(payment=payment, amount_cents=50_00, reason=REASON, idempotency_key="desk-7")

    reported = refund_object("re_from_stripe", 50_00, metadata={"refund_key": "desk-7"})
    post_events(client, *charge_refunded(50_00, reported))

    ours.refresh_from_db()
    assert Refund.objects.count() == 1
    assert (ours.stripe_refund_id, ours.status, ours.reason) == ("re_from_stripe", "succeeded", REASON)
    # Recorded, so the task has nothing left to send.
    refund_send(refund_id=ours.pk)
    assert stripe_recorder.calls(*REFUNDS) == []


def test_charge_refunded_arriving_late_never_lowers_the_amount_refunded(client, payment):
    part = refund_object("re_dash_1", 40_00)
    rest = refund_object("re_dash_2", 59_00)
    older = charge_refunded(40_00, part, event_id="evt_test_older")
    newer = charge_refunded(99_00, part, rest, event_id="evt_test_newer")

    post_events(client, *newer)
    post_events(client, *older)  # delivered out of order

    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded_cents) == ("refunded", 99_00)
    assert Refund.objects.count() == 2
    assert payment_refundable_cents(payment) == 0


def test_charge_refunded_arriving_late_never_moves_a_refund_back(client, payment):
    older = charge_refunded(99_00, refund_object("re_dash_1", 99_00, status="pending"), event_id="evt_test_older")
    newer = charge_refunded(99_00, refund_object("re_dash_1", 99_00, status="succeeded"), event_id="evt_test_newer")

    post_events(client, *newer)
    post_events(client, *older)  # delivered out of order

    assert Refund.objects.get().status == "succeeded"


# Admin ---------------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("desk", "desk@example.com", "a-long-test-password")
    client.force_login(user)
    return client


def run_refund_in_full(staff_client, capture, payment: Payment):
    with capture(execute=True):
        response = staff_client.post(
            "/admin/booking/payment/", {"action": "refund_in_full", "_selected_action": [payment.pk]}
        )
    assert response.status_code == 302
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def test_admin_refund_in_full_asks_stripe_once_and_says_so(
    staff_client, payment, stripe_recorder, django_capture_on_commit_callbacks
):
    messages = run_refund_in_full(staff_client, django_capture_on_commit_callbacks, payment)

    refund = Refund.objects.get()
    assert (refund.amount_cents, refund.status, refund.reason) == (99_00, "pending", "Refunded by desk")
    [call] = stripe_recorder.calls(*REFUNDS)
    assert (call.params["amount"], call.idempotency_key) == ("9900", refund.idempotency_key)
    assert messages == [("success", f"{payment.booking}: refund of $99 requested.")]


def test_admin_refund_in_full_of_an_unpaid_payment_shows_an_error_and_asks_nothing(
    staff_client, stripe_recorder, django_capture_on_commit_callbacks
):
    payment = unpaid_payment("open")
    messages = run_refund_in_full(staff_client, django_capture_on_commit_callbacks, payment)

    assert messages == [("error", f"{payment.booking}: Only a completed payment can be refunded.")]
    assert not Refund.objects.exists()
    assert stripe_recorder.requests == []


def test_admin_payment_page_links_to_stripe_dashboard(staff_client, payment, django_capture_on_commit_callbacks):
    refund = ask(django_capture_on_commit_callbacks, payment, amount_cents=20_00)
    response = staff_client.get(f"/admin/booking/payment/{payment.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="https://dashboard.stripe.com/test/checkout/sessions/{payment.checkout_session_id}"' in page
    assert f'href="https://dashboard.stripe.com/test/payments/{INTENT}"' in page
    assert f'href="https://dashboard.stripe.com/test/refunds/{refund.stripe_refund_id}"' in page


def test_admin_booking_page_links_its_payment_to_stripe_dashboard(staff_client, payment):
    response = staff_client.get(f"/admin/booking/booking/{payment.booking_id}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="https://dashboard.stripe.com/test/checkout/sessions/{payment.checkout_session_id}"' in page
    assert f'href="https://dashboard.stripe.com/test/payments/{INTENT}"' in page


def test_admin_links_go_to_live_dashboard_with_a_live_key(staff_client, payment, settings):
    settings.STRIPE_SECRET_KEY = "sk_live_clinic"
    response = staff_client.get(f"/admin/booking/payment/{payment.pk}/change/")

    assert response.status_code == 200
    assert f'href="https://dashboard.stripe.com/payments/{INTENT}"' in response.content.decode()


def test_what_is_left_counts_stripes_total_and_refunds_not_yet_sent(
    client, payment, stripe_recorder, django_capture_on_commit_callbacks
):
    post_events(client, *charge_refunded(40_00))  # a dashboard refund we have no row for yet
    payment.refresh_from_db()
    stripe_recorder.fail_next(500, times=3)
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(payment=payment, reason=REASON, amount_cents=50_00)
    assert payment_refundable_cents(payment) == 9_00
    with pytest.raises(RefundError, match=r"At most 9\.00 USD"):
        refund_request(payment=payment, reason=REASON, amount_cents=10_00)


def test_what_is_left_to_refund_takes_one_query(payment, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert payment_refundable_cents(payment) == 99_00
