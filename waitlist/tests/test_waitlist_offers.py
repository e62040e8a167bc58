"""Offers made down a waiting list in order: the sweep, lapsed offers, quiet hours, and the signal, task and
schedule that start it.

The clock stops at Monday 2026-04-06, 10:00 AM in San Diego (PDT), outside quiet hours (21:00-08:00).
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16.
"""

import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking.links import Purpose, private_link
from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_cancel, booking_create, booking_release_hold, booking_reschedule
from booking.tests.factories import BookingFactory, PromotionFactory, ServiceFactory, SlotFactory, local
from clinic.tests.factories import ClosureFactory
from notifications.models import Message
from notifications.transports import text_as_sent
from waitlist import tasks
from waitlist.models import WaitlistEntry
from waitlist.services import offer_decline, offers_make, place_in_line
from waitlist.tests.helpers import (
    DANA,
    MICHAEL,
    NOW,
    REGULAR_DAY,
    TODAY,
    Status,
    active_discounted,
    fresh,
    full_day,
    offered_booking,
    slot_at,
    statuses,
    wait,
)
from waitlist.tests.offers import PROMO_DAY, fill

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

OFFER = Message.Kind.WAITLIST_OFFER

HEALTH_WORDS = re.compile(
    r"\b(pain|painful|numb|sciatica|injury|injured|symptoms?|diagnosis|surgery|knee|hip|spine|back|low-back)\b",
    re.IGNORECASE,
)


def offers_to(recipient: str) -> list[Message]:
    return list(Message.objects.filter(kind=OFFER, recipient=recipient).order_by("channel"))


def claim_link(entry: WaitlistEntry) -> str:
    return private_link(offered_booking(entry), Purpose.CLAIM)


# Offers, in order ------------------------------------------------------------------------------


def test_a_freed_spot_is_offered_to_the_first_person_waiting_only(promotion, sold_out, line):
    ann, ben, cat = line
    freed = sold_out[0]
    booking_cancel(booking=freed, reason="Patient called")

    assert offers_make() == 1

    assert statuses(ann, ben, cat) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    held = ann.booking
    assert held.status == Booking.Status.HELD
    assert (held.slot, held.promotion, held.price_cents) == (freed.slot, promotion, 99_00)
    assert (held.patient_name, held.email, held.phone, held.sms_consent) == (
        "Ann Lee",
        "ann@example.com",
        "+16195550101",
        True,
    )
    assert held.hold_expires_at == NOW + timedelta(minutes=30) == ann.offer_expires_at
    assert active_discounted(promotion) == promotion.spots  # the offer takes the freed spot, no more
    assert ben.booking is None and cat.booking is None

    email, sms = offers_to("ann@example.com") + offers_to("+16195550101")
    link = claim_link(ann)
    assert link.startswith(settings.PUBLIC_BASE_URL + "/waitlist/claim/")
    assert email.status == sms.status == Message.Status.QUEUED
    assert email.subject == "A spot opened up: Wed Apr 8, 9:00 AM"
    assert link in text_as_sent(email)
    assert "We are holding it for you until 10:30 AM." in email.body
    assert "$99 (discounted)" in email.body
    assert link in text_as_sent(sms)
    assert "Held for you until 10:30 AM." in sms.body
    assert sms.send_after <= timezone.now()  # an offer is urgent: it does not wait
    assert Message.objects.filter(kind=OFFER).count() == 2  # nobody else was told


def test_an_offer_to_someone_without_text_consent_is_emailed_only(promotion, sold_out, line):
    WaitlistEntry.objects.filter(pk=line[0].pk).update(status=Status.REMOVED)
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    ben = fresh(line[1])
    assert ben.status == Status.OFFERED
    [email] = Message.objects.filter(kind=OFFER)
    assert (email.channel, email.recipient) == (Message.Channel.EMAIL, "ben@example.com")
    assert claim_link(ben) in text_as_sent(email)


