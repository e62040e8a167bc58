"""Moving a visit paid online: the balance asked for on Stripe or due at the visit, and the difference refunded.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16.
A visit on PROMO_DAY (Wed April 8) at 10:00 AM may be changed online until Tue April 7, 10:00 AM.
"""

import pytest
from django.test import Client

from booking.links import manage_path
from booking.models import Booking, Payment, Refund
from booking.payments import paid_online_cents
from booking.tests.manage_helpers import (
    DANA_P,
    INTENT,
    REFUNDS,
    Kind,
    fresh,
    kinds,
    paid_online,
    session_completed,
    url,
)
from booking.tests.pages import PROMO_DAY, REGULAR_DAY, hidden_fields, says, slot_at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "offer")]

SESSIONS = ("POST", "/v1/checkout/sessions")
BALANCE_INTENT = "pi_test_balance"


def _balance_payment(booking: Booking) -> Payment:
    return booking.payments.exclude(payment_intent_id=INTENT).get()


def test_a_paid_discount_moved_outside_the_window_asks_for_the_balance_on_stripe(
    client, service, promotion, stripe_recorder, settings
):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA_P, 99_00)
    target = slot_at(service, REGULAR_DAY, 9)
    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    says(review, "You can pay the difference online next, or at the visit.")

    response = Client().post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review))

    # Moved already; the balance is asked for on Stripe's page.
    moved = fresh(booking)
    assert (moved.slot, moved.price_cents, moved.promotion, moved.status) == (target, 175_00, None, "confirmed")
    balance = _balance_payment(moved)
    assert response.status_code == 303
    assert response.url == balance.checkout_url
    assert response.url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert (balance.amount_cents, balance.status) == (76_00, Payment.Status.OPEN)
    call = stripe_recorder.calls(*SESSIONS)[-1]
    assert call.params["line_items[0][price_data][unit_amount]"] == "7600"
    assert call.params["client_reference_id"] == booking.reference
    # Stripe gets the booking's reference page, which only this browser goes on from: never a private link.
    reference_page = f"{settings.PUBLIC_BASE_URL}/booking/{booking.reference}/"
    assert call.params["success_url"] == call.params["cancel_url"] == reference_page
    says(Client().get(url(moved)), "$175, $99 paid online; $76 due at the visit")

    # Stripe says the balance is paid: kept, not refunded as a second payment.
    session_completed(client, balance, BALANCE_INTENT)

    balance.refresh_from_db()
    assert (balance.status, balance.payment_intent_id) == (Payment.Status.PAID, BALANCE_INTENT)
    assert not Refund.objects.exists()
    assert stripe_recorder.calls(*REFUNDS) == []
    assert fresh(booking).status == Booking.Status.CONFIRMED
    assert paid_online_cents(moved) == 175_00
    says(Client().get(url(moved)), "$175, paid online")


def test_cancelling_after_paying_a_balance_refunds_both_payments(
    client, service, promotion, stripe_recorder, django_capture_on_commit_callbacks
):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA_P, 99_00)
    target = slot_at(service, REGULAR_DAY, 9)
    Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "17500"})
    session_completed(client, _balance_payment(booking), BALANCE_INTENT)

    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(url(fresh(booking), "cancel/")).status_code == 302

    assert sorted(Refund.objects.values_list("amount_cents", flat=True)) == [76_00, 99_00]
    assert sorted(c.params["amount"] for c in stripe_recorder.calls(*REFUNDS)) == ["7600", "9900"]


def test_a_balance_with_stripe_off_is_due_at_the_visit(client, service, promotion, stripe_recorder, settings):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA_P, 99_00)
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    sessions_before = len(stripe_recorder.calls(*SESSIONS))
    target = slot_at(service, REGULAR_DAY, 9)

    response = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "17500"})

    moved = fresh(booking)
    assert (response.status_code, response.url) == (302, manage_path(moved))
    assert moved.slot == target
    assert len(stripe_recorder.calls(*SESSIONS)) == sessions_before
    says(Client().get(response.url), "$175, $99 paid online; $76 due at the visit")


def test_stripe_unreachable_for_the_balance_leaves_it_due_at_the_visit(client, service, promotion, stripe_recorder):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA_P, 99_00)
    target = slot_at(service, REGULAR_DAY, 9)
    stripe_recorder.fail_next(400, "invalid_request_error", "No.")

    response = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "17500"})

    moved = fresh(booking)
    assert (response.status_code, response.url) == (302, manage_path(moved))
    assert moved.slot == target
    says(Client().get(response.url), "$99 paid online; $76 due at the visit")


def test_a_move_to_a_lower_price_refunds_the_difference(
    client, service, stripe_recorder, django_capture_on_commit_callbacks
):
    booking = paid_online(client, slot_at(service, REGULAR_DAY, 9), DANA_P, 175_00)
    service.regular_price_cents = 150_00
    service.save()
    target = slot_at(service, REGULAR_DAY, 11)
    says(Client().get(url(booking, f"move/time/{target.pk}/")), "The difference is refunded to your card.")

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "15000"})

    moved = fresh(booking)
    assert (response.status_code, response.url) == (302, manage_path(moved))
    assert (moved.slot, moved.price_cents) == (target, 150_00)
    refund = Refund.objects.get()
    assert (refund.amount_cents, refund.reason) == (25_00, "Moved to a time at a lower price")
    assert [c.params["amount"] for c in stripe_recorder.calls(*REFUNDS)] == ["2500"]
    assert paid_online_cents(moved) == 150_00
    assert Kind.REFUND in kinds(booking)
