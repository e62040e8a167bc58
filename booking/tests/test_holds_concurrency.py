"""Times held from the moment they are chosen, raced by real threads on PostgreSQL: the seat and the discounted
spot a hold takes are counted under the same locks as a booking's, so a rush never holds more than there is."""

from collections import Counter

import pytest
from django.utils import timezone

from booking.holds import hold_details_save, hold_request, hold_take
from booking.models import Booking
from booking.rules import SLOT_TAKEN, Patient
from booking.services import BookingError, booking_create
from booking.tests.factories import BookingFactory, PromotionFactory, ServiceFactory, SlotFactory
from booking.tests.threads import kinds, race
from clinic.tests.factories import ClinicFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


@pytest.fixture
def service():
    return ServiceFactory(clinic=ClinicFactory())


def test_twenty_browsers_choosing_the_last_seat_at_once_hold_it_once(service):
    slot = SlotFactory(service=service, capacity=2)
    BookingFactory(slot=slot)

    outcomes = race([lambda: hold_take(slot_id=slot.pk) for _ in range(THREADS)])

    assert kinds(outcomes) == {"Booking": 1, "BookingError": THREADS - 1}, outcomes
    assert {str(o) for o in outcomes if isinstance(o, BookingError)} == {SLOT_TAKEN}
    assert slot.bookings.active(timezone.now()).count() == 2


def test_twenty_browsers_choosing_times_at_once_hold_no_more_discounted_spots_than_there_are(service):
    promotion = PromotionFactory(service=service, spots=8)
    for _ in range(5):
        BookingFactory(slot=SlotFactory(service=service), promotion=promotion)
    slots = [SlotFactory(service=service) for _ in range(THREADS)]

    outcomes = race([lambda slot=slot: hold_take(slot_id=slot.pk) for slot in slots])

    assert kinds(outcomes) == {"Booking": THREADS}, outcomes  # every time is held, at one price or the other
    prices = Counter(o.price_cents for o in outcomes)
    assert prices == {99_00: 3, 175_00: THREADS - 3}
    assert promotion.bookings.active(timezone.now()).count() == 8


def test_a_hold_confirmed_while_the_front_desk_books_the_same_last_seat_is_one_or_the_other(service):
    slot = SlotFactory(service=service)
    caller = Patient(name="Pat Caller", email="pat@example.com", phone="+16195550188")
    hold = hold_take(slot_id=slot.pk)
    hold = hold_details_save(
        booking=hold, patient=Patient(name="Dana Cruz", email="dana@example.com", phone="+16195550142")
    )

    outcomes = race(
        [
            lambda: hold_request(booking=hold, quoted_price_cents=175_00),
            lambda: booking_create(slot_id=slot.pk, patient=caller, quoted_price_cents=175_00, online=False),
        ]
    )

    # The hold is the patient's: the desk is told the time is taken, and the patient is booked.
    assert isinstance(outcomes[0], Booking) and outcomes[0].status == Booking.Status.CONFIRMED, outcomes
    assert isinstance(outcomes[1], BookingError) and str(outcomes[1]) == SLOT_TAKEN
    assert slot.bookings.active(timezone.now()).count() == 1