def test_offer_messages_carry_no_health_details(service, promotion, sold_out, line):
    service.summary = "For runners whose low-back or hip pain keeps coming back."
    service.save()
    promotion.headline = "Launch week for runners with sciatica or knee pain"
    promotion.save()
    booking_cancel(booking=sold_out[0], reason="Knee injury, numbness and back pain")
    offers_make()
    messages = Message.objects.filter(kind=OFFER)
    assert {m.channel for m in messages} == {Message.Channel.EMAIL, Message.Channel.SMS}
    for message in messages:
        assert HEALTH_WORDS.search(message.subject + "\n" + message.body) is None, message.body
        assert "injury" not in message.body.lower()
    sms = messages.get(channel=Message.Channel.SMS)
    assert "@" not in sms.body and "Lee" not in sms.body  # first name only, no email


def test_the_sweep_leaves_a_sold_out_offers_list_alone_without_trying_a_time(promotion, sold_out, line):
    with CaptureQueriesContext(connection) as queries:
        assert offers_make() == 0
    # Ended offers to settle, the offers with a spot free (none), the days waited for: nothing locked or tried.
    assert len(queries) <= 5, "\n".join(q["sql"] for q in queries.captured_queries)
    assert statuses(*line) == [Status.WAITING] * 3


def test_an_offer_takes_no_capacity_that_is_not_free(promotion, sold_out, line):
    assert offers_make() == 0  # sold out: nobody is offered anything
    assert statuses(*line) == [Status.WAITING] * 3
    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert offers_make() == 1
    assert offers_make() == 0  # running again offers nothing more
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    assert Booking.objects.filter(status=Booking.Status.HELD).count() == 1
    assert active_discounted(promotion) == promotion.spots


def test_a_lapsed_offer_is_released_and_goes_to_the_next_person(promotion, sold_out, line, clock):
    ann, ben, cat = line
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    first_hold = fresh(ann).booking

    clock.move_to(NOW + timedelta(minutes=29))
    assert offers_make() == 0
    assert statuses(ann, ben, cat) == [Status.OFFERED, Status.WAITING, Status.WAITING]

    clock.move_to(NOW + timedelta(minutes=31))
    assert offers_make() == 1

    assert statuses(ann, ben, cat) == [Status.LAPSED, Status.OFFERED, Status.WAITING]
    first_hold.refresh_from_db()
    assert first_hold.status == Booking.Status.EXPIRED
    second_hold = ben.booking
    assert second_hold.pk != first_hold.pk
    assert (second_hold.slot, second_hold.status, second_hold.price_cents) == (
        first_hold.slot,
        Booking.Status.HELD,
        99_00,
    )
    assert second_hold.hold_expires_at == NOW + timedelta(minutes=61)
    # Ben did not agree to texts: he is emailed only.
    assert [m.channel for m in offers_to("ben@example.com")] == [Message.Channel.EMAIL]
    assert not offers_to("+16195550102")
    assert active_discounted(promotion) == promotion.spots


def test_several_freed_spots_go_to_as_many_people_in_order(promotion, sold_out, line):
    ann, ben, cat = line
    booking_cancel(booking=sold_out[2], reason="Patient called")
    booking_cancel(booking=sold_out[5], reason="Patient called")

    assert offers_make() == 2

    assert statuses(ann, ben, cat) == [Status.OFFERED, Status.OFFERED, Status.WAITING]
    assert {fresh(ann).booking.slot, fresh(ben).booking.slot} == {sold_out[2].slot, sold_out[5].slot}
    assert fresh(ann).booking.slot == sold_out[2].slot  # the first in line gets the earliest time
    assert Booking.objects.filter(status=Booking.Status.HELD, promotion=promotion).count() == 2
    assert active_discounted(promotion) == promotion.spots
    assert offers_make() == 0


def test_free_times_on_a_day_the_clinic_closes_never_hold_up_an_offer(service, promotion, sold_out, line):
    closed = date(2026, 4, 7)  # inside the visit window, before the freed time
    ClosureFactory(clinic=service.clinic, starts_on=closed, ends_on=closed)
    for minute in range(0, 25 * 20, 25):  # more free times that day than an offer tries
        SlotFactory(service=service, starts_at=local(closed, 7) + timedelta(minutes=minute))
    freed = sold_out[0]
    booking_cancel(booking=freed, reason="Patient called")

    assert offers_make() == 1
    assert fresh(line[0]).booking.slot == freed.slot


