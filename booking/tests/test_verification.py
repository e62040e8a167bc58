"""A discounted spot paid at the visit is held until the patient types the code texted to their mobile.

Through the public pages, with the clock frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego).
"""

import re
from datetime import timedelta

import pytest
from django.test import Client

from booking.links import manage_path
from booking.models import Booking
from booking.rules import quote_slot
from booking.tests.factories import BookingFactory
from booking.tests.pages import (
    DANA,
    MICHAEL,
    NOW,
    PROMO_DAY,
    REGULAR_DAY,
    choose,
    confirm,
    confirm_details,
    does_not_say,
    hidden_fields,
    page,
    review,
    says,
    slot_at,
    texted_code,
    type_code,
)
from notifications.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ONE_HOLD = "You already have a time on hold."


def hold(client, slot, details=MICHAEL) -> Booking:
    """Confirm a discounted time: it is held, and the browser is sent to type the code."""
    response = confirm(client, slot, hidden_fields(review(client, slot, details)))
    assert response.status_code == 302, response.content.decode()
    booking = Booking.objects.get(slot=slot, email=details["email"])
    assert response.url == f"/booking/{booking.reference}/verify/"
    return booking


def codes_texted(booking) -> list[Message]:
    return list(Message.objects.filter(booking=booking, kind=Message.Kind.ACCESS_CODE, channel="sms"))


def test_a_discounted_spot_waits_for_the_code_texted_to_the_mobile_and_then_is_booked(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    booking = hold(client, slot, DANA)  # Dana did not ask for texts: the code goes all the same, as she asked for it

    assert (booking.status, booking.promotion, booking.price_cents) == (Booking.Status.HELD, promotion, 9900)
    assert booking.hold_expires_at == NOW + timedelta(minutes=10)
    assert booking.phone_verified_at is None
    [message] = codes_texted(booking)
    assert (message.recipient, message.status) == ("+18585550199", Message.Status.QUEUED)
    assert not Message.objects.filter(booking=booking, kind=Message.Kind.CONFIRMATION).exists()
    verify_page = client.get(f"/booking/{booking.reference}/verify/")
    says(verify_page, "We have texted a 6-digit code to your mobile")
    does_not_say(verify_page, "0199 ")  # the number is shown masked, not whole
    assert "(858) 555-0199" not in verify_page.content.decode()

    booked = type_code(client, booking)

    assert (booked.status_code, booked.url) == (302, manage_path(booking))
    booking.refresh_from_db()
    assert (booking.status, booking.phone_verified_at) == (Booking.Status.CONFIRMED, NOW)
    assert Message.objects.filter(booking=booking, kind=Message.Kind.CONFIRMATION).exists()


def test_the_reference_page_of_a_held_discounted_spot_leads_to_the_code(client, service, promotion):
    booking = hold(client, slot_at(service, PROMO_DAY, 10))

    response = client.get(f"/booking/{booking.reference}/")

    assert (response.status_code, response.url) == (302, f"/booking/{booking.reference}/verify/")


def test_a_regular_price_visit_is_booked_at_once_with_no_code(client, service, promotion):
    slot = slot_at(service, REGULAR_DAY, 10)

    response = confirm(client, slot, hidden_fields(review(client, slot)))

    booking = Booking.objects.get()
    assert (response.status_code, response.url) == (302, manage_path(booking))
    assert booking.status == Booking.Status.CONFIRMED
    assert codes_texted(booking) == []


def test_with_online_payment_the_payment_is_the_proof_and_no_code_is_texted(
    client, service, promotion, stripe_recorder
):
    slot = slot_at(service, PROMO_DAY, 10)

    response = confirm(client, slot, hidden_fields(review(client, slot)))

    booking = Booking.objects.get()
    assert response.status_code == 303 and response.url.startswith("https://checkout.stripe.com/")
    assert booking.status == Booking.Status.HELD
    assert codes_texted(booking) == []


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("abcdef", "A code is 6 digits"),
        ("1234567", "A code is 6 digits"),
        ("", "Type the code we sent you."),
        ("000000", "That code is not right, or it has expired."),
    ],
)
def test_a_code_that_is_not_the_one_texted_is_a_field_error_and_books_nothing(client, service, promotion, typed, error):
    booking = hold(client, slot_at(service, PROMO_DAY, 10))
    if typed == "000000" and texted_code(booking) == typed:
        typed = "111111"

    response = type_code(client, booking, typed or " ")

    says(response, error, status=400)
    assert 'id="id_code_error"' in response.content.decode()  # on the field, read out with it
    booking.refresh_from_db()
    assert (booking.status, booking.phone_verified_at) == (Booking.Status.HELD, None)


