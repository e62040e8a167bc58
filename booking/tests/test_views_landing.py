"""The landing page, `/`, through the test client.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
"""

from datetime import UTC, date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from booking.models import Booking
from booking.tests.factories import BookingFactory, PromotionFactory, local
from booking.tests.pages import NOW, PROMO_DAY, book, does_not_say, hrefs, says, slot_at
from clinic.tests.html import html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


# Landing page --------------------------------------------------------------------------------------


def test_landing_shows_the_offer_price_spots_and_a_book_link(client, promotion):
    response = client.get("/")
    says(response, "$99 $175")  # the offer price, then the regular price struck through
    says(response, "8 of 8 discounted spots left")
    says(response, "Book your $99 assessment")
    assert "/book/" in hrefs(response)


def test_landing_shows_the_rate_rise_in_clinic_local_time(client, service):
    # 11:30 PM on Monday April 20 in San Diego is already Tuesday April 21 in UTC.
    closes_at = local(date(2026, 4, 20), 23, 30)
    assert closes_at.astimezone(UTC).date() == date(2026, 4, 21)
    PromotionFactory(service=service, closes_at=closes_at)
    response = client.get("/")
    says(response, "The rate rises to $175 on Monday, April 20 at 11:30 PM (PDT).")
    does_not_say(response, "April 21")


def test_landing_shows_opening_hours_address_and_phone_links(client, promotion):
    response = client.get("/")
    says(response, "Monday 7 AM – 7 PM")
    says(response, "Friday 7 AM – 7 PM")
    says(response, "Saturday 7 AM – 3 PM")
    does_not_say(response, "Sunday")
    says(response, "4901 Morena Blvd, Suite 501, San Diego, CA 92117")
    says(response, "(619) 268-1397")
    assert {"tel:+16192681397", "sms:+16192681397"} <= set(hrefs(response))


def test_landing_counts_one_spot_fewer_after_a_confirmed_discounted_booking(client, service, promotion):
    booking = book(Client(), slot_at(service, PROMO_DAY, 10))
    assert booking.promotion == promotion
    says(client.get("/"), "7 of 8 discounted spots left")


def test_landing_stops_counting_a_hold_the_moment_it_lapses(client, clock, service, promotion):
    BookingFactory(
        slot=slot_at(service, PROMO_DAY, 10),
        promotion=promotion,
        status=Booking.Status.HELD,
        hold_expires_at=NOW + timedelta(minutes=15),
    )
    says(client.get("/"), "7 of 8 discounted spots left")  # a live hold takes a spot
    clock.move_to(NOW + timedelta(minutes=15, seconds=1))
    assert Booking.objects.get().status == Booking.Status.HELD  # no cleanup job has run
    says(client.get("/"), "8 of 8 discounted spots left")


def test_sold_out_landing_says_all_spots_taken_and_offers_the_regular_price(client, service, promotion):
    for hour in range(7, 15):
        BookingFactory(slot=slot_at(service, PROMO_DAY, hour), promotion=promotion)
    response = client.get("/")
    says(response, "All 8 discounted spots are taken.")
    says(response, "$175 for a 60-minute assessment")
    assert "/book/" in hrefs(response)
    does_not_say(response, "$99")
    does_not_say(response, "spots left")


def test_closed_offer_landing_says_the_offer_has_closed(client, service):
    PromotionFactory(service=service, opens_at=NOW - timedelta(days=10), closes_at=NOW - timedelta(minutes=1))
    response = client.get("/")
    says(response, "The $99 offer has closed.")
    says(response, "$175 for a 60-minute assessment")
    assert "/book/" in hrefs(response)
    does_not_say(response, "spots left")


def test_landing_without_a_promotion_offers_the_regular_price(client, service):
    response = client.get("/")
    says(response, "$175 for a 60-minute assessment")
    assert "/book/" in hrefs(response)
    does_not_say(response, "discounted spots")


def test_landing_renders_before_any_clinic_or_service_exists(client):
    response = client.get("/")
    says(response, "Your low-back pain may be a single-leg problem")
    assert "/book/" not in hrefs(response)


def test_every_page_has_the_clinics_icon_and_it_is_served(client, admin_client):
    for response in (client.get("/"), client.get("/admin/login/"), admin_client.get("/admin/"), client.get("/nope/")):
        [icon] = [link for link in html(response).find_all("link") if link.attrs.get("rel") == "icon"]
        assert icon.attrs["type"] == "image/svg+xml"
    # The tests serve no static files (DEBUG off, nothing collected): the icon is one of the site's own.
    name = icon.attrs["href"].removeprefix("/").removeprefix(settings.STATIC_URL.lstrip("/"))
    found = finders.find(name)
    assert found and "<svg" in Path(found).read_text()
