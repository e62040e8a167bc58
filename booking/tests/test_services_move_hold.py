"""booking_move_hold: a live hold moves to another time under the usual locks, as one hold, never two."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from booking.models import Booking, BookingEvent
from booking.rules import SLOT_TAKEN, SLOT_UNAVAILABLE, SOLD_OUT, Patient
from booking.services import HOLD_LAPSED, BookingError, PriceChanged, booking_hold, booking_move_hold
from booking.signals import capacity_freed
from booking.tests.factories import BookingFactory, PromotionFactory, ServiceFactory, SlotFactory

pytestmark = pytest.mark.django_db

DANA = Patient(name="Dana Cruz", email="dana@example.com", phone="+16195550142")


def in_days(service, days: float, **kwargs):
    return SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=days), **kwargs)


@pytest.fixture
def offer(service):
    return PromotionFactory(service=service)  # $99 for visits 1 to 10 days ahead


@pytest.fixture
def hold(service, offer) -> Booking:
    return booking_hold(slot_id=in_days(service, 2).pk, patient=DANA, quoted_price_cents=99_00)


def test_a_hold_moves_with_its_price_spot_and_end_and_frees_the_time_it_leaves(service, offer, hold):
    new = in_days(service, 3)
    freed = []
    capacity_freed.connect(lambda sender, booking, **kw: freed.append(booking), weak=False, dispatch_uid="t")
    try:
        moved = booking_move_hold(booking=hold, slot_id=new.pk, quoted_price_cents=99_00)
    finally:
        capacity_freed.disconnect(dispatch_uid="t")

    assert moved.pk == hold.pk and moved.reference == hold.reference
    assert (moved.slot, moved.status, moved.hold_expires_at) == (new, Booking.Status.HELD, hold.hold_expires_at)
    assert (moved.price_cents, moved.promotion) == (99_00, offer)
    assert Booking.objects.count() == 1
    assert not hold.slot.bookings.active(timezone.now()).exists()
    assert offer.bookings.active(timezone.now()).count() == 1
    assert freed == [moved]
    event = moved.events.latest("pk")
    assert (event.from_status, event.to_status, event.moved_from) == ("held", "held", hold.slot)
    assert event.note.startswith("Hold moved from ")


def test_moving_to_the_time_held_changes_nothing(hold):
    assert booking_move_hold(booking=hold, slot_id=hold.slot_id, quoted_price_cents=99_00).slot_id == hold.slot_id
    assert not BookingEvent.objects.filter(booking=hold, note__startswith="Hold moved").exists()


def test_a_lapsed_or_finished_hold_does_not_move(service, hold):
    new = in_days(service, 3)
    with time_machine.travel(hold.hold_expires_at), pytest.raises(BookingError, match=str(HOLD_LAPSED)):
        booking_move_hold(booking=hold, slot_id=new.pk, quoted_price_cents=99_00)
    confirmed = BookingFactory(slot=in_days(service, 4))
    with pytest.raises(BookingError, match=str(HOLD_LAPSED)):
        booking_move_hold(booking=confirmed, slot_id=new.pk, quoted_price_cents=175_00)
    assert Booking.objects.get(pk=hold.pk).slot_id == hold.slot_id
    assert not new.bookings.exists()


@pytest.mark.parametrize(
    ("time", "refusal"),
    [
        (lambda service: BookingFactory(slot=in_days(service, 3)).slot, SLOT_TAKEN),
        (lambda service: in_days(service, 3, is_blocked=True), SLOT_UNAVAILABLE),
        (lambda service: in_days(service, 0.01), SLOT_UNAVAILABLE),  # inside the minimum notice
        (lambda service: in_days(ServiceFactory(clinic=service.clinic), 3), SLOT_UNAVAILABLE),
    ],
    ids=["taken", "blocked", "too-soon", "another-service"],
)
def test_a_time_that_cannot_be_booked_is_refused_and_the_hold_stays(service, hold, time, refusal):
    slot = time(service)
    with pytest.raises(BookingError, match=str(refusal)):
        booking_move_hold(booking=hold, slot_id=slot.pk, quoted_price_cents=99_00)
    assert Booking.objects.get(pk=hold.pk).slot_id == hold.slot_id


def test_a_time_outside_the_offer_window_is_a_price_change(service, hold):
    later = in_days(service, 12)
    with pytest.raises(PriceChanged) as refused:
        booking_move_hold(booking=hold, slot_id=later.pk, quoted_price_cents=99_00)
    assert refused.value.quote.price_cents == 175_00
    assert Booking.objects.get(pk=hold.pk).slot_id == hold.slot_id


def test_the_offer_spots_are_counted_again_under_its_lock(service, offer, hold):
    # More discounted visits than spots (staff booked one over): the hold moves nowhere until one goes.
    offer.spots = 1
    offer.save(update_fields=["spots"])
    BookingFactory(slot=in_days(service, 5), promotion=offer)
    new = in_days(service, 3)
    with pytest.raises(BookingError, match=str(SOLD_OUT)):
        booking_move_hold(booking=hold, slot_id=new.pk, quoted_price_cents=99_00)
    assert Booking.objects.get(pk=hold.pk).slot_id == hold.slot_id
