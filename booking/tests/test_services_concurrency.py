"""Races on PostgreSQL: real threads, each on its own connection, released at the same instant."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from booking.models import Booking, Slot
from booking.rules import SLOT_TAKEN, Patient
from booking.services import BookingError, PriceChanged, booking_create
from booking.tests.factories import BookingFactory, PromotionFactory, ServiceFactory, SlotFactory
from booking.tests.threads import kinds, race
from clinic.tests.factories import ClinicFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def runner(n: int, **overrides) -> Patient:
    fields = {"name": f"Runner {n}", "email": f"runner{n}@example.com", "phone": f"+1619555{n:04d}"}
    return Patient(**{**fields, **overrides})


@pytest.fixture
def service():
    return ServiceFactory(clinic=ClinicFactory())


def test_last_discounted_spot_goes_to_exactly_one_of_twenty(service):
    promotion = PromotionFactory(service=service, spots=8)
    for _ in range(7):
        BookingFactory(slot=SlotFactory(service=service), promotion=promotion)
    slots = [SlotFactory(service=service) for _ in range(THREADS)]

    outcomes = race(
        [
            lambda slot=slot, n=n: booking_create(slot_id=slot.pk, patient=runner(n), quoted_price_cents=99_00)
            for n, slot in enumerate(slots)
        ]
    )

    assert kinds(outcomes) == {"Booking": 1, "PriceChanged": THREADS - 1}, outcomes
    assert all(o.quote.price_cents == 175_00 for o in outcomes if isinstance(o, PriceChanged))
    [winner] = [o for o in outcomes if isinstance(o, Booking)]
    assert winner.status == "held"  # until its patient types the code texted to the mobile
    assert promotion.bookings.active(timezone.now()).count() == 8
    assert Booking.objects.count() == 8  # the losers booked nothing


def test_last_seat_of_a_slot_goes_to_exactly_one_of_twenty(service):
    slot = SlotFactory(service=service, capacity=2)
    BookingFactory(slot=slot)

    outcomes = race(
        [
            lambda n=n: booking_create(slot_id=slot.pk, patient=runner(n), quoted_price_cents=175_00)
            for n in range(THREADS)
        ]
    )

    assert kinds(outcomes) == {"Booking": 1, "BookingError": THREADS - 1}, outcomes
    assert {str(o) for o in outcomes if isinstance(o, BookingError)} == {SLOT_TAKEN}
    assert slot.bookings.count() == 2


def test_one_patient_racing_for_many_discounted_spots_gets_one(service):
    promotion = PromotionFactory(service=service, spots=8)
    slots = [SlotFactory(service=service) for _ in range(THREADS)]
    # The same runner, typing their email in another case or giving another phone number.
    same_person = [runner(1), runner(1, email="RUNNER1@Example.com"), runner(1, phone="+16195550999")]

    outcomes = race(
        [
            lambda slot=slot, i=i: booking_create(slot_id=slot.pk, patient=same_person[i % 3], quoted_price_cents=99_00)
            for i, slot in enumerate(slots)
        ]
    )

    assert kinds(outcomes) == {"Booking": 1, "PriceChanged": THREADS - 1}, outcomes
    assert promotion.bookings.count() == 1


def test_mixed_rush_on_few_seats_and_spots_never_oversells(service):
    """Thirty patients, three slots of two seats, three discounted spots: six bookings, three discounted."""
    promotion = PromotionFactory(service=service, spots=3)
    slots = [SlotFactory(service=service, capacity=2) for _ in range(3)]

    def attempt(n):
        slot = slots[n % 3]
        try:
            return booking_create(slot_id=slot.pk, patient=runner(n), quoted_price_cents=99_00)
        except PriceChanged as exc:  # told before booking; takes the regular rate
            return booking_create(slot_id=slot.pk, patient=runner(n), quoted_price_cents=exc.quote.price_cents)

    outcomes = race([lambda n=n: attempt(n) for n in range(30)])

    assert kinds(outcomes) == {"Booking": 6, "BookingError": 24}, outcomes
    assert {str(o) for o in outcomes if isinstance(o, BookingError)} == {SLOT_TAKEN}
    assert promotion.bookings.count() == 3
    assert all(slot.bookings.count() == 2 for slot in slots)


def test_a_booking_stuck_behind_a_lock_says_busy_instead_of_waiting(service, settings):
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    slot = SlotFactory(service=service)
    locked, release = threading.Event(), threading.Event()

    def hold_the_slot_row():
        with transaction.atomic():
            Slot.objects.select_for_update().get(pk=slot.pk)
            locked.set()
            release.wait(timeout=10)
        connection.close()

    holder = threading.Thread(target=hold_the_slot_row)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with pytest.raises(BookingError, match="very busy"):
            booking_create(slot_id=slot.pk, patient=runner(1), quoted_price_cents=175_00)
    finally:
        release.set()
        holder.join(timeout=10)
    assert not slot.bookings.exists()