def test_an_old_code_stops_working_when_a_new_one_is_texted(client, service, promotion):
    booking = hold(client, slot_at(service, PROMO_DAY, 10))
    old = texted_code(booking)

    again = client.post(f"/booking/{booking.reference}/verify/new-code/")

    assert (again.status_code, again.url) == (302, f"/booking/{booking.reference}/verify/?sent=again")
    says(client.get(again.url), "We have texted a new code")
    assert len(codes_texted(booking)) == 2
    new = texted_code(booking)
    if new != old:
        says(type_code(client, booking, old), "That code is not right, or it has expired.", status=400)
    assert type_code(client, booking, new).status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_five_wrong_codes_pause_codes_for_the_booking_and_say_to_call(client, service, promotion, clinic):
    booking = hold(client, slot_at(service, PROMO_DAY, 10))
    right = texted_code(booking)
    wrong = "123456" if right != "123456" else "654321"
    for _ in range(5):
        type_code(client, booking, wrong)

    locked = type_code(client, booking, right)

    says(locked, "Too many wrong codes", status=429)
    says(locked, clinic.phone_display, status=429)
    says(client.post(f"/booking/{booking.reference}/verify/new-code/"), "Too many wrong codes", status=429)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.HELD


def test_a_hold_never_verified_lapses_after_ten_minutes_and_frees_its_spot(client, service, promotion, clock):
    slot = slot_at(service, PROMO_DAY, 10)
    promotion.spots = 1
    promotion.save()
    booking = hold(client, slot)
    code = texted_code(booking)
    other = slot_at(service, PROMO_DAY, 11)
    assert quote_slot(slot=other, now=NOW + timedelta(minutes=9)).promotion is None  # the only spot is held

    clock.move_to(NOW + timedelta(minutes=10, seconds=1))

    assert quote_slot(slot=other, now=NOW + timedelta(minutes=10, seconds=1)).promotion == promotion
    says(type_code(client, booking, code), "That code is not right, or it has expired.", status=400)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.HELD and not booking.is_active(NOW + timedelta(minutes=10, seconds=1))


def test_a_lapsed_hold_is_still_booked_by_a_late_code_when_its_spot_is_free(client, service, promotion, clock):
    booking = hold(client, slot_at(service, PROMO_DAY, 10))
    clock.move_to(NOW + timedelta(minutes=9))
    client.post(f"/booking/{booking.reference}/verify/new-code/")  # a new code lives 10 minutes
    clock.move_to(NOW + timedelta(minutes=12))

    response = type_code(client, booking)

    assert (response.status_code, response.url) == (302, manage_path(booking))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_a_lapsed_hold_whose_spot_went_to_someone_else_is_not_booked_by_its_code(client, service, promotion, clock):
    promotion.spots = 1
    promotion.save()
    slot = slot_at(service, PROMO_DAY, 10)
    booking = hold(client, slot)
    clock.move_to(NOW + timedelta(minutes=9))
    client.post(f"/booking/{booking.reference}/verify/new-code/")
    clock.move_to(NOW + timedelta(minutes=11))
    BookingFactory(slot=slot_at(service, PROMO_DAY, 12), promotion=promotion, price_cents=9900)

    response = type_code(client, booking)

    says(response, "discounted spots are all taken", status=409)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.HELD


def test_a_second_click_on_confirm_texts_no_second_code(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot))
    first = confirm(client, slot, fields)

    second = confirm(client, slot, fields)

    booking = Booking.objects.get()
    assert first.url == second.url == f"/booking/{booking.reference}/verify/"
    assert len(codes_texted(booking)) == 1
    assert booking.status == Booking.Status.HELD  # a second click does not skip the code


def test_another_browser_cannot_see_or_answer_the_code_page(client, service, promotion):
    booking = hold(client, slot_at(service, PROMO_DAY, 10))
    stranger = Client()

    seen = stranger.get(f"/booking/{booking.reference}/verify/")
    typed = stranger.post(f"/booking/{booking.reference}/verify/", {"code": texted_code(booking)})
    resent = stranger.post(f"/booking/{booking.reference}/verify/new-code/")

    assert seen.status_code == 200 and "texted a 6-digit code" not in seen.content.decode()
    assert (typed.status_code, resent.status_code) == (403, 403)
    assert len(codes_texted(booking)) == 1
    booking.refresh_from_db()
    assert booking.status == Booking.Status.HELD


