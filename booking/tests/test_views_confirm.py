"""Confirming, `/book/time/<slot>/confirm/`, and the booking page it leads to, through the test client.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from booking.browser import BOOKED_COOKIE
from booking.links import manage_path
from booking.models import Booking
from booking.payments import checkout_hold
from booking.tests.factories import BookingFactory, PromotionFactory
from booking.tests.pages import (
    DANA,
    FRIENDLY_404,
    MICHAEL,
    NOW,
    PROMO_DAY,
    REGULAR_DAY,
    SLOT_TAKEN,
    book,
    confirm,
    control,
    does_not_say,
    hidden_fields,
    post_details,
    review,
    says,
    slot_at,
    type_code,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


# Confirming ----------------------------------------------------------------------------------------


def test_confirm_books_at_the_quoted_price_and_redirects_to_the_reference_page(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    held = confirm(client, slot, hidden_fields(review(client, slot)))
    booking = Booking.objects.get()
    assert (held.status_code, held.url) == (302, f"/booking/{booking.reference}/verify/")  # the discounted spot
    response = type_code(client, booking)

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response.url == manage_path(booking)
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.confirmed_at == NOW
    assert (booking.slot, booking.price_cents, booking.promotion) == (slot, 99_00, promotion)
    assert booking.patient_name == "Michael Green"
    assert booking.email == "michael@example.com"
    assert booking.phone == "+16195550123"
    assert booking.sms_consent is True

    detail = client.get(response.url)
    says(detail, "You’re booked, Michael")
    says(detail, "See you Wednesday, April 8 at 10:00 AM.")
    says(detail, "Wednesday, April 8, 2026 at 10:00 AM")
    says(detail, "$99 (discounted), due at the visit")
    says(detail, f"Reference {booking.reference}")


def test_a_second_click_on_confirm_resumes_the_booking_and_keeps_no_session_for_the_patient(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot))
    first = confirm(client, slot, fields)
    second = confirm(client, slot, fields)

    booking = Booking.objects.get()
    assert first.url == second.url == f"/booking/{booking.reference}/verify/"
    assert not Session.objects.exists()  # what the browser booked is in a signed cookie
    cookie = client.cookies[BOOKED_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == (checkout_hold() + timedelta(minutes=settings.SESSION_IDLE_MINUTES)).total_seconds()


def test_the_reference_page_sends_only_the_browser_that_booked_on_to_the_private_page(
    client, service, promotion, clock
):
    booking = book(client, slot_at(service, PROMO_DAY, 10))
    response = client.get(booking.get_absolute_url())
    assert response.url == manage_path(booking)
    assert "no-store" in response["Cache-Control"]  # what it shows depends on this browser's cookie

    remembered_for = checkout_hold() + timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    clock.shift(remembered_for - timedelta(seconds=1))  # long enough to pay on Stripe's page and come back
    assert client.get(booking.get_absolute_url()).url == manage_path(booking)
    clock.shift(timedelta(seconds=2))
    says(client.get(booking.get_absolute_url()), "This booking is confirmed.")  # the browser has forgotten it

    forged = Client()
    forged.cookies[BOOKED_COOKIE] = booking.reference  # unsigned: any browser could claim a reference
    for browser in (Client(), forged):
        status = browser.get(booking.get_absolute_url())
        says(status, "This booking is confirmed.")
        does_not_say(status, "Michael")


def test_confirmed_price_stays_locked_when_the_offer_changes_later(client, service, promotion):
    booking = book(client, slot_at(service, PROMO_DAY, 10))
    promotion.price_cents = 50_00
    promotion.save()
    booking.refresh_from_db()
    assert booking.price_cents == 99_00
    says(client.get(f"/booking/{booking.reference}/", follow=True), "$99 (discounted), due at the visit")


def test_confirm_with_tampered_price_books_nothing_and_tells_the_real_price(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot))

    response = confirm(client, slot, {**fields, "quoted_price_cents": "1"})

    says(response, "The price for this time has changed. This time is $99.", status=409)
    assert hidden_fields(response)["quoted_price_cents"] == "9900"
    assert not Booking.objects.exists()


def test_confirm_for_a_slot_someone_else_just_took_books_nothing(service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    michael, dana = Client(), Client()
    michaels_review = hidden_fields(review(michael, slot))
    first = book(dana, slot, DANA)

    response = confirm(michael, slot, michaels_review)

    says(response, SLOT_TAKEN, status=409)
    assert list(Booking.objects.all()) == [first]


def test_last_discounted_spot_taken_before_confirm_offers_the_regular_rate(service):
    promotion = PromotionFactory(service=service, spots=1)
    slot = slot_at(service, PROMO_DAY, 10)
    michael = Client()
    fields = hidden_fields(review(michael, slot))
    assert fields["quoted_price_cents"] == "9900"
    dana = book(Client(), slot_at(service, PROMO_DAY, 11), DANA)
    assert dana.promotion == promotion

    response = confirm(michael, slot, fields)

    says(response, "The last discounted spot has just been taken. This time is $175.", status=409)
    says(response, "Confirm booking at $175", status=409)
    retry = hidden_fields(response)
    assert retry["quoted_price_cents"] == "17500"
    assert list(Booking.objects.all()) == [dana]

    again = confirm(michael, slot, retry)

    assert again.status_code == 302
    booking = Booking.objects.get(slot=slot)
    assert (booking.status, booking.price_cents, booking.promotion) == (Booking.Status.CONFIRMED, 175_00, None)


@pytest.mark.parametrize(
    "same",
    [{"email": "MICHAEL@Example.com"}, {"phone": "619.555.0123"}],
    ids=["same-email-other-case", "same-phone-other-format"],
)
def test_second_discounted_booking_for_the_same_patient_is_offered_the_regular_price(client, service, promotion, same):
    first = book(Client(), slot_at(service, PROMO_DAY, 10))
    assert first.promotion == promotion
    again = {"name": "Mike Green", "email": "mike.green@example.org", "phone": "(760) 555-0142", **same}
    slot = slot_at(service, PROMO_DAY, 12)

    response = review(client, slot, again)

    says(response, "Payment of $175 is due at the visit.")
    says(response, "You already have a discounted assessment booked (one per patient)")
    fields = hidden_fields(response)
    assert fields["quoted_price_cents"] == "17500"
    stale = confirm(client, slot, {**fields, "quoted_price_cents": "9900"})
    says(stale, "You already have a discounted assessment booked (one per patient).", status=409)
    assert Booking.objects.count() == 1

    assert confirm(client, slot, fields).status_code == 302
    second = Booking.objects.get(slot=slot)
    assert (second.price_cents, second.promotion) == (175_00, None)


@pytest.mark.parametrize(
    "garbage",
    [
        {"quoted_price_cents": "ninety-nine"},
        {"quoted_price_cents": "99.5"},
        {"quoted_price_cents": ""},
        {"quoted_price_cents": "-1"},
        {"phone": "not a phone"},
        {"name": ""},
    ],
    ids=["words-price", "fraction-price", "empty-price", "negative-price", "bad-phone", "no-name"],
)
def test_confirm_with_garbage_hidden_fields_is_a_400_and_saves_nothing(client, service, promotion, garbage):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot))

    response = confirm(client, slot, {**fields, **garbage})

    assert response.status_code == 400
    assert not Booking.objects.exists()


# Wrong methods and missing CSRF tokens -------------------------------------------------------------


def test_get_on_the_confirm_url_is_a_405(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    assert client.get(f"/book/time/{slot.pk}/confirm/").status_code == 405
    assert not Booking.objects.exists()


@pytest.mark.parametrize("url", ["/", "/book/", f"/book/{PROMO_DAY}/", "/booking/{reference}/"])
def test_read_only_pages_refuse_post_with_a_405(client, service, promotion, url):
    booking = BookingFactory(slot=slot_at(service, PROMO_DAY, 10))
    response = client.post(url.format(reference=booking.reference), MICHAEL)
    assert response.status_code == 405
    assert Booking.objects.count() == 1


def test_details_post_without_csrf_token_is_a_friendly_403(service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    browser = Client(enforce_csrf_checks=True)
    token = control(browser.get(f"/book/time/{slot.pk}/"), "csrfmiddlewaretoken")["value"]

    refused = post_details(browser, slot)
    accepted = post_details(browser, slot, csrfmiddlewaretoken=token)

    says(refused, "Please try again", status=403)
    says(refused, "nothing was saved", status=403)
    says(accepted, "Review and confirm")  # the same post with its token goes through
    assert not Booking.objects.exists()


def test_confirm_post_without_csrf_token_is_a_friendly_403_and_books_nothing(service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    browser = Client(enforce_csrf_checks=True)
    token = control(browser.get(f"/book/time/{slot.pk}/"), "csrfmiddlewaretoken")["value"]
    fields = hidden_fields(post_details(browser, slot, csrfmiddlewaretoken=token))

    refused = confirm(browser, slot, fields)

    says(refused, "Please try again", status=403)
    assert not Booking.objects.exists()
    assert confirm(browser, slot, {**fields, "csrfmiddlewaretoken": token}).status_code == 302


@pytest.mark.parametrize("valid", [True, False], ids=["complete form", "incomplete form"])
def test_confirming_a_time_that_does_not_exist_is_a_friendly_404(client, service, promotion, valid):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot)) if valid else {"name": "Michael Green"}
    says(client.post(f"/book/time/{slot.pk + 1000}/confirm/", fields), FRIENDLY_404, status=404)
    assert not Booking.objects.exists()


# The booking page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reference", ["ZZZZZZZZZZZZZZZZ", "nope"])
def test_unknown_booking_reference_is_a_friendly_404(client, service, reference):
    BookingFactory(slot=slot_at(service, PROMO_DAY, 10))
    says(client.get(f"/booking/{reference}/"), FRIENDLY_404, status=404)


def test_confirming_queues_every_message_in_one_insert_within_its_query_budget(
    client, service, promotion, django_assert_max_num_queries
):
    slot = slot_at(service, REGULAR_DAY, 10)  # booked at once (a discounted spot waits for the mobile's code)
    fields = hidden_fields(review(client, slot))
    # The locked checks (slot, closures, seats, the offers: none covers the day);
    # the booking and its event; its payments and the opt-out list; the three messages in one insert and one
    # read; and on PostgreSQL the transaction's lock timeout. No savepoint: the booking's transaction is the
    # outermost one. No session: a cookie remembers the booking.
    with django_assert_max_num_queries(16) as queries:
        confirm(client, slot, fields)
    message_inserts = [q for q in queries.captured_queries if 'INTO "notifications_message"' in q["sql"]]
    assert len(message_inserts) == 1
    assert Booking.objects.get().messages.count() == 3  # the patient's email and text, the clinic's email
