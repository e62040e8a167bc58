"""Booking with Stripe keys set: the confirm step holds the slot and sends the patient to Checkout."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from booking.links import manage_path
from booking.models import Booking, Payment
from booking.tests import pages
from booking.tests.factories import SlotFactory
from booking.tests.pages import type_code

pytestmark = pytest.mark.django_db

DETAILS = {"name": "Michael Green", "email": "michael@example.com", "phone": "(619) 555-0123", "sms_consent": "True"}


def confirm(client, slot, price_cents=99_00, **overrides):
    """Choose the time, type the details and confirm at `price_cents` (a second call confirms again)."""
    details = pages.post_details(client, slot, {**DETAILS, **overrides})
    assert details.status_code in (302, 303), details.content.decode()
    return pages.confirm(client, slot, {"quoted_price_cents": price_cents})


@pytest.fixture
def slot(promotion):
    return SlotFactory(service=promotion.service)


def test_confirm_holds_the_slot_and_redirects_to_one_checkout_session(client, stripe_recorder, slot, settings):
    settings.PUBLIC_BASE_URL = "https://book.example.com"
    with time_machine.travel(timezone.now(), tick=False):
        response = confirm(client, slot)
        now = timezone.now()

    booking = Booking.objects.get()
    payment = Payment.objects.get()
    assert response.status_code == 303
    assert (
        response["Location"]
        == payment.checkout_url
        == f"https://checkout.stripe.com/c/pay/{payment.checkout_session_id}"
    )
    assert booking.status == Booking.Status.HELD
    # Stripe's earliest session expiry is 30 minutes: the hold lasts as long as the session.
    assert booking.hold_expires_at == now + timedelta(minutes=31)

    [request] = stripe_recorder.calls("POST", "/v1/checkout/sessions")
    assert request.idempotency_key == f"checkout-{booking.reference}"
    assert request.params == {
        "mode": "payment",
        "payment_method_types[0]": "card",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "9900",
        "line_items[0][price_data][product_data][name]": "Active Back & Hip Reset Assessment",
        "customer_email": "michael@example.com",
        "client_reference_id": booking.reference,
        "metadata[booking_reference]": booking.reference,
        "payment_intent_data[metadata][booking_reference]": booking.reference,
        "expires_at": str(int(booking.hold_expires_at.timestamp())),
        "success_url": f"https://book.example.com/booking/{booking.reference}/paid/",
        "cancel_url": f"https://book.example.com/booking/{booking.reference}/payment-cancelled/",
    }
    assert (payment.booking, payment.amount_cents, payment.status) == (booking, 99_00, Payment.Status.OPEN)


def test_longer_hold_setting_sets_the_session_expiry(client, stripe_recorder, slot, settings):
    settings.BOOKING_HOLD_MINUTES = 45
    confirm(client, slot)
    booking = Booking.objects.get()
    assert booking.hold_expires_at - booking.created_at > timedelta(minutes=44)
    [request] = stripe_recorder.requests
    assert request.params["expires_at"] == str(int(booking.hold_expires_at.timestamp()))


def test_regular_price_is_charged_outside_the_offer(client, stripe_recorder, promotion):
    slot = SlotFactory(service=promotion.service, starts_at=timezone.now() + timedelta(days=20))
    assert confirm(client, slot, price_cents=175_00).status_code == 303
    assert stripe_recorder.requests[0].params["line_items[0][price_data][unit_amount]"] == "17500"


def test_a_second_click_on_confirm_reuses_the_hold_and_the_session(client, stripe_recorder, slot):
    first = confirm(client, slot)
    second = confirm(client, slot)
    assert second.status_code == 303
    assert second["Location"] == first["Location"]
    assert Booking.objects.count() == 1
    assert len(stripe_recorder.calls("POST", "/v1/checkout/sessions")) == 1


def test_a_retried_session_request_reuses_its_idempotency_key(client, stripe_recorder, slot):
    stripe_recorder.fail_next(500)
    assert confirm(client, slot).status_code == 303
    attempts = stripe_recorder.calls("POST", "/v1/checkout/sessions")
    assert len(attempts) == 2
    assert attempts[0].idempotency_key == attempts[1].idempotency_key == f"checkout-{Booking.objects.get().reference}"
    assert Payment.objects.count() == 1


def test_stripe_unreachable_releases_the_hold_and_says_nothing_was_charged(client, stripe_recorder, slot):
    stripe_recorder.fail_next(500, times=3)
    response = confirm(client, slot)
    assert response.status_code == 503
    assert "Nothing was charged" in response.content.decode()
    assert Booking.objects.get().status == Booking.Status.EXPIRED
    assert not Payment.objects.exists()
    # The slot is free again for the next try.
    stripe_recorder.failures.clear()
    assert confirm(client, slot).status_code == 303


def test_the_redirect_back_never_confirms(client, stripe_recorder, slot):
    confirm(client, slot)
    booking = Booking.objects.get()
    response = client.get(f"/booking/{booking.reference}/paid/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Payment received, confirming your booking" in page
    # It looks again by itself without reloading (a reload every few seconds would move a screen reader's place),
    # and offers the patient a link to look again now.
    assert 'http-equiv="refresh"' not in page
    assert '<script src="/static/js/checkout-wait.js" defer></script>' in page
    assert f'<a href="/booking/{booking.reference}/paid/">Check now</a>' in page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.HELD


def test_success_page_becomes_the_confirmation_once_confirmed(client, stripe_recorder, slot):
    confirm(client, slot)
    booking = Booking.objects.get()
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CONFIRMED)
    Payment.objects.update(status=Payment.Status.PAID)
    response = client.get(f"/booking/{booking.reference}/paid/", follow=True)
    # The browser that booked goes on from the reference page to the booking's private page.
    assert response.redirect_chain == [(f"/booking/{booking.reference}/", 302), (manage_path(booking), 302)]
    page = response.content.decode()
    assert "You’re booked, Michael" in page
    assert "paid online" in page
    assert "due at the visit" not in page


def test_cancel_page_expires_the_session_and_releases_the_slot_at_once(client, stripe_recorder, slot):
    confirm(client, slot)
    booking = Booking.objects.get()
    payment = Payment.objects.get()

    response = client.get(f"/booking/{booking.reference}/payment-cancelled/")

    assert response.status_code == 200
    assert "Nothing was charged" in response.content.decode()
    assert [r.path for r in stripe_recorder.requests][
        -1
    ] == f"/v1/checkout/sessions/{payment.checkout_session_id}/expire"
    booking.refresh_from_db()
    payment.refresh_from_db()
    assert (booking.status, payment.status) == (Booking.Status.EXPIRED, Payment.Status.EXPIRED)
    # Someone else can have the time straight away.
    other = confirm(client, slot, email="dana@example.com", phone="(858) 555-0199")
    assert other.status_code == 303


def test_cancel_page_keeps_the_hold_when_the_session_was_paid_meanwhile(client, stripe_recorder, slot):
    confirm(client, slot)
    booking = Booking.objects.get()
    payment = Payment.objects.get()
    stripe_recorder.sessions[payment.checkout_session_id]["status"] = "complete"  # paid in another tab
    stripe_recorder.fail_next(400, code="invalid_request_error", message="This session is not open.")

    response = client.get(f"/booking/{booking.reference}/payment-cancelled/")

    assert response.status_code == 200
    assert "We could not cancel the payment yet" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.HELD  # the completed session's webhook confirms it
    assert Payment.objects.get().status == Payment.Status.OPEN


def test_cancel_page_releases_when_stripe_says_the_session_already_expired(client, stripe_recorder, slot):
    confirm(client, slot)
    booking = Booking.objects.get()
    payment = Payment.objects.get()
    stripe_recorder.sessions[payment.checkout_session_id]["status"] = "expired"
    stripe_recorder.fail_next(400, code="invalid_request_error", message="This session is not open.")

    assert "Nothing was charged" in client.get(f"/booking/{booking.reference}/payment-cancelled/").content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED


def test_release_button_on_the_booking_page_posts(client, stripe_recorder, slot):
    confirm(client, slot)
    booking = Booking.objects.get()
    page = client.get(f"/booking/{booking.reference}/").content.decode()
    assert f'<form method="post" action="/booking/{booking.reference}/payment-cancelled/">' in page
    assert client.post(f"/booking/{booking.reference}/payment-cancelled/").status_code == 200
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED


def test_someone_else_typing_the_same_details_does_not_get_the_patients_checkout(client, stripe_recorder, slot):
    from django.test import Client

    confirm(client, slot)
    other_browser = Client()
    response = pages.choose(other_browser, slot)
    assert response.status_code == 409  # the time is held: no link to the first patient's payment page
    assert "checkout.stripe.com" not in response.content.decode()
    assert len(stripe_recorder.calls("POST", "/v1/checkout/sessions")) == 1


def test_cancel_page_for_a_confirmed_booking_changes_nothing(client, stripe_recorder, slot):
    confirm(client, slot)
    booking = Booking.objects.get()
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CONFIRMED)
    requests_before = len(stripe_recorder.requests)
    response = client.get(f"/booking/{booking.reference}/payment-cancelled/")
    assert response.status_code == 302
    assert len(stripe_recorder.requests) == requests_before
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_held_booking_page_offers_to_continue_paying(client, stripe_recorder, slot):
    confirm(client, slot)
    booking = Booking.objects.get()
    page = client.get(f"/booking/{booking.reference}/").content.decode()
    assert "We’re holding this time for you" in page
    assert Payment.objects.get().checkout_url in page


def test_review_step_says_payment_is_online(client, stripe_recorder, slot):
    page = pages.review(client, slot, DETAILS).content.decode()
    assert "Continue to payment: $99" in page
    assert "due at the visit" not in page


def test_without_keys_payment_is_due_at_the_visit(client, slot):
    page = pages.review(client, slot, DETAILS).content.decode()
    assert "Payment of <strong>$99</strong> is due at the visit." in page
    response = confirm(client, slot)
    assert response.status_code == 302
    response = type_code(client, Booking.objects.get())  # a discounted spot: the code texted to the mobile
    assert response.status_code == 302
    assert Booking.objects.get().status == Booking.Status.CONFIRMED
    assert not Payment.objects.exists()
    assert "due at the visit" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("path", ["/booking/NOPE/paid/", "/booking/NOPE/payment-cancelled/"])
def test_unknown_reference_on_return_pages_is_404(client, stripe_recorder, path):
    assert client.get(path).status_code == 404


def test_stripe_api_base_points_the_client_at_a_mock_server(client, stripe_recorder, slot, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111"
    confirm(client, slot)
    [request] = stripe_recorder.requests
    assert request.url == "http://127.0.0.1:12111/v1/checkout/sessions"


def test_requests_go_to_stripe_by_default(client, stripe_recorder, slot):
    confirm(client, slot)
    assert stripe_recorder.requests[0].url == "https://api.stripe.com/v1/checkout/sessions"