def test_a_spot_offered_from_a_free_regular_time_when_the_freed_one_is_gone(service, promotion, sold_out, line):
    """The discount freed, not the time: the offer is the earliest free time in the visit window, at $99."""
    booking = sold_out[3]
    BookingFactory(slot=slot_at(service, date(2026, 4, 7), 15))  # a regular-rate booking, no spot
    later = slot_at(service, date(2026, 4, 9), 16)  # free
    other = Patient(name="Zed Park", email="zed@example.com", phone="+16195550177")
    booking_cancel(booking=booking, reason="Patient called")
    booking_create(slot_id=booking.slot_id, patient=other, quoted_price_cents=99_00)  # takes the time and the spot
    assert offers_make() == 0  # no discounted spot is free

    booking_cancel(booking=Booking.objects.get(email="zed@example.com"), reason="Changed plans")
    slot_taken = BookingFactory(slot=booking.slot)  # the time goes at the regular rate
    assert slot_taken.promotion is None
    assert offers_make() == 1
    held = fresh(line[0]).booking
    assert (held.slot, held.price_cents, held.promotion) == (later, 99_00, promotion)


def test_no_offers_in_quiet_hours_until_eight_in_the_morning(promotion, sold_out, line, clock):
    ann = line[0]
    clock.move_to(local(TODAY, 22))
    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert offers_make() == 0
    clock.move_to(local(date(2026, 4, 7), 7, 59))
    assert offers_make() == 0
    assert statuses(*line) == [Status.WAITING] * 3
    assert not Message.objects.filter(kind=OFFER).exists()
    assert not Booking.objects.filter(status=Booking.Status.HELD).exists()

    clock.move_to(local(date(2026, 4, 7), 8))
    assert offers_make() == 1
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    assert fresh(ann).offer_expires_at == local(date(2026, 4, 7), 8, 30)
    assert Message.objects.filter(kind=OFFER, recipient="+16195550101").exists()


def test_an_offer_lapsing_in_quiet_hours_is_released_but_not_offered_on_until_morning(promotion, sold_out, line, clock):
    clock.move_to(local(TODAY, 20, 45))
    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert offers_make() == 1
    clock.move_to(local(TODAY, 21, 16))
    assert offers_make() == 0
    assert statuses(*line) == [Status.LAPSED, Status.WAITING, Status.WAITING]
    assert active_discounted(promotion) == promotion.spots - 1
    clock.move_to(local(date(2026, 4, 7), 8, 1))
    assert offers_make() == 1
    assert statuses(*line) == [Status.LAPSED, Status.OFFERED, Status.WAITING]


@pytest.mark.parametrize(
    ("day", "price_cents", "discounted"),
    [(REGULAR_DAY, 175_00, False), (PROMO_DAY, 99_00, True)],
    ids=["regular-day", "day-inside-the-offer"],
)
def test_a_full_days_freed_time_is_offered_at_the_slots_price(client, service, day, price_cents, discounted):
    promotion = PromotionFactory(service=service)  # spots free: the day list is about times
    bookings = full_day(service, day, hours=(9, 10, 11), promotion=promotion if discounted else None)
    assert {b.price_cents for b in bookings} == {price_cents}
    other_day = full_day(service, date(2026, 4, 21))
    for details in (MICHAEL, DANA):
        assert Client().post(f"/waitlist/day/{day:%Y-%m-%d}/", details).status_code == 302
    michael, dana = WaitlistEntry.objects.order_by("position")
    booking_cancel(booking=other_day[0], reason="Patient called")  # another day's time: not theirs
    assert offers_make() == 0

    booking_cancel(booking=bookings[1], reason="Patient called")
    assert offers_make() == 1

    assert statuses(michael, dana) == [Status.OFFERED, Status.WAITING]
    held = fresh(michael).booking
    assert (held.slot, held.status, held.price_cents) == (bookings[1].slot, Booking.Status.HELD, price_cents)
    assert (held.promotion == promotion) is discounted
    assert held.hold_expires_at == NOW + timedelta(minutes=30)
    assert claim_link(michael) in text_as_sent(Message.objects.get(kind=OFFER, channel=Message.Channel.EMAIL))


