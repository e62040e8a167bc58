"""The booking link texted in answer to a text to the clinic's number (booking/links.py, `texted_link`): it carries
the sender's mobile, signed and dated. Opened, it fills the mobile in on the details form, and a booking made with
that mobile counts it as proven: a discounted spot needs no code. Another mobile typed in its place gets the code.

Through the public pages, with the clock frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego).
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import signing
from django.utils import translation

from booking.links import manage_path, texted_link, texted_token
from booking.models import Booking
from booking.tests.pages import (
    MICHAEL,
    NOW,
    PROMO_DAY,
    REGULAR_DAY,
    client_get_details,
    confirm,
    control,
    hidden_fields,
    review,
    says,
    slot_at,
)
from clinic.privacy import mask_private_links
from notifications.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MOBILE = "+16195550123"  # Michael's, as his details type it: (619) 555-0123
TEXTED_DAYS = 7


def open_link(client, phone: str = MOBILE, *, language: str = "en"):
    """Tap the link texted to `phone`, as written in `language`."""
    with translation.override(language):
        return client.get(texted_link(phone).removeprefix(settings.PUBLIC_BASE_URL))


def codes_texted(booking) -> list[Message]:
    return list(Message.objects.filter(booking=booking, kind=Message.Kind.ACCESS_CODE, channel="sms"))


def book_held(client, slot, details=MICHAEL):
    """Type the details and confirm: the response to Confirm, and the booking."""
    response = confirm(client, slot, hidden_fields(review(client, slot, details)))
    return response, Booking.objects.get(slot=slot)


def test_the_link_goes_on_to_the_days_to_book_and_is_never_cached(client):
    response = open_link(client)

    assert (response.status_code, response.url) == (302, "/book/")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert texted_token(MOBILE).startswith("16195550123:")  # the number, signed and dated: no database id


def test_the_details_form_starts_with_the_mobile_the_link_was_texted_to(client, service, promotion):
    open_link(client)

    details = client_get_details(client, slot_at(service, PROMO_DAY, 10))

    assert control(details, "phone")["value"] == MOBILE
    assert control(details, "name").get("value", "") == ""


def test_a_discounted_spot_booked_with_the_texted_mobile_needs_no_code_and_counts_it_as_proven(
    client, service, promotion
):
    open_link(client)
    slot = slot_at(service, PROMO_DAY, 10)

    response, booking = book_held(client, slot)

    assert (response.status_code, response.url) == (302, manage_path(booking))
    assert (booking.status, booking.promotion, booking.price_cents) == (Booking.Status.CONFIRMED, promotion, 99_00)
    assert (booking.phone, booking.phone_verified_at) == (MOBILE, NOW)
    assert codes_texted(booking) == []
    assert "mobile proven by the booking link texted to it" in booking.events.latest("pk").note


def test_a_different_mobile_typed_in_its_place_is_not_proven_and_the_code_is_texted(client, service, promotion):
    open_link(client)
    slot = slot_at(service, PROMO_DAY, 10)

    response, booking = book_held(client, slot, {**MICHAEL, "phone": "(619) 555-0177"})

    assert (response.status_code, response.url) == (302, f"/booking/{booking.reference}/verify/")
    assert (booking.status, booking.phone_verified_at) == (Booking.Status.HELD, None)
    [code] = codes_texted(booking)
    assert code.recipient == "+16195550177"


def test_without_the_link_the_same_mobile_still_needs_its_code(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)

    response, booking = book_held(client, slot)

    assert response.url == f"/booking/{booking.reference}/verify/"
    assert booking.phone_verified_at is None


def test_a_link_opened_for_another_mobile_proves_only_that_one(client, service, promotion):
    open_link(client, "+16195550177")
    slot = slot_at(service, PROMO_DAY, 10)

    response, booking = book_held(client, slot)  # Michael's own (619) 555-0123

    assert response.url == f"/booking/{booking.reference}/verify/"
    assert booking.phone_verified_at is None


def test_a_regular_price_visit_booked_with_the_texted_mobile_is_proven_too(client, service, promotion):
    open_link(client)

    response, booking = book_held(client, slot_at(service, REGULAR_DAY, 10))

    assert response.url == manage_path(booking)
    assert (booking.status, booking.promotion, booking.phone_verified_at) == (Booking.Status.CONFIRMED, None, NOW)


def test_the_proof_lasts_while_the_patient_books_and_then_needs_the_link_again(client, service, promotion, clock):
    open_link(client)
    clock.move_to(NOW + timedelta(minutes=31))  # the hold's 15 minutes and the idle 15 have passed
    slot = slot_at(service, PROMO_DAY, 10)

    response, booking = book_held(client, slot)

    assert response.url == f"/booking/{booking.reference}/verify/"
    assert booking.phone_verified_at is None


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: "16195550123", id="unsigned"),
        pytest.param(lambda: texted_token(MOBILE).replace("16195550123", "16195550177"), id="another-number"),
        pytest.param(lambda: texted_token(MOBILE)[:-4], id="cut"),
        pytest.param(lambda: texted_token(MOBILE) + "x", id="lengthened"),
        pytest.param(lambda: "not-a-link", id="made-up"),
    ],
)
def test_a_forged_or_altered_link_is_not_found_and_proves_nothing(client, service, promotion, token):
    response = client.get(f"/book/texted/{token()}/")

    says(response, "We can’t find that page", status=404)
    assert "texted" not in response.cookies
    _, booking = book_held(client, slot_at(service, PROMO_DAY, 10))
    assert booking.phone_verified_at is None


def test_a_link_of_another_purpose_opens_nothing(client):
    other = signing.TimestampSigner(salt="booking.link.manage").sign("16195550123")

    assert client.get(f"/book/texted/{other}/").status_code == 404


def test_a_link_older_than_its_days_gets_the_link_gone_page_with_the_booking_pages(client, clock, clinic):
    token = texted_token(MOBILE)

    clock.move_to(NOW + timedelta(days=TEXTED_DAYS) - timedelta(seconds=1))
    assert client.get(f"/book/texted/{token}/").status_code == 302
    client.cookies.clear()
    clock.move_to(NOW + timedelta(days=TEXTED_DAYS, seconds=1))
    response = client.get(f"/book/texted/{token}/")

    says(response, "This link no longer works", status=410)
    says(response, "The booking link we texted you works for 7 days, and this one is older.", status=410)
    says(response, "text us again for a new link", status=410)
    assert "texted" not in response.cookies
    assert 'href="/book/"' in response.content.decode()


def test_the_days_a_link_works_are_a_setting(client, clock, settings):
    settings.TEXTED_LINK_DAYS = 2
    token = texted_token(MOBILE)
    clock.move_to(NOW + timedelta(days=2, seconds=1))

    says(client.get(f"/book/texted/{token}/"), "works for 2 days", status=410)


def test_in_spanish_the_link_opens_the_spanish_booking_pages(client, service, promotion):
    response = open_link(client, language="es")

    assert (response.status_code, response.url) == (302, "/es/book/")


def test_logs_show_that_a_texted_link_was_used_never_the_link(client):
    token = texted_token(MOBILE)

    assert mask_private_links(f"GET /book/texted/{token}/ HTTP/1.1") == "GET /book/texted/[private link]/ HTTP/1.1"
    assert mask_private_links(f"GET /es/book/texted/{token}/") == "GET /es/book/texted/[private link]/"
