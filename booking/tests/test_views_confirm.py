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
from booking.rules import Patient
from booking.services import booking_hold
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
    choose,
    client_get_details,
    confirm,
    control,
    does_not_say,
    held_url,
    hidden_fields,
    page,
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


def asked_for():
    """Bookings a patient confirmed (booked, or waiting for a code or a payment): not times still being chosen."""
    return Booking.objects.exclude(requested_at=None)


def test_confirm_with_tampered_price_books_nothing_and_tells_the_real_price(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot))

    response = confirm(client, slot, {**fields, "quoted_price_cents": "1"})

    says(response, "The price for this time has changed. This time is $99.", status=409)
    assert hidden_fields(response)["quoted_price_cents"] == "9900"
    assert not asked_for().exists()


def test_a_time_being_chosen_is_held_from_another_browser(service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    review(Client(), slot)  # Michael types his details

    response = choose(Client(), slot)

    says(response, SLOT_TAKEN, status=409)
    says(response, "(619) 268-1397", status=409)  # every refusal gives the clinic's phone
    assert Booking.objects.count() == 1


def test_a_hold_that_lapsed_and_lost_its_time_keeps_the_details_for_the_next_time(service, promotion, clock, settings):
    slot = slot_at(service, PROMO_DAY, 10)
    michael, dana = Client(), Client()
    michaels_review = hidden_fields(review(michael, slot))
    clock.shift(timedelta(minutes=settings.BOOKING_HOLD_MINUTES, seconds=1))
    first = book(dana, slot, DANA)

    response = confirm(michael, slot, michaels_review)

    says(response, "We held this time for you for 15 minutes, and it has gone since.", status=409)
    says(response, "Your details are kept: choose another time.", status=409)
    assert list(asked_for()) == [first]
    details = client_get_details(michael, slot_at(service, PROMO_DAY, 11))
    assert [control(details, name).get("value") for name in ("name", "email")] == [MICHAEL["name"], MICHAEL["email"]]


def test_a_hold_that_lapsed_is_taken_again_when_its_time_is_still_free(client, service, promotion, clock, settings):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot))
    clock.shift(timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 5))

    assert confirm(client, slot, fields).status_code == 302

    booking = Booking.objects.get()
    assert (booking.status, booking.price_cents, booking.promotion) == (Booking.Status.HELD, 99_00, promotion)
    assert booking.requested_at is not None  # waiting for the code texted to the mobile


def test_a_lapsed_hold_whose_discounted_spot_went_is_offered_at_the_regular_rate(service, clock, settings):
    promotion = PromotionFactory(service=service, spots=1)
    slot = slot_at(service, PROMO_DAY, 10)
    michael = Client()
    fields = hidden_fields(review(michael, slot))
    assert fields["quoted_price_cents"] == "9900"
    clock.shift(timedelta(minutes=settings.BOOKING_HOLD_MINUTES, seconds=1))
    dana = book(Client(), slot_at(service, PROMO_DAY, 11), DANA)
    assert dana.promotion == promotion

    response = confirm(michael, slot, fields)

    says(response, "The last discounted spot has just been taken. This time is $175.", status=409)
    says(response, "Confirm booking at $175", status=409)
    retry = hidden_fields(response)
    assert retry["quoted_price_cents"] == "17500"
    assert list(asked_for()) == [dana]

    again = confirm(michael, slot, retry)

    assert again.status_code == 302
    booking = Booking.objects.get(slot=slot)
    assert (booking.status, booking.price_cents, booking.promotion) == (Booking.Status.CONFIRMED, 175_00, None)


def test_the_discounted_spot_held_for_a_patient_typing_is_not_offered_to_another(service):
    promotion = PromotionFactory(service=service, spots=1)
    michael = Client()
    review(michael, slot_at(service, PROMO_DAY, 10))

    other = review(Client(), slot_at(service, PROMO_DAY, 11), DANA)

    says(other, "Payment of $175 is due at the visit.")
    assert Booking.objects.get(patient_name="Michael Green").promotion == promotion


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
    assert asked_for().count() == 1

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
    ],
    ids=["words-price", "fraction-price", "empty-price", "negative-price"],
)
def test_confirm_with_garbage_hidden_fields_is_a_400_and_saves_nothing(client, service, promotion, garbage):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot))

    response = confirm(client, slot, {**fields, **garbage})

    assert response.status_code == 400
    assert not asked_for().exists()


