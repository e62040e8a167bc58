"""A new patient books a discounted spot on a phone, with the keyboard alone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking.links import manage_path
from booking.models import Booking
from booking.services import slots_generate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def press(locator):
    locator.focus()
    locator.press("Enter")


def test_patient_books_a_promo_spot_and_the_landing_page_shows_one_fewer(
    phone_page, live_server, promotion, twilio_recorder
):
    page = phone_page
    today = timezone.localdate()
    slots_generate(service=promotion.service, start=today + timedelta(days=1), end=today + timedelta(days=12))

    page.goto(live_server.url + "/")
    assert page.locator("#spots-left").inner_text() == "8 of 8 discounted spots left"

    press(page.get_by_role("link", name="Book your $99 assessment"))
    press(page.locator(".calendar a").filter(has_text="discounted times").first)
    press(page.locator(".time-list button").filter(has_text="$99").first)

    page.get_by_label("Full name").fill("Michael Green")
    page.get_by_label("Email").fill("michael@example.com")
    page.get_by_label("Mobile phone").fill("(619) 555-0123")
    page.get_by_label("Text me my booking confirmation").press("Space")
    press(page.get_by_role("button", name="Review booking"))

    assert "Review and confirm" in page.locator("h1").inner_text()
    press(page.get_by_role("button", name="Confirm booking at $99"))

    # The discounted spot is held until Michael types the code texted to his mobile.
    assert page.locator("h1").inner_text() == "Check your texts"
    page.get_by_label("The 6-digit code").fill(twilio_recorder.code_texted_to("+16195550123"))
    press(page.get_by_role("button", name="Book my visit"))

    assert page.locator("h1").inner_text() == "You’re booked, Michael"
    booking = Booking.objects.get()
    assert page.url == live_server.url + manage_path(booking)  # the booking's private page
    assert (booking.status, booking.price_cents, booking.phone, booking.sms_consent) == (
        "confirmed",
        99_00,
        "+16195550123",
        True,
    )

    page.goto(live_server.url + "/")
    assert page.locator("#spots-left").inner_text() == "7 of 8 discounted spots left"
