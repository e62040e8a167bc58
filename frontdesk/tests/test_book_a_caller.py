"""Booking a caller (frontdesk/admin_phone.py): a day, then a time with its price; the mobile required, an email
only if the caller has one; a second visit on the same mobile, or another price than shown, confirmed first.

The clock is stopped at Monday 2026-04-06, 8:00 AM in San Diego; the offer is $99 for visits April 7 to 16.
"""

import pytest

from booking.models import Booking
from booking.tests.factories import BookingFactory, SlotFactory, local
from booking.tests.pages import NOW, PROMO_DAY, REGULAR_DAY, page
from notifications.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

PHONE = "/admin/booking/booking/phone/"


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


def caller(slot, /, **changes) -> dict:
    fields = {
        "day": PROMO_DAY.isoformat(),
        "slot": slot.pk,
        "name": "Pat Caller",
        "phone": "(619) 555-0188",
        "language": "en",
    }
    return {**fields, **changes}


def test_the_days_open_times_each_with_its_price_before_booking(desk, service, offer):
    SlotFactory(service=service, starts_at=local(PROMO_DAY, 9))
    SlotFactory(service=service, starts_at=local(PROMO_DAY, 10), is_blocked=True)
    BookingFactory(slot=SlotFactory(service=service, starts_at=local(PROMO_DAY, 11)))
    SlotFactory(service=service, starts_at=local(REGULAR_DAY, 9))

    response = desk.get(PHONE, {"day": PROMO_DAY.isoformat()})

    labels = [label for _, label in response.context["form"].fields["slot"].choices]
    assert labels == ["9:00 AM · $99 (Launch week)"]
    assert "Open times on Wednesday, April 8" in page(response).text
    regular = desk.get(PHONE, {"day": REGULAR_DAY.isoformat()})
    assert [label for _, label in regular.context["form"].fields["slot"].choices] == ["9:00 AM · $175"]


def test_a_walk_in_is_booked_into_a_time_starting_in_minutes(desk, service, clock):
    slot = SlotFactory(service=service, starts_at=local(NOW.date(), 8, 15))  # inside the online notice
    response = desk.post(PHONE, caller(slot, day=NOW.date().isoformat()))
    assert response.status_code == 302
    assert Booking.objects.get().slot == slot


def test_a_caller_without_an_email_is_booked_and_told_by_text_only(desk, service, offer):
    slot = SlotFactory(service=service, starts_at=local(PROMO_DAY, 9))

    response = desk.post(PHONE, caller(slot, sms_consent="on"), follow=True)

    booking = Booking.objects.get()
    assert (booking.email, booking.phone, booking.price_cents) == ("", "+16195550188", 99_00)
    assert "Booked Pat Caller at $99, due at the visit." in [m.message for m in response.context["messages"]]
    sent = Message.objects.filter(booking=booking, kind=Message.Kind.CONFIRMATION)
    assert [m.channel for m in sent] == ["sms"]


def test_two_callers_without_email_are_two_patients_for_the_discount(desk, service, offer):
    first, second = (SlotFactory(service=service, starts_at=local(PROMO_DAY, hour)) for hour in (9, 10))
    desk.post(PHONE, caller(first))
    desk.post(PHONE, caller(second, name="Sam Lee", phone="(619) 555-0199"))
    assert sorted(Booking.objects.values_list("price_cents", flat=True)) == [99_00, 99_00]


def test_a_mobile_that_already_has_a_visit_is_booked_again_only_once_confirmed(desk, service, offer):
    BookingFactory(
        slot=SlotFactory(service=service, starts_at=local(PROMO_DAY, 15)),
        patient_name="Pat Caller",
        phone="+16195550188",
    )
    slot = SlotFactory(service=service, starts_at=local(REGULAR_DAY, 9))

    first = desk.post(PHONE, caller(slot, day=REGULAR_DAY.isoformat()))

    assert first.status_code == 200
    text = page(first).text
    assert "This mobile already has a visit booked: Pat Caller, Wed Apr 8, 3:00 PM" in text
    assert Booking.objects.count() == 1
    again = {**caller(slot, day=REGULAR_DAY.isoformat()), "book_anyway": "on"}
    assert desk.post(PHONE, again).status_code == 302
    assert Booking.objects.count() == 2


def test_another_price_than_shown_is_said_before_booking(desk, service, offer):
    BookingFactory(
        slot=SlotFactory(service=service, starts_at=local(PROMO_DAY, 15)),
        promotion=offer,
        price_cents=99_00,
        email="pat@example.com",
        phone="+16195550100",
    )
    slot = SlotFactory(service=service, starts_at=local(PROMO_DAY, 9))

    first = desk.post(PHONE, caller(slot, email="Pat@Example.com"))

    assert "For this caller the time is at $175, not $99." in page(first).text
    assert Booking.objects.count() == 1
    desk.post(PHONE, {**caller(slot, email="Pat@Example.com"), "book_anyway": "on"})
    assert Booking.objects.get(slot=slot).price_cents == 175_00


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"phone": ""}, "Enter the caller’s mobile number."),
        ({"name": ""}, "Enter the caller’s full name."),
        ({"slot": ""}, "Choose a time."),
        ({"slot": "999999"}, "That time is no longer open: choose another."),
        ({"slot": "ten"}, "That time is no longer open: choose another."),
        ({"email": "nope"}, "Enter an email address like name@example.com."),
    ],
)
def test_what_the_desk_must_give_and_nothing_booked_without_it(desk, service, changes, error):
    slot = SlotFactory(service=service, starts_at=local(PROMO_DAY, 9))
    response = desk.post(PHONE, caller(slot, **changes))
    assert response.status_code == 400
    assert error in page(response).text
    assert not Booking.objects.exists()


@pytest.mark.parametrize("query", [{"day": "someday"}, {"day": "2026-02-30"}, {"slot": "abc"}, {"slot": "99999"}])
def test_a_day_or_time_that_cannot_be_shown_shows_today(desk, service, query):
    response = desk.get(PHONE, query)
    assert response.status_code == 200
    assert response.context["day"] == NOW.date()
