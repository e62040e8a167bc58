"""Moving an offered place to another time, raced on PostgreSQL: real threads, each on its own connection.

Whatever the interleaving, a slot never has more active bookings than seats, the offer never more active
discounted bookings than spots, and each patient holds one time, never two.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from booking.models import Booking, Slot
from booking.rules import SLOT_TAKEN
from booking.services import BookingError, booking_cancel, booking_create
from booking.tests.factories import SlotFactory, local
from booking.tests.threads import kinds, race
from waitlist.models import WaitlistEntry
from waitlist.services import OfferClosed, offer_claim, offer_switch, offers_make, waitlist_join

from .people import T0, runner

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THURSDAY = date(2026, 4, 9)  # inside the offer's visit window
Status = WaitlistEntry.Status


def offered(promotion, sold_out, count: int) -> list[WaitlistEntry]:
    """`count` callers the front desk put on the list (a claim books at once), each offered a freed spot."""
    for booking in sold_out[:count]:
        booking_cancel(booking=booking, reason="Patient called")
    entries = [
        waitlist_join(service=promotion.service, patient=runner(n, sms_consent=True), promotion=promotion)
        for n in range(1, count + 1)
    ]
    WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]).update(email_by_staff=True, phone_by_staff=True)
    assert offers_make() == count
    return [WaitlistEntry.objects.get(pk=e.pk) for e in entries]


def active(**lookups) -> int:
    return Booking.objects.active(timezone.now()).filter(**lookups).count()


def assert_never_overbooked(service, promotion) -> None:
    now = timezone.now()
    for slot in Slot.objects.filter(service=service):
        assert slot.bookings.active(now).count() <= slot.capacity, slot
    assert promotion.bookings.active(now).count() <= promotion.spots


def test_two_people_moving_their_places_to_the_last_free_time_one_gets_it(service, promotion, sold_out):
    last = SlotFactory(service=service, starts_at=local(THURSDAY, 10))
    ann, ben = offered(promotion, sold_out, 2)

    outcomes = race(
        [lambda: offer_switch(entry=ann, slot_id=last.pk), lambda: offer_switch(entry=ben, slot_id=last.pk)]
    )

    assert kinds(outcomes) == {"Booking": 1, "BookingError": 1}, outcomes
    assert {str(o) for o in outcomes if isinstance(o, BookingError)} == {SLOT_TAKEN}
    assert active(slot=last) == 1
    assert active(email="runner1@example.com") == active(email="runner2@example.com") == 1  # one time each
    assert promotion.bookings.active(timezone.now()).count() == promotion.spots
    assert_never_overbooked(service, promotion)


@pytest.mark.parametrize("attempt", range(3))
def test_a_move_racing_twenty_bookings_of_the_same_time_never_overbooks(service, promotion, sold_out, attempt):
    contested = SlotFactory(service=service, starts_at=local(THURSDAY, 11))
    [ann] = offered(promotion, sold_out, 1)

    outcomes = race(
        [
            lambda: offer_switch(entry=ann, slot_id=contested.pk),
            *[
                lambda n=n: booking_create(
                    slot_id=contested.pk, patient=runner(100 + n, sms_consent=True), quoted_price_cents=175_00
                )
                for n in range(20)
            ],
        ]
    )

    assert kinds(outcomes) == {"Booking": 1, "BookingError": 20}, outcomes
    assert active(slot=contested) == 1
    assert active(email="runner1@example.com") == 1
    moved = isinstance(outcomes[0], Booking)
    assert WaitlistEntry.objects.get(pk=ann.pk).booking.slot_id == (contested.pk if moved else ann.booking.slot_id)
    assert promotion.bookings.active(timezone.now()).count() == promotion.spots
    assert_never_overbooked(service, promotion)


def test_one_person_moving_to_ten_times_at_once_holds_one(service, promotion, sold_out):
    times = [SlotFactory(service=service, starts_at=local(THURSDAY, hour)) for hour in range(8, 18)]
    [ann] = offered(promotion, sold_out, 1)

    outcomes = race([lambda slot=slot: offer_switch(entry=ann, slot_id=slot.pk) for slot in times])

    assert kinds(outcomes) == {"Booking": 10}, outcomes  # each moved the one hold in turn
    assert {o.pk for o in outcomes} == {ann.booking_id}
    assert Booking.objects.filter(email="runner1@example.com").count() == 1
    held = Booking.objects.get(pk=ann.booking_id)
    assert held.status == Booking.Status.HELD and held.hold_expires_at == T0 + timedelta(minutes=30)
    assert [slot.pk for slot in times if active(slot=slot)] == [held.slot_id]
    assert active(slot=sold_out[0].slot) == 0
    assert promotion.bookings.active(timezone.now()).count() == promotion.spots
    assert_never_overbooked(service, promotion)


@pytest.mark.parametrize("attempt", range(3))
def test_a_move_and_a_claim_at_once_book_one_time(service, promotion, sold_out, attempt):
    other = SlotFactory(service=service, starts_at=local(THURSDAY, 12))
    [ann] = offered(promotion, sold_out, 1)

    switched, claimed = race([lambda: offer_switch(entry=ann, slot_id=other.pk), lambda: offer_claim(entry=ann)])

    assert isinstance(claimed, WaitlistEntry) and claimed.status == Status.BOOKED, claimed
    assert isinstance(switched, (Booking, OfferClosed)), switched  # after the claim: nothing left to move
    [booking] = Booking.objects.filter(email="runner1@example.com")
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.slot_id == (other.pk if isinstance(switched, Booking) else sold_out[0].slot_id)
    assert promotion.bookings.active(timezone.now()).count() == promotion.spots
    assert_never_overbooked(service, promotion)
