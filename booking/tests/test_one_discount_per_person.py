"""One discounted assessment per person, whatever spelling of the inbox they type: the review page and the waiting list.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
Alice already holds an active discounted booking (confirmed, $99) when she books again.
"""

import pytest
from django.test import Client

from booking.models import Booking
from booking.tests.factories import BookingFactory
from booking.tests.pages import PROMO_DAY, does_not_say, hidden_fields, review, says, slot_at
from waitlist.models import WaitlistEntry
from waitlist.tests.offers import fill

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ONE_PER_PATIENT = "You already have a discounted assessment booked (one per patient)"
ALREADY = "You are already on this waiting list: we will text or email you when a place opens."
ALICE_PHONE = "+16195550100"


def discounted_booking(service, promotion, *, email: str, phone: str = ALICE_PHONE) -> Booking:
    return BookingFactory(
        slot=slot_at(service, PROMO_DAY, 9),
        promotion=promotion,
        status=Booking.Status.CONFIRMED,
        patient_name="Alice Lee",
        email=email,
        phone=phone,
    )


def details(email: str, phone: str) -> dict:
    return {"name": "Alice Lee", "email": email, "phone": phone, "sms_consent": "on"}


def quoted_regular_as_a_repeat(response) -> None:
    says(response, ONE_PER_PATIENT)
    says(response, "Payment of $175 is due at the visit.")
    assert hidden_fields(response)["quoted_price_cents"] == "17500"


def quoted_the_discount(response) -> None:
    does_not_say(response, ONE_PER_PATIENT)
    says(response, "Payment of $99 is due at the visit.")
    assert hidden_fields(response)["quoted_price_cents"] == "9900"


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("alice@example.com", "alice+2@example.com"),
        ("alice@example.com", "ALICE@example.com"),
        ("alice+physio@example.com", "Alice@Example.com"),
        ("a.lice@gmail.com", "alice@googlemail.com"),
        ("alice@googlemail.com", "A.L.I.C.E+again@gmail.com"),
    ],
    ids=["plus-tag", "upper-case", "tag-on-the-first", "gmail-dots-and-googlemail", "googlemail-then-gmail"],
)
def test_the_same_inbox_spelled_another_way_with_another_phone_is_quoted_the_regular_price(
    client, service, promotion, first, again
):
    discounted_booking(service, promotion, email=first)

    response = review(client, slot_at(service, PROMO_DAY, 12), details(again, "(760) 555-0142"))

    quoted_regular_as_a_repeat(response)


@pytest.mark.parametrize(
    ("first", "other"),
    [
        ("alice@example.com", "alice@example.org"),
        ("alice@example.com", "a.lice@example.com"),  # outside Gmail a dot names another inbox
        ("alice@gmail.com", "alice@example.com"),
    ],
    ids=["other-domain", "dot-outside-gmail", "gmail-vs-other-domain"],
)
def test_a_different_person_with_another_phone_still_gets_the_discount(client, service, promotion, first, other):
    discounted_booking(service, promotion, email=first)

    response = review(client, slot_at(service, PROMO_DAY, 12), details(other, "(760) 555-0142"))

    quoted_the_discount(response)


@pytest.mark.parametrize("typed", ["(619) 555-0100", "+1 619 555 0100", "619.555.0100"])
def test_the_same_phone_with_a_different_email_is_quoted_the_regular_price(client, service, promotion, typed):
    discounted_booking(service, promotion, email="alice@example.com")

    response = review(client, slot_at(service, PROMO_DAY, 12), details("someone.else@example.org", typed))

    quoted_regular_as_a_repeat(response)


def test_a_cancelled_discounted_booking_does_not_count_against_the_same_inbox(client, service, promotion):
    cancelled = discounted_booking(service, promotion, email="a.lice@gmail.com")
    Booking.objects.filter(pk=cancelled.pk).update(status=Booking.Status.CANCELLED)

    response = review(client, slot_at(service, PROMO_DAY, 12), details("alice+2@googlemail.com", ALICE_PHONE))

    quoted_the_discount(response)


# The waiting list ---------------------------------------------------------------------------------


def test_joining_an_offers_list_again_with_another_spelling_of_a_gmail_inbox_is_refused(service, promotion):
    fill(promotion)
    join = f"/waitlist/offer/{promotion.pk}/"
    first = Client().post(join, details("b.o.b@gmail.com", "(619) 555-0111") | {"name": "Bob Ortiz"})
    assert first.status_code == 302, first.content.decode()

    again = Client().post(join, details("bob+x@gmail.com", "(619) 555-0112") | {"name": "Bob Ortiz"})

    says(again, ALREADY, status=409)
    assert WaitlistEntry.objects.get().email == "b.o.b@gmail.com"

    other = Client().post(join, details("bobby@gmail.com", "(619) 555-0113") | {"name": "Bobby Ortiz"})
    assert other.status_code == 302, other.content.decode()
    assert WaitlistEntry.objects.count() == 2
