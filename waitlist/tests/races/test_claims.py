"""Waiting-list races on PostgreSQL: real threads, each on its own connection, released at the same instant.

Whatever the interleaving, a slot never has more active bookings than seats, an offer never has more
active discounted bookings than spots, and an entry gets one outcome.
"""

import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from booking.models import Booking, Slot
from booking.services import BookingError, booking_cancel, booking_create
from booking.tests.factories import SlotFactory, local
from booking.tests.threads import kinds, race
from waitlist.models import WaitlistEntry
from waitlist.services import AlreadyWaiting, OfferClosed, offer_claim, offers_make, waitlist_join
from waitlist.signals import offer_made

from .people import T0, runner

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

OFFER = timedelta(minutes=30)
Status = WaitlistEntry.Status


def join(promotion, count: int, first: int = 1) -> list[WaitlistEntry]:
    """Callers the front desk put on the list: a claim books at once, with no code texted to the mobile
    (test_waitlist_claim.py follows a patient who joined online through the code)."""
    entries = [
        waitlist_join(service=promotion.service, patient=runner(n, sms_consent=True), promotion=promotion)
        for n in range(first, first + count)
    ]
    WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]).update(email_by_staff=True, phone_by_staff=True)
    return entries


def free(bookings, *indexes) -> None:
    """Cancel before anyone waits: the offer task the cancellation queues finds nobody yet."""
    for i in indexes:
        booking_cancel(booking=bookings[i], reason="Patient called")


def assert_never_overbooked(service, promotion, *moments) -> None:
    for now in moments or (timezone.now(),):
        for slot in Slot.objects.filter(service=service):
            assert slot.bookings.active(now).count() <= slot.capacity, (slot, now)
        assert promotion.bookings.active(now).count() <= promotion.spots, now


def entries(*these) -> list[WaitlistEntry]:
    return [WaitlistEntry.objects.select_related("booking").get(pk=e.pk) for e in these]


# (a) Sweeps at once ----------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [2, 6])
def test_sweeps_at_the_same_instant_make_as_many_offers_as_spots_freed(service, promotion, sold_out, workers):
    free(sold_out, 2, 5)
    line = join(promotion, 5)

    outcomes = race([offers_make] * workers)

    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(outcomes) == 2
    offered = [e for e in entries(*line) if e.status == Status.OFFERED]
    assert len(offered) == 2
    assert len({e.booking_id for e in offered}) == 2
    assert {e.booking.slot_id for e in offered} == {sold_out[2].slot_id, sold_out[5].slot_id}
    assert all(e.booking.status == Booking.Status.HELD and e.booking.price_cents == 99_00 for e in offered)
    assert [e.status for e in entries(*line)].count(Status.WAITING) == 3
    assert Booking.objects.filter(status=Booking.Status.HELD).count() == 2
    assert promotion.bookings.active(timezone.now()).count() == promotion.spots
    assert_never_overbooked(service, promotion)


def test_sweeps_at_once_with_spots_free_at_other_times_still_keep_to_the_spots(service, promotion, sold_out):
    """Many free regular-rate times in the visit window, one freed discounted spot: one offer."""
    for hour in range(9, 17):
        SlotFactory(service=service, starts_at=local(date(2026, 4, 9), hour))
    free(sold_out, 0)
    line = join(promotion, 5)

    outcomes = race([offers_make] * 4)

    assert sum(outcomes) == 1, outcomes
    assert [e.status for e in entries(*line)].count(Status.OFFERED) == 1
    assert promotion.bookings.active(timezone.now()).count() == promotion.spots
    assert_never_overbooked(service, promotion)


# (b) A cancellation while the last seat is claimed ---------------------------------------------