def test_someone_who_already_has_a_discount_is_taken_off_the_offer_list(promotion, sold_out, line):
    """One discounted visit a patient: Ann booked one meanwhile (before the offer sold out, say)."""
    ann, ben, cat = line
    Booking.objects.filter(pk=sold_out[7].pk).update(email="ANN@example.com", email_canonical="ann@example.com")
    booking_cancel(booking=sold_out[0], reason="Patient called")

    assert offers_make() == 1  # one offer made: to Ben

    assert statuses(ann, ben, cat) == [Status.REMOVED, Status.OFFERED, Status.WAITING]
    assert fresh(ann).booking is None
    assert not offers_to("ann@example.com")


def test_an_entry_offered_elsewhere_is_not_offered_twice(promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    booking_cancel(booking=sold_out[1], reason="Patient called")
    offers_make()
    assert statuses(*line) == [Status.OFFERED, Status.OFFERED, Status.WAITING]
    assert Booking.objects.filter(email="ann@example.com").count() == 1


# The signal, the task and the schedule ---------------------------------------------------------


def test_a_cancellation_offers_the_spot_once_it_commits(promotion, sold_out, line, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=sold_out[0], reason="Patient called")

    ann = fresh(line[0])
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    assert ann.booking.slot == sold_out[0].slot
    offers = [m for m in mail.outbox if m.subject.startswith("A spot opened up")]
    assert [m.to for m in offers] == [["ann@example.com"]]
    assert claim_link(ann) in offers[0].body


def test_a_cancellation_offers_nothing_before_it_commits(promotion, sold_out, line, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        booking_cancel(booking=sold_out[0], reason="Patient called")
    assert statuses(*line) == [Status.WAITING] * 3
    for callback in callbacks:  # the commit
        callback()
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]


def test_moving_a_discounted_visit_out_of_the_offer_frees_its_spot(
    service, promotion, sold_out, line, django_capture_on_commit_callbacks
):
    later = slot_at(service, REGULAR_DAY, 9)
    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=sold_out[0], slot_id=later.pk, quoted_price_cents=175_00)
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    assert fresh(line[0]).booking.slot == sold_out[0].slot


def test_a_released_hold_is_offered_on_commit(promotion, sold_out, line, django_capture_on_commit_callbacks):
    booking = sold_out[0]
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.HELD)
    with django_capture_on_commit_callbacks(execute=True):
        booking_release_hold(booking=booking)
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]


def test_a_decline_offers_the_next_person_on_commit(
    client, promotion, sold_out, line, django_capture_on_commit_callbacks
):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    with django_capture_on_commit_callbacks(execute=True):
        offer_decline(entry=line[0])
    assert statuses(*line) == [Status.DECLINED, Status.OFFERED, Status.WAITING]


def test_the_task_runs_offers_and_is_scheduled_every_minute(promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert tasks.offer_freed_spots.delay().get() == 1
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    schedule = settings.CELERY_BEAT_SCHEDULE["offer-freed-spots"]
    assert schedule == {"task": tasks.offer_freed_spots.name, "schedule": 60.0}
    assert tasks.offer_freed_spots.name == "waitlist.tasks.offer_freed_spots"


def test_other_services_lists_are_separate(clinic, promotion, sold_out, line):
    other = ServiceFactory(clinic=clinic, name="Return-to-run session")
    other_promo = PromotionFactory(service=other, spots=1)
    fill(other_promo, first_hour=17)
    [zed] = wait(other_promo, Patient(name="Zed Park", email="zed@example.com", phone="+16195550177"))
    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert offers_make() == 1
    assert fresh(zed).status == Status.WAITING
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]


def test_people_on_the_same_position_get_distinct_places_in_the_order_offers_follow(promotion, sold_out, line):
    ann, ben, cat = line
    WaitlistEntry.objects.filter(pk__in=[ann.pk, ben.pk, cat.pk]).update(position=5)  # joined in the same instant
    places = [place_in_line(fresh(e)) for e in (ann, ben, cat)]
    assert sorted(places) == [1, 2, 3]
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    first = next(e for e, place in zip((ann, ben, cat), places, strict=True) if place == 1)
    assert fresh(first).status == Status.OFFERED
