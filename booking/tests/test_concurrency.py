"""Races on PostgreSQL: real threads, each on its own connection, released at the same instant."""

import threading
from collections import Counter

import pytest
from django.db import connection

from booking.models import Booking
from booking.pricing import Patient
from booking.services import SLOT_TAKEN, BookingError, PriceChanged, booking_create
from booking.tests.factories import BookingFactory, ClinicFactory, PromotionFactory, ServiceFactory, SlotFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def race(attempts):
    """Run each callable in its own thread, all released together; return what each returned or raised."""
    barrier = threading.Barrier(len(attempts))
    outcomes = [None] * len(attempts)

    def run(i, attempt):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = attempt()
        except Exception as exc:  # the test inspects every outcome
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a booking thread hung: deadlock or lock wait"
    return outcomes


def runner(n: int, **overrides) -> Patient:
    fields = {"name": f"Runner {n}", "email": f"runner{n}@example.com", "phone": f"+1619555{n:04d}"}
    return Patient(**{**fields, **overrides})


def kinds(outcomes) -> Counter:
    return Counter(type(o).__name__ for o in outcomes)


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
    assert all(o.price_cents == 175_00 for o in outcomes if isinstance(o, PriceChanged))
    assert promotion.bookings.filter(status="confirmed").count() == 8
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
