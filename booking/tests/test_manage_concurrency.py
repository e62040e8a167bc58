"""Patients moving and cancelling from their private links at the same instant, on PostgreSQL.

Real threads, each on its own connection, released together (booking.tests.threads.race).
"""

from collections import Counter

import pytest
from django.utils import timezone

from booking.manage import Move, patient_cancel, patient_reschedule
from booking.models import Booking, Slot
from booking.rules import SLOT_TAKEN, Patient
from booking.services import MOVED_MEANWHILE, BookingError, booking_create, booking_reschedule
from booking.tests.factories import BookingFactory, ServiceFactory, SlotFactory
from booking.tests.threads import kinds, race
from clinic.tests.factories import ClinicFactory
from notifications.models import Message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 6  # each race again on fresh rows: the threads win in either order


def runner(n: int) -> Patient:
    return Patient(name=f"Runner {n}", email=f"runner{n}@example.com", phone=f"+1619555{n:04d}")


def active(slot: Slot) -> int:
    return slot.bookings.active(timezone.now()).count()


def fresh(booking: Booking) -> Booking:
    return Booking.objects.select_related("slot").get(pk=booking.pk)


def reschedule_notices(booking: Booking) -> int:
    return Message.objects.filter(booking=booking, kind=Message.Kind.RESCHEDULE).count()


@pytest.fixture
def service():
    return ServiceFactory(clinic=ClinicFactory())


def confirmed(service, n: int) -> Booking:
    """A pay-at-visit booking three days ahead, made through the booking service."""
    slot = SlotFactory(service=service)
    return booking_create(slot_id=slot.pk, patient=runner(n), quoted_price_cents=service.regular_price_cents)


def move(booking: Booking, slot: Slot):
    return lambda: patient_reschedule(booking=booking, slot_id=slot.pk, quoted_price_cents=175_00)


@pytest.mark.parametrize("patients", [2, 10])
def test_patients_moving_into_the_last_free_seat_at_once_move_exactly_one(service, patients):
    target = SlotFactory(service=service, capacity=2)
    BookingFactory(slot=target)
    bookings = [confirmed(service, n) for n in range(patients)]
    before = {b.pk: b.slot_id for b in bookings}

    outcomes = race([move(booking, target) for booking in bookings])

    assert kinds(outcomes) == {"Move": 1, "BookingError": patients - 1}, outcomes
    assert {str(o) for o in outcomes if isinstance(o, BookingError)} == {SLOT_TAKEN}
    assert active(target) == 2
    [winner] = [o.booking for o in outcomes if isinstance(o, Move)]
    for booking in bookings:
        now = fresh(booking)
        assert now.status == Booking.Status.CONFIRMED
        if booking.pk == winner.pk:
            assert now.slot_id == target.pk
            assert reschedule_notices(booking) == 1
            assert active(Slot.objects.get(pk=before[booking.pk])) == 0  # its old seat is free
        else:
            assert now.slot_id == before[booking.pk]  # the others keep their own time
            assert reschedule_notices(booking) == 0
            assert not now.events.filter(note__startswith="Moved").exists()


def test_a_move_and_a_new_booking_racing_for_the_last_seat_never_overbook(service):
    results = Counter()
    for n in range(ROUNDS):
        target = SlotFactory(service=service, capacity=1)
        mover = confirmed(service, n)
        old_slot = mover.slot_id

        outcomes = race(
            [
                move(mover, target),
                lambda n=n, target=target: booking_create(
                    slot_id=target.pk, patient=runner(100 + n), quoted_price_cents=175_00
                ),
            ]
        )

        assert active(target) == 1, outcomes
        assert kinds(outcomes) in ({"Move": 1, "BookingError": 1}, {"Booking": 1, "BookingError": 1}), outcomes
        assert {str(o) for o in outcomes if isinstance(o, BookingError)} == {SLOT_TAKEN}
        moved, newcomer = outcomes
        mover = fresh(mover)
        assert mover.status == Booking.Status.CONFIRMED
        if isinstance(moved, Move):
            assert mover.slot_id == target.pk
            assert not Booking.objects.filter(slot=target).exclude(pk=mover.pk).exists()
            results["move won"] += 1
        else:
            assert mover.slot_id == old_slot
            assert newcomer.slot_id == target.pk and newcomer.status == Booking.Status.CONFIRMED
            results["booking won"] += 1
    assert sum(results.values()) == ROUNDS


def test_a_cancel_and_a_move_of_the_same_booking_racing_end_consistent(service):
    results = Counter()
    for n in range(ROUNDS):
        booking = confirmed(service, n)
        old, new = booking.slot, SlotFactory(service=service)

        cancelled, moved = race([lambda booking=booking: patient_cancel(booking=booking), move(booking, new)])

        # The cancel always stands: it either came first, or cancelled the visit at its new time.
        assert isinstance(cancelled, Booking), cancelled
        final = fresh(booking)
        assert final.status == Booking.Status.CANCELLED
        assert active(old) == active(new) == 0
        assert final.events.filter(to_status=Booking.Status.CANCELLED).count() == 1
        assert Message.objects.filter(booking=booking, kind=Message.Kind.CANCELLATION).count() == 1
        notes = list(final.events.exclude(note="").values_list("note", flat=True))
        if isinstance(moved, BookingError):
            # Cancelled first: the move found nothing to move.
            assert str(moved) == "Only a confirmed booking can be moved."
            assert final.slot_id == old.pk
            assert reschedule_notices(booking) == 0
            assert not new.bookings.exists()
            results["cancel first"] += 1
        else:
            # Moved first, then cancelled at the new time: never a confirmed booking left behind.
            assert isinstance(moved, Move), moved
            assert final.slot_id == new.pk
            assert notes[0].startswith("Moved from") and notes[-1] == "Cancelled by the patient online"
            assert reschedule_notices(booking) == 1
            results["move first"] += 1
    assert sum(results.values()) == ROUNDS


def staff_move(booking: Booking, slot: Slot, seen_slot_id: int):
    return lambda: booking_reschedule(
        booking=booking, slot_id=slot.pk, quoted_price_cents=175_00, online=False, from_slot_id=seen_slot_id
    )


def test_two_staff_moving_one_visit_at_once_one_wins_and_the_other_is_told(service):
    """Both saw the visit at its first time and chose different new times (Today's Move: from_slot_id)."""
    for _ in range(ROUNDS):
        booking = confirmed(service, 1)
        first, second = SlotFactory(service=service), SlotFactory(service=service)

        outcomes = race([staff_move(booking, first, booking.slot_id), staff_move(booking, second, booking.slot_id)])

        assert kinds(outcomes) == Counter({"Booking": 1, "BookingError": 1})
        [told] = [o for o in outcomes if isinstance(o, BookingError)]
        assert str(told) == MOVED_MEANWHILE
        [moved] = [o for o in outcomes if isinstance(o, Booking)]
        assert fresh(booking).slot_id == moved.slot_id
        assert active(first) + active(second) == 1
        assert reschedule_notices(booking) == 1
        Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