def test_confirm_takes_no_details_posted_with_it(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot))

    confirm(client, slot, {**fields, "name": "Someone Else", "phone": "not a phone"})

    assert Booking.objects.get().patient_name == "Michael Green"


def test_confirm_before_any_details_asks_for_them(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)

    response = confirm(client, slot, {"quoted_price_cents": "9900"})

    assert (response.status_code, response.url) == (302, held_url(client, slot))
    assert not asked_for().exists()


# Back, reload, and a second click -------------------------------------------------------------------


@pytest.mark.parametrize("step", ["", "review/"], ids=["details", "review"])
def test_back_to_a_step_after_confirm_shows_the_booking_never_someone_elses(client, service, step):
    slot = slot_at(service, REGULAR_DAY, 10)  # booked at once
    fields = hidden_fields(review(client, slot))
    assert confirm(client, slot, fields).status_code == 302

    back = client.get(held_url(client, slot) + step, follow=True)

    says(back, "You’re booked, Michael")
    does_not_say(back, "someone has just booked")


def test_confirm_posted_again_after_confirm_shows_the_booking(client, service):
    slot = slot_at(service, REGULAR_DAY, 10)
    fields = hidden_fields(review(client, slot))
    first = confirm(client, slot, fields)

    again = confirm(client, slot, fields)  # the browser's "Confirm Form Resubmission"

    assert again.url == first.url
    says(client.get(again.url), "You’re booked, Michael")
    assert asked_for().count() == 1


def test_choose_another_time_gives_the_time_back_at_once(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    review(client, slot)

    response = client.post(held_url(client, slot) + "release/")

    assert (response.status_code, response.url) == (303, f"/book/{PROMO_DAY}/")
    assert Booking.objects.get().status == Booking.Status.EXPIRED
    assert choose(Client(), slot).status_code == 303  # anyone may hold it now


def test_choosing_a_second_time_gives_back_the_first(client, service, promotion):
    first, second = slot_at(service, PROMO_DAY, 10), slot_at(service, PROMO_DAY, 11)
    review(client, first)

    assert choose(client, second).status_code == 303

    assert {b.slot_id: b.status for b in Booking.objects.all()} == {first.pk: "expired", second.pk: "held"}
    assert Booking.objects.get(slot=second).patient_name == "Michael Green"  # the details came along


def test_a_tab_whose_time_was_given_back_says_which_time_is_held(client, service, promotion):
    first, second = slot_at(service, PROMO_DAY, 10), slot_at(service, PROMO_DAY, 11)
    review(client, first)
    first_tab = held_url(client, first)
    choose(client, second)  # in another tab

    response = client.get(first_tab + "review/")

    says(response, "You chose Wednesday, April 8 at 11:00 AM in another window", status=409)
    says(response, "Hold Wednesday, April 8 at 10:00 AM instead", status=409)
    assert f"/book/time/{first.pk}/" in [action for action, _ in page(response).buttons]


def test_every_step_after_the_choice_is_for_the_browser_that_chose_only(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    review(client, slot)
    stranger = Client()
    url = held_url(client, slot)

    for response in (stranger.get(url), stranger.get(url + "review/"), stranger.post(url, DANA)):
        assert response.status_code == 403
        does_not_say(response, "Michael")
    assert stranger.post(url + "confirm/", {"quoted_price_cents": "9900"}).status_code == 403
    assert stranger.post(url + "release/").status_code == 403
    assert Booking.objects.get().status == Booking.Status.HELD
    assert not asked_for().exists()


# Wrong methods, missing CSRF tokens, another site ---------------------------------------------------


def test_get_on_the_confirm_url_is_a_405(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    assert client.get(held_url(client, slot) + "confirm/").status_code == 405
    assert not asked_for().exists()


def test_get_on_a_times_address_goes_back_to_its_day(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    response = client.get(f"/book/time/{slot.pk}/")
    assert (response.status_code, response.url) == (302, f"/book/{PROMO_DAY}/")
    assert not Booking.objects.exists()


@pytest.mark.parametrize("url", ["/", "/book/", f"/book/{PROMO_DAY}/", "/booking/{reference}/"])
def test_read_only_pages_refuse_post_with_a_405(client, service, promotion, url):
    booking = BookingFactory(slot=slot_at(service, PROMO_DAY, 10))
    response = client.post(url.format(reference=booking.reference), MICHAEL)
    assert response.status_code == 405
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},
        {"HTTP_ORIGIN": "https://evil.example"},
    ],
    ids=["cross-site", "sibling-site", "other-origin"],
)
def test_another_site_cannot_make_a_browser_hold_a_time(service, promotion, headers):
    slot = slot_at(service, PROMO_DAY, 10)
    response = Client(enforce_csrf_checks=True).post(f"/book/time/{slot.pk}/", **headers)
    says(response, "Please try again", status=403)
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_SEC_FETCH_SITE": "same-origin"}, {"HTTP_ORIGIN": "http://testserver"}, {}],
    ids=["same-origin", "own-origin", "no-browser-headers"],
)
def test_the_day_pages_buttons_hold_a_time_without_a_csrf_token(service, promotion, headers):
    slot = slot_at(service, PROMO_DAY, 10)
    response = Client(enforce_csrf_checks=True).post(f"/book/time/{slot.pk}/", **headers)
    assert response.status_code == 303
    assert Booking.objects.get().status == Booking.Status.HELD


