"""A reference alone changes nothing: Stripe's return pages, and the booking's status by reference, act and
show more only for the browser that booked (its signed cookie); anyone else sees how the booking stands."""

import pytest
from django.test import Client

from booking.models import Booking, Payment
from booking.tests.factories import SlotFactory
from booking.tests.pages import confirm_details

pytestmark = pytest.mark.django_db

DETAILS = {"name": "Michael Green", "email": "michael@example.com", "phone": "(619) 555-0123", "sms_consent": "True"}


@pytest.fixture
def held(client, stripe_recorder, promotion) -> Booking:
    """Michael confirmed a $99 time in `client` and was sent to Stripe's page: the time is held while he pays."""
    slot = SlotFactory(service=promotion.service)
    response = confirm_details(client, slot, DETAILS)
    assert response.status_code == 303
    return Booking.objects.get()


def expired_sessions(recorder) -> list[str]:
    return [r.path for r in recorder.requests if r.path.endswith("/expire")]


def assert_status_only(response, booking: Booking) -> None:
    """How the booking stands, and nothing that opens, pays for or names it."""
    page = response.content.decode()
    payment = booking.payments.get()
    assert booking.reference in page
    assert payment.checkout_url not in page and "checkout.stripe.com" not in page
    assert "Michael" not in page and "michael@example.com" not in page
    assert "/manage/" not in page and "/intake/" not in page
    assert 'action="/booking/' not in page  # no button that releases the time
    assert "(619) 268-1397" in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_payment_cancelled_page_releases_nothing_for_another_browser(held, stripe_recorder, method):
    stranger = Client(enforce_csrf_checks=True)
    if method == "post":
        stranger.get("/booking/resend-link/")  # a form of the site's: a valid CSRF cookie and token
        token = stranger.cookies["csrftoken"].value
        response = stranger.post(f"/booking/{held.reference}/payment-cancelled/", {"csrfmiddlewaretoken": token})
        assert response.status_code == 403
        assert_status_only(response, held)  # refused by the booking's rule, not by the CSRF check
    else:
        response = stranger.get(f"/booking/{held.reference}/payment-cancelled/")
        assert response.status_code == 200
        assert_status_only(response, held)

    held.refresh_from_db()
    assert held.status == Booking.Status.HELD
    assert held.payments.get().status == Payment.Status.OPEN
    assert expired_sessions(stripe_recorder) == []


def test_the_browser_that_booked_releases_its_time_on_coming_back_from_stripe(client, held, stripe_recorder):
    response = client.get(f"/booking/{held.reference}/payment-cancelled/")

    assert response.status_code == 200
    held.refresh_from_db()
    assert held.status == Booking.Status.EXPIRED
    assert len(expired_sessions(stripe_recorder)) == 1


def test_the_release_button_needs_the_browsers_csrf_token(client, held, stripe_recorder):
    # The booking browser's cookie, sent by a page elsewhere without the form's token, releases nothing.
    forged = Client(enforce_csrf_checks=True)
    forged.cookies.update(client.cookies)
    response = forged.post(f"/booking/{held.reference}/payment-cancelled/")

    assert response.status_code == 403
    held.refresh_from_db()
    assert held.status == Booking.Status.HELD


def test_the_reference_page_of_a_held_booking_shows_another_browser_no_payment_page(held):
    response = Client().get(f"/booking/{held.reference}/")

    assert response.status_code == 200
    assert "This time is held while the booking is paid for." in response.content.decode()
    assert_status_only(response, held)


def test_the_paid_page_waits_for_stripe_in_the_booking_browser_and_shows_no_one_else_the_booking(client, held):
    mine = client.get(f"/booking/{held.reference}/paid/")
    assert mine.status_code == 200
    assert "confirming your booking" in mine.content.decode()

    stranger = Client().get(f"/booking/{held.reference}/paid/", follow=True)
    assert stranger.redirect_chain == [(f"/booking/{held.reference}/", 302)]
    assert_status_only(stranger, held)


def test_stripe_is_given_the_reference_pages_never_a_private_link(held, stripe_recorder):
    [call] = stripe_recorder.calls("POST", "/v1/checkout/sessions")
    for url in (call.params["success_url"], call.params["cancel_url"]):
        assert f"/booking/{held.reference}/" in url
        assert "/manage/" not in url and "/intake/" not in url