@pytest.mark.parametrize("attempt", range(3))
def test_a_claim_a_cancellation_and_a_sweep_at_once(service, promotion, sold_out, clock, attempt):
    free(sold_out, 0)
    first, second, third = join(promotion, 3)
    assert offers_make() == 1  # the first holds the last free spot
    assert promotion.bookings.active(timezone.now()).count() == promotion.spots
    clock.move_to(T0 + timedelta(minutes=5))

    outcomes = race(
        [
            lambda: offer_claim(entry=first),
            lambda: booking_cancel(booking=sold_out[4], reason="Patient called"),
            offers_make,
        ]
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    first, second, third = entries(first, second, third)
    assert first.status == Status.BOOKED
    assert first.booking.status == Booking.Status.CONFIRMED
    active = promotion.bookings.active(timezone.now()).count()
    if second.status == Status.OFFERED:  # the cancellation's spot went to the next person
        assert active == promotion.spots
        assert second.booking.status == Booking.Status.HELD
        assert second.booking.slot_id == sold_out[4].slot_id
    else:  # or it is free
        assert second.status == Status.WAITING
        assert active == promotion.spots - 1
    assert third.status == Status.WAITING
    assert_never_overbooked(service, promotion)


# (c) A claim at the moment the offer lapses ----------------------------------------------------


def settle(first, second, claim_outcome) -> str:
    first, second = entries(first, second)
    if isinstance(claim_outcome, OfferClosed):
        assert first.status == Status.LAPSED
        assert first.booking.status == Booking.Status.EXPIRED
        assert not Booking.objects.filter(email=first.email, status=Booking.Status.CONFIRMED).exists()
        assert second.status == Status.OFFERED
        assert second.booking.slot_id == first.booking.slot_id
        outcome = "lapsed"
    else:
        assert claim_outcome.status == Status.BOOKED, claim_outcome
        assert first.status == Status.BOOKED
        assert first.booking.status == Booking.Status.CONFIRMED
        assert second.status == Status.WAITING
        assert second.booking is None
        outcome = "booked"
    assert Booking.objects.filter(email=second.email).count() == (1 if outcome == "lapsed" else 0)
    return outcome


@pytest.mark.parametrize("attempt", range(5))
def test_a_claim_racing_the_lapse_has_exactly_one_outcome(service, promotion, sold_out, clock, attempt):
    free(sold_out, 0)
    first, second = join(promotion, 2)
    offers_make()
    expiry = T0 + OFFER
    clock.move_to(expiry - timedelta(milliseconds=1))

    claim, sweep = race(
        [
            lambda: offer_claim(entry=first, now=expiry - timedelta(milliseconds=1)),
            lambda: offers_make(now=expiry),
        ]
    )

    assert isinstance(claim, (WaitlistEntry, OfferClosed)), claim
    # The sweep offers the released place itself, or the task the release queues on commit does.
    assert sweep in (0, 1), sweep
    assert_never_overbooked(service, promotion, expiry)
    offers_make(now=expiry)  # a refused claim's offer may be left for the next sweep to settle
    settle(first, second, claim)
    assert_never_overbooked(service, promotion, expiry - timedelta(milliseconds=1), expiry)


def wait_until_a_backend_waits_on_a_lock(timeout=10.0) -> None:
    """Poll pg_stat_activity (from a connection of this thread, outside any transaction) for a lock wait."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("no backend ever waited on a lock")


def test_a_claim_waiting_behind_the_sweep_that_gave_its_lapsed_place_away_is_refused(
    service, promotion, sold_out, clock
):
    """The claim is sent a moment before the offer ends and waits for the slot's lock; meanwhile the offer
    ends and a sweep gives the place to the next person. The claim must not book it as well."""
    free(sold_out, 0)
    first, second = join(promotion, 2)
    offers_make()
    expiry = T0 + OFFER
    clock.move_to(expiry - timedelta(milliseconds=1))

    entry_locked, entry_release = threading.Event(), threading.Event()
    sweep_holds_slot, sweep_release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def someone_else_has_the_entry():  # a claim's first click, say: the sweep skips the entry it locked
        try:
            with transaction.atomic():
                WaitlistEntry.objects.select_for_update().get(pk=first.pk)
                entry_locked.set()
                entry_release.wait(timeout=20)
        finally:
            connection.close()

    def wait_after_the_notice(sender, **kwargs):  # inside the sweep's transaction, its hold and locks taken
        sweep_holds_slot.set()  # connected after notifications' receiver: the notice is queued by now
        sweep_release.wait(timeout=20)

    offer_made.connect(wait_after_the_notice, dispatch_uid="test.wait_after_the_notice", weak=False)

    def run(name, work):
        try:
            results[name] = work()
        except Exception as exc:
            results[name] = exc
        finally:
            connection.close()

    holder = threading.Thread(target=someone_else_has_the_entry)
    sweep = threading.Thread(target=run, args=("sweep", lambda: offers_make(now=expiry)))
    claim = threading.Thread(target=run, args=("claim", lambda: offer_claim(entry=first)))
    holder.start()
    try:
        assert entry_locked.wait(timeout=10)
        sweep.start()
        assert sweep_holds_slot.wait(timeout=10), results
        entry_release.set()
        holder.join(timeout=10)
        claim.start()  # at expiry - 1 ms: the offer is still open
        wait_until_a_backend_waits_on_a_lock()  # the claim waits for the slot the sweep holds
        clock.move_to(expiry + timedelta(seconds=1))  # the wait outlasts the offer
    finally:
        offer_made.disconnect(dispatch_uid="test.wait_after_the_notice")
        entry_release.set()
        sweep_release.set()
        for thread in (holder, sweep, claim):
            if thread.is_alive() or thread.ident:
                thread.join(timeout=20)
    assert not any(t.is_alive() for t in (holder, sweep, claim)), "a thread hung"

    assert results["sweep"] == 1, results
    assert isinstance(results["claim"], OfferClosed), results
    assert_never_overbooked(service, promotion, expiry, timezone.now())
    assert offers_make() == 0  # the next sweep settles the refused claim's offer as lapsed
    settle(first, second, results["claim"])
    assert_never_overbooked(service, promotion, expiry - timedelta(milliseconds=1), expiry, timezone.now())


# (d) A patient booking the freed seat while a sweep offers it ----------------------------------


@pytest.mark.parametrize("attempt", range(3))
def test_a_patient_booking_the_freed_seat_racing_a_sweep_never_overbooks(service, promotion, sold_out, attempt):
    free(sold_out, 3)
    seat = sold_out[3].slot_id
    line = join(promotion, 2)

    booked, swept = race(
        [
            lambda: booking_create(slot_id=seat, patient=runner(99), quoted_price_cents=99_00),
            offers_make,
        ]
    )

    first, second = entries(*line)
    assert second.status == Status.WAITING
    if isinstance(booked, Booking):
        # Held for the code texted to the mobile: the discounted spot is taken all the same.
        assert (booked.status, booked.promotion_id) == (Booking.Status.HELD, promotion.pk)
        assert swept == 0 and first.status == Status.WAITING
    else:
        assert isinstance(booked, BookingError), booked  # the seat, or the discount, was taken a moment ago
        assert swept == 1 and first.status == Status.OFFERED
        assert first.booking.slot_id == seat
        assert not Booking.objects.filter(email="runner99@example.com").exists()
    assert promotion.bookings.active(timezone.now()).count() == promotion.spots
    assert_never_overbooked(service, promotion)


def test_a_rush_of_patients_and_sweeps_for_one_freed_spot_gives_it_once(service, promotion, sold_out):
    later = [SlotFactory(service=service, starts_at=local(date(2026, 4, 9), hour)) for hour in range(9, 19)]
    free(sold_out, 0)
    line = join(promotion, 3)

    outcomes = race(
        [
            *[
                lambda slot=slot, n=n: booking_create(
                    slot_id=slot.pk, patient=runner(100 + n), quoted_price_cents=99_00
                )
                for n, slot in enumerate(later)
            ],
            offers_make,
            offers_make,
        ]
    )

    public = [o for o in outcomes[:-2] if isinstance(o, Booking)]
    offers = sum(o for o in outcomes[-2:] if isinstance(o, int))
    assert not [o for o in outcomes[-2:] if isinstance(o, Exception)], outcomes
    assert len(public) + offers == 1, outcomes
    assert [e.status for e in entries(*line)].count(Status.OFFERED) == offers
    assert promotion.bookings.active(timezone.now()).count() == promotion.spots
    assert_never_overbooked(service, promotion)


# Joining at once -------------------------------------------------------------------------------


def test_the_same_person_joining_ten_times_at_once_is_on_the_list_once(promotion, sold_out):
    same_person = [runner(1), runner(1, email="RUNNER1@Example.com"), runner(1, email="r1@example.com")]

    outcomes = race(
        [
            lambda i=i: waitlist_join(service=promotion.service, patient=same_person[i % 3], promotion=promotion)
            for i in range(10)
        ]
    )

    assert kinds(outcomes) == {"WaitlistEntry": 1, "AlreadyWaiting": 9}, outcomes
    assert WaitlistEntry.objects.count() == 1
    assert all(isinstance(o, (WaitlistEntry, AlreadyWaiting)) for o in outcomes)
