"""The landing page, `/`, through the test client.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
"""

from datetime import UTC, date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image

from booking.models import Booking
from booking.tests.factories import BookingFactory, PromotionFactory, local
from booking.tests.pages import NOW, PROMO_DAY, book, does_not_say, hrefs, page, says, slot_at
from clinic.tests.factories import PractitionerFactory
from clinic.tests.html import html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ADDRESS = "4901 Morena Blvd, Suite 501, San Diego, CA 92117"
MAPS = "https://maps.google.com/?q=4901%20Morena%20Blvd%2C%20Suite%20501%2C%20San%20Diego%2C%20CA%2092117"


# Landing page --------------------------------------------------------------------------------------


def test_landing_shows_the_offer_price_spots_and_a_book_link(client, promotion):
    response = client.get("/")
    # The offer price, then the regular price struck through, which screen readers announce as such.
    says(response, "$99 regular price $175")
    assert html(response).find("s").text == "regular price $175"
    says(response, "8 of 8 discounted spots left")
    says(response, "Book your $99 assessment")
    assert "/book/" in hrefs(response)


def test_landing_states_the_visit_week_and_that_the_offer_ends_with_its_last_visit_day(client, promotion):
    # Visits April 7 to 16; the offer "closes" on April 20, but no discounted visit is left after the 16th.
    response = client.get("/")
    says(response, "Visits Tuesday, April 7 to Thursday, April 16. Book by Thursday, April 16.")
    does_not_say(response, "April 20")
    does_not_say(response, "rises")


def test_landing_states_an_offer_closing_before_its_visits_end_in_clinic_local_time(client, service):
    # 11:30 PM on Monday April 20 in San Diego is already Tuesday April 21 in UTC.
    closes_at = local(date(2026, 4, 20), 23, 30)
    assert closes_at.astimezone(UTC).date() == date(2026, 4, 21)
    PromotionFactory(service=service, closes_at=closes_at, visit_ends_on=date(2026, 4, 24))
    response = client.get("/")
    says(response, "Visits Tuesday, April 7 to Friday, April 24. Book by Monday, April 20 at 11:30 PM Pacific time.")
    does_not_say(response, "April 21")


def test_landing_states_a_one_day_visit_window_once(client, service):
    PromotionFactory(service=service, visit_starts_on=PROMO_DAY, visit_ends_on=PROMO_DAY)
    says(client.get("/"), "Visits on Wednesday, April 8. Book by Wednesday, April 8.")


def test_landing_has_one_book_link_in_the_bar_that_follows_the_scroll(client, promotion):
    [bar] = [el for el in html(client.get("/")).find_all("div") if el.has_class("book-bar")]
    assert [a.attrs["href"] for a in bar.find_all("a")] == ["/book/"]


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


# Who patients will see, and how to get here (from the admin) ---------------------------------------


def test_landing_shows_the_featured_practitioner_with_credentials_bio_and_responsive_photo(client, clinic, promotion):
    PractitionerFactory(
        clinic=clinic,
        name="Brandon Pascual",
        credentials="PT, DPT, OCS",
        bio="Brandon helps San Diego runners get back to pain-free miles.",
        featured=True,
        photo=True,
    )
    PractitionerFactory(clinic=clinic, name="Casey Staff", credentials="PTA", featured=False)

    response = client.get("/")

    says(
        response,
        "Who you’ll see Brandon Pascual, PT, DPT, OCS Brandon helps San Diego runners get back to pain-free miles.",
    )
    does_not_say(response, "Casey Staff")
    [img] = html(response).find_all("img")
    small, large = img.attrs["srcset"].split(", ")
    assert small.endswith(" 160w") and large.endswith(" 320w")
    assert img.attrs["src"] == small.removesuffix(" 160w")
    assert (img.attrs["width"], img.attrs["height"], img.attrs["sizes"]) == ("160", "160", "96px")
    assert img.attrs["loading"] == "lazy"  # below the first screen: fetched as the patient scrolls to it
    assert img.attrs["alt"] == "Photo of Brandon Pascual"
    for url, width in ((small.split()[0], 160), (large.split()[0], 320)):
        photo = client.get(url)
        assert (photo.status_code, photo["Content-Type"]) == (200, "image/webp")
        assert "immutable" in photo["Cache-Control"]
        assert Image.open(BytesIO(photo.content)).size == (width, width)


def test_landing_without_a_featured_practitioner_has_no_trust_block(client, clinic, promotion):
    PractitionerFactory(clinic=clinic, credentials="PT, DPT", bio="Not on the offer page yet.")
    response = client.get("/")
    does_not_say(response, "Who you’ll see")
    does_not_say(response, "Brandon")


def test_landing_shows_a_practitioner_with_only_a_name_without_empty_parts(client, clinic, promotion):
    PractitionerFactory(clinic=clinic, name="Brandon Pascual", featured=True)
    response = client.get("/")
    says(response, "Who you’ll see Brandon Pascual Why single-leg strength matters")
    assert not html(response).find_all("img")
    assert html(response).find("h3").text == "Brandon Pascual"


def test_landing_shows_parking_and_a_map_link_staff_typed(client, clinic, promotion):
    clinic.parking_note = "Free parking in the building’s lot."
    clinic.map_url = "https://www.openstreetmap.org/?mlat=32.8&mlon=-117.2"
    clinic.save()
    response = client.get("/")
    says(response, "4901 Morena Blvd, Suite 501, San Diego, CA 92117 Free parking in the building’s lot.")
    assert ("https://www.openstreetmap.org/?mlat=32.8&mlon=-117.2", ADDRESS) in page(response).links


def test_landing_links_the_address_to_a_map_and_says_nothing_of_parking_until_staff_do(client, clinic, promotion):
    response = client.get("/")
    assert (MAPS, ADDRESS) in page(response).links
    does_not_say(response, "parking")
    assert not [p for p in html(response).find_all("p") if p.has_class("parking")]


def test_a_practitioner_changed_in_the_admin_shows_on_the_next_visit(
    client, clinic, promotion, django_capture_on_commit_callbacks
):
    brandon = PractitionerFactory(clinic=clinic, featured=True, bio="Runner and physical therapist.")
    says(client.get("/"), "Runner and physical therapist.")  # kept in the page cache
    with django_capture_on_commit_callbacks(execute=True):
        brandon.bio = "Marathoner and physical therapist."
        brandon.save()
    says(client.get("/"), "Marathoner and physical therapist.")