def test_releasing_the_hold_frees_the_spot_at_once(client, service, promotion):
    booking = hold(client, slot_at(service, PROMO_DAY, 10))

    response = client.post(f"/booking/{booking.reference}/payment-cancelled/")

    says(response, "We have let the time go")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED
    assert client.get(f"/booking/{booking.reference}/verify/").status_code == 302


# One live hold at a time -----------------------------------------------------------------------------------


def test_one_browser_holds_one_time_at_a_time_and_is_shown_the_way_back_to_it(client, service, promotion):
    booking = hold(client, slot_at(service, PROMO_DAY, 10))
    other = slot_at(service, PROMO_DAY, 11)

    response = choose(client, other)  # while the first waits for its code

    says(response, ONE_HOLD, status=409)
    assert f"/booking/{booking.reference}/" in [href for href, _ in page(response).links]
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    "same",
    [
        {"phone": MICHAEL["phone"], "email": "someone.else@example.com"},
        {"phone": "(619) 555-0177", "email": "Michael+again@example.com"},
    ],
    ids=["same mobile", "same inbox"],
)
def test_one_mobile_and_one_inbox_hold_one_time_at_a_time_from_any_browser(service, promotion, same, stripe_recorder):
    first = slot_at(service, REGULAR_DAY, 10)  # paying online, every time is held while the patient pays
    assert confirm_details(Client(), first, price_cents=175_00).status_code == 303
    other, elsewhere = slot_at(service, REGULAR_DAY, 11), Client()

    response = confirm(elsewhere, other, hidden_fields(review(elsewhere, other, {**MICHAEL, **same})))

    says(response, ONE_HOLD, status=409)
    assert "Go to the time you are holding" not in response.content.decode()  # not this browser's to open
    assert Booking.objects.filter(requested_at__isnull=False).count() == 1
    assert Booking.objects.get(slot=other).requested_at is None  # still only chosen, in its own browser


@pytest.mark.parametrize(
    "same",
    [
        {"phone": MICHAEL["phone"], "email": "someone.else@example.com"},
        {"phone": "(619) 555-0177", "email": "Michael+again@example.com"},
    ],
    ids=["same mobile", "same inbox"],
)
def test_a_mobile_or_inbox_holding_a_discounted_spot_is_offered_no_second_one(service, promotion, same):
    hold(Client(), slot_at(service, PROMO_DAY, 10))
    other, elsewhere = slot_at(service, PROMO_DAY, 11), Client()

    response = review(elsewhere, other, {**MICHAEL, **same})

    says(response, "one per patient")
    assert hidden_fields(response)["quoted_price_cents"] == "17500"


def test_once_the_code_is_typed_the_patient_is_free_to_hold_again(client, service, promotion):
    booking = hold(client, slot_at(service, PROMO_DAY, 10))
    type_code(client, booking)
    regular = slot_at(service, REGULAR_DAY, 10)

    response = confirm(client, regular, hidden_fields(review(client, regular)))

    assert response.status_code == 302
    assert Booking.objects.filter(status=Booking.Status.CONFIRMED).count() == 2


def test_the_texted_code_never_sits_in_the_outbox_or_the_page(client, service, promotion):
    booking = hold(client, slot_at(service, PROMO_DAY, 10))
    code = texted_code(booking)

    verify_page = client.get(f"/booking/{booking.reference}/verify/")

    assert code not in verify_page.content.decode()
    for message in Message.objects.all():
        assert not re.search(r"\d{6}", message.body)


@pytest.mark.parametrize("typed", ["١٢٣٤٥٦", "12345６", "1" * 13, "12 34 5"])
def test_codes_in_other_scripts_or_lengths_are_a_field_error(client, service, promotion, typed):
    booking = hold(client, slot_at(service, PROMO_DAY, 10))

    response = type_code(client, booking, typed)

    assert response.status_code == 400
    assert 'id="id_code_error"' in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.HELD


def test_the_code_pages_of_an_unknown_booking_are_404_and_a_get_cannot_send_a_code(client, service, promotion):
    booking = hold(client, slot_at(service, PROMO_DAY, 10))

    assert client.get("/booking/NOSUCHREFERENCE2/verify/").status_code == 404
    assert client.post("/booking/NOSUCHREFERENCE2/verify/new-code/").status_code == 404
    assert client.get(f"/booking/{booking.reference}/verify/new-code/").status_code == 405
    assert len(codes_texted(booking)) == 1
