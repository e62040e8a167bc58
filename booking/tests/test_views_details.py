"""The details step, `/book/held/<reference>/`: the form, bad input, unbookable times and the review page.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
"""

from datetime import timedelta

import pytest
from django.test import Client

from booking.models import Booking
from booking.tests.factories import BookingFactory, PromotionFactory, SlotFactory
from booking.tests.pages import (
    DANA,
    FRIENDLY_404,
    MICHAEL,
    NOW,
    PROMO_DAY,
    SLOT_TAKEN,
    SLOT_UNAVAILABLE,
    TODAY,
    book,
    choose,
    client_get_details,
    control,
    held_url,
    hidden_fields,
    page,
    post_details,
    review,
    says,
    slot_at,
)
from clinic.tests.factories import ClosureFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


# The details form ----------------------------------------------------------------------------------


def test_details_form_labels_every_input_and_leaves_sms_consent_unticked(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    response = client_get_details(client, slot)

    says(response, "Wednesday, April 8 at 10:00 AM")
    says(response, "$99")
    html = page(response)
    visible = [c for c in html.controls if c.get("type") != "hidden"]
    assert {c["name"] for c in visible} == {"name", "email", "phone", "sms_consent"}
    for c in visible:
        assert c.get("id") and c["id"] in html.label_for, f"{c['name']} has no <label for=...>"
    sms = control(response, "sms_consent")
    assert sms["type"] == "checkbox"
    assert "checked" not in sms


@pytest.mark.parametrize("slot_id", ["424242", "99999999999999999999"], ids=["unknown", "enormous"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_or_enormous_slot_id_is_a_404(client, service, slot_id, method):
    response = getattr(client, method)(f"/book/time/{slot_id}/")
    says(response, FRIENDLY_404, status=404)
    assert not Booking.objects.exists()


@pytest.mark.parametrize("step", ["", "review/", "confirm/", "release/"])
def test_an_unknown_hold_is_a_404_at_every_step(client, service, step):
    url = f"/book/held/ZZZZZZZZZZZZZZZZ/{step}"
    response = client.get(url) if step == "review/" else client.post(url, MICHAEL)
    says(response, FRIENDLY_404, status=404)


def _blocked(service, clinic):
    return slot_at(service, PROMO_DAY, 10, is_blocked=True)


def _past(service, clinic):
    return slot_at(service, TODAY, 7)


def _too_soon(service, clinic):
    return SlotFactory(service=service, starts_at=NOW + timedelta(hours=1, minutes=59))


def _closed_day(service, clinic):
    ClosureFactory(clinic=clinic, starts_on=PROMO_DAY, ends_on=PROMO_DAY)
    return slot_at(service, PROMO_DAY, 10)


def _full(service, clinic):
    slot = slot_at(service, PROMO_DAY, 10)
    BookingFactory(slot=slot)
    return slot


@pytest.mark.parametrize(
    "make_slot, message",
    [
        (_blocked, SLOT_UNAVAILABLE),
        (_past, SLOT_UNAVAILABLE),
        (_too_soon, SLOT_UNAVAILABLE),
        (_closed_day, SLOT_UNAVAILABLE),
        (_full, SLOT_TAKEN),
    ],
    ids=["blocked", "past", "too-soon", "closure-day", "full"],
)
def test_an_unbookable_time_cannot_be_chosen_and_saves_nothing(client, clinic, service, make_slot, message):
    slot = make_slot(service, clinic)
    bookings_before = Booking.objects.count()

    response = choose(client, slot)

    says(response, f"That time is not available {message}", status=409)
    says(response, "call or text (619) 268-1397", status=409)
    assert Booking.objects.count() == bookings_before


# Posting details and reviewing ---------------------------------------------------------------------


def test_valid_details_show_the_review_with_price_time_address_and_hidden_fields(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    response = review(client, slot)

    says(response, "Review and confirm")
    says(response, "Wednesday, April 8 at 10:00 AM (Pacific time)")
    says(response, "4901 Morena Blvd, Suite 501, San Diego, CA 92117")
    says(response, "Payment of $99 is due at the visit.")
    says(response, "Name Michael Green Email michael@example.com Mobile (619) 555-0123")
    assert hidden_fields(response) == {"quoted_price_cents": "9900"}  # the details are kept on the hold
    booking = Booking.objects.get()  # reviewing books nothing: the time is held while the patient reads
    assert (booking.status, booking.requested_at, booking.phone) == (Booking.Status.HELD, None, "+16195550123")


def test_reviewing_once_the_offer_is_sold_out_looks_up_no_earlier_discount(
    client, service, django_assert_max_num_queries
):
    PromotionFactory(service=service, spots=1)
    book(Client(), slot_at(service, PROMO_DAY, 11), DANA)  # the last discounted spot
    slot = slot_at(service, PROMO_DAY, 10)

    post_details(client, slot)
    review_url = held_url(client, slot) + "review/"
    # The hold (with its slot, service and clinic), closures, the offer with its spots taken.
    with django_assert_max_num_queries(3):
        response = client.get(review_url)

    says(response, "The discounted spots are all taken, so this time is at the regular rate.")
    says(response, "Payment of $175 is due at the visit.")


def test_change_details_shows_the_form_filled_in(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    review(client, slot)

    response = client_get_details(client, slot)  # "Change details"

    says(response, "Your details")
    assert control(response, "name")["value"] == "Michael Green"
    assert control(response, "email")["value"] == "michael@example.com"
    assert control(response, "phone")["value"] == "+16195550123"
    assert "checked" in control(response, "sms_consent")
    assert not any(c.get("aria-invalid") for c in page(response).controls)  # no errors shown yet


def test_change_details_keeps_sms_consent_unticked_when_the_patient_declined_texts(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    review(client, slot, DANA)
    assert Booking.objects.get().sms_consent is False

    response = client_get_details(client, slot)

    assert response.status_code == 200
    assert "checked" not in control(response, "sms_consent")


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("phone", "12", "That number does not look right. Check it and try again."),
        ("phone", "abc", "Enter a mobile number such as (619) 555-0123."),
        ("email", "michael@", "Enter an email address like name@example.com."),
        ("email", "michael.example.com", "Enter an email address like name@example.com."),
        ("name", "", "Enter your full name."),
        ("name", "   ", "Enter your full name."),
        ("phone", "", "Enter your mobile number."),
        ("phone", "6" * 31, "Enter a mobile number such as (619) 555-0123."),
        ("name", "x" * 121, "That name is too long for our records: 120 characters at most."),
        ("email", "a" * 243 + "@example.com", "That email address is too long: 254 characters at most."),
    ],
    ids=[
        "phone-12",
        "phone-abc",
        "email-no-host",
        "email-no-at",
        "no-name",
        "blank-name",
        "no-phone",
        "long-phone",
        "long-name",
        "long-email",
    ],
)
def test_bad_details_are_a_400_with_the_error_next_to_the_field(client, service, promotion, field, value, error):
    slot = slot_at(service, PROMO_DAY, 10)

    response = post_details(client, slot, **{field: value})

    assert response.status_code == 400
    html = page(response)
    bad = control(response, field)
    # The field is marked invalid and points at its own error text.
    assert bad.get("aria-invalid") == "true"
    assert f"id_{field}_error" in bad.get("aria-describedby", "").split()
    assert error in html.by_id[f"id_{field}_error"]
    assert [c["name"] for c in html.controls if c.get("aria-invalid")] == [field]  # only that field
    # The error summary at the top names the mistake and links to the field (it takes the focus as it loads).
    assert "There is a problem" in html.text
    assert (f"#id_{field}", error) in [(href, text) for href, text in html.links if href.startswith("#id_")]
    assert Booking.objects.get().patient_name == ""  # nothing of it kept


def test_us_phone_number_is_stored_in_e164(service, promotion):
    booking = book(Client(), slot_at(service, PROMO_DAY, 10), {**MICHAEL, "phone": "(619) 555-0123"})
    assert booking.phone == "+16195550123"


def test_a_likely_email_typo_is_pointed_out_once_and_kept_if_sent_again(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)

    hinted = post_details(client, slot, email="michael@gmial.com")

    assert hinted.status_code == 200
    says(hinted, "Did you mean michael@gmail.com?")
    assert "Confirm booking" not in page(hinted).text  # still the details step
    kept = post_details(client, slot, email="michael@gmial.com", email_checked="michael@gmial.com")
    assert kept.status_code == 303  # on to the review, with the address as typed
    assert Booking.objects.get().email == "michael@gmial.com"
    corrected = post_details(client, slot, email="michael@gmail.com", email_checked="michael@gmial.com")
    assert corrected.status_code == 303
    assert Booking.objects.get().email == "michael@gmail.com"


def test_a_changed_typo_is_pointed_out_again(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    again = post_details(client, slot, email="michael@yaho.com", email_checked="michael@gmial.com")
    says(again, "Did you mean michael@yahoo.com?")