def test_details_post_without_csrf_token_is_a_friendly_403(service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    browser = Client(enforce_csrf_checks=True)
    token = control(browser.get(held_url(browser, slot)), "csrfmiddlewaretoken")["value"]

    refused = post_details(browser, slot)
    accepted = post_details(browser, slot, csrfmiddlewaretoken=token)

    says(refused, "Please try again", status=403)
    says(refused, "nothing was saved", status=403)
    assert accepted.status_code == 303  # the same post with its token goes through
    assert not asked_for().exists()


def test_confirm_post_without_csrf_token_is_a_friendly_403_and_books_nothing(service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    browser = Client(enforce_csrf_checks=True)
    token = control(browser.get(held_url(browser, slot)), "csrfmiddlewaretoken")["value"]
    post_details(browser, slot, csrfmiddlewaretoken=token)
    fields = hidden_fields(browser.get(held_url(browser, slot) + "review/"))

    refused = confirm(browser, slot, fields)

    says(refused, "Please try again", status=403)
    assert not asked_for().exists()
    assert confirm(browser, slot, {**fields, "csrfmiddlewaretoken": token}).status_code == 302


def test_choosing_a_time_that_does_not_exist_is_a_friendly_404(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    says(client.post(f"/book/time/{slot.pk + 1000}/"), FRIENDLY_404, status=404)
    says(client.post("/book/held/ZZZZZZZZZZZZZZZZ/confirm/", {"quoted_price_cents": "9900"}), FRIENDLY_404, status=404)
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
    url = held_url(client, slot) + "confirm/"
    # The hold by its reference; the locked checks (slot, closures, seats, the offers: none covers the day);
    # the hold's update and its event; its history (the calendar file's sequence); its payments and the
    # opt-out list; the three messages in one insert and one read; and on PostgreSQL the transaction's lock
    # timeout. No session: a cookie remembers the booking.
    with django_assert_max_num_queries(16) as queries:
        client.post(url, fields)
    message_inserts = [q for q in queries.captured_queries if 'INTO "notifications_message"' in q["sql"]]
    assert len(message_inserts) == 1
    assert Booking.objects.get().messages.count() == 3  # the patient's email and text, the clinic's email


def test_a_time_still_being_chosen_does_not_stop_the_same_patient_being_held_another(client, service, promotion):
    """A waiting-list place (booking_hold) goes to a patient who is only choosing a time on the site."""
    review(client, slot_at(service, PROMO_DAY, 10))  # Michael's details typed, nothing confirmed

    offered = booking_hold(
        slot_id=slot_at(service, PROMO_DAY, 11).pk, patient=Patient.of(Booking.objects.get()), quoted_price_cents=175_00
    )

    assert offered.status == Booking.Status.HELD
