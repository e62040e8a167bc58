"""The booking rules (booking/rules.py), asked directly: what a time costs, whether it can be booked, one discount each.

The pages and services that apply them are tested beside their own modules; here each rule is asked the
question on its own, with the clock stopped at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego) and the
conftest offer: 8 spots at $99 for visits April 7 to 16, the regular rate $175.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import translation

from booking.models import Booking
from booking.rules import (
    ONE_PER_PATIENT,
    SLOT_TAKEN,
    SLOT_UNAVAILABLE,
    SOLD_OUT,
    Patient,
    booking_window,
    intake_is_open,
    patient_has_discount,
    quote_move,
    quote_slot,
    slot_local_date,
    slot_unavailable_reason,
)
from booking.tests.factories import BookingFactory, PromotionFactory, SlotFactory
from booking.tests.pages import NOW, PROMO_DAY, REGULAR_DAY, slot_at
from clinic.tests.factories import ClosureFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MICHAEL = Patient(name="Michael Green", email="Michael.Green+runs@Example.com", phone="+16195550123")


def discounted(slot, offer, **kwargs) -> Booking:
    return BookingFactory(slot=slot, promotion=offer, price_cents=offer.price_cents, **kwargs)


# When a time can be booked ---------------------------------------------------------------------


def test_the_booking_window_runs_from_the_notice_to_the_horizon(settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 2
    settings.BOOKING_DAYS_AHEAD = 42

    assert booking_window(NOW) == (NOW + timedelta(hours=2), NOW + timedelta(days=42))


def test_a_free_open_time_inside_the_window_can_be_booked(service):
    assert slot_unavailable_reason(slot_at(service, PROMO_DAY, 10), NOW) is None


def test_online_a_time_sooner_than_the_notice_cannot_be_booked_but_the_front_desk_may_book_it(service):
    soon = SlotFactory(service=service, starts_at=NOW + timedelta(hours=1, minutes=59))
    gone = SlotFactory(service=service, starts_at=NOW - timedelta(minutes=1))

    assert slot_unavailable_reason(soon, NOW) == SLOT_UNAVAILABLE
    assert slot_unavailable_reason(soon, NOW, online=False) is None
    assert slot_unavailable_reason(gone, NOW, online=False) == SLOT_UNAVAILABLE  # no one books the past


def test_online_a_time_past_the_horizon_cannot_be_booked_but_the_front_desk_may_book_it(service, settings):
    settings.BOOKING_DAYS_AHEAD = 42
    last = SlotFactory(service=service, starts_at=NOW + timedelta(days=42) - timedelta(minutes=1))
    beyond = SlotFactory(service=service, starts_at=NOW + timedelta(days=42))

    assert slot_unavailable_reason(last, NOW) is None
    assert slot_unavailable_reason(beyond, NOW) == SLOT_UNAVAILABLE
    assert slot_unavailable_reason(beyond, NOW, online=False) is None


def test_a_blocked_time_or_a_withdrawn_service_cannot_be_booked(service):
    blocked = slot_at(service, PROMO_DAY, 10, is_blocked=True)
    assert slot_unavailable_reason(blocked, NOW) == SLOT_UNAVAILABLE

    open_slot = slot_at(service, PROMO_DAY, 11)
    service.is_active = False
    service.save()
    assert slot_unavailable_reason(open_slot, NOW) == SLOT_UNAVAILABLE
    assert slot_unavailable_reason(open_slot, NOW, online=False) == SLOT_UNAVAILABLE


def test_a_time_on_a_day_the_clinic_is_closed_cannot_be_booked_by_anyone(service):
    ClosureFactory(clinic=service.clinic, starts_on=PROMO_DAY, ends_on=PROMO_DAY)

    assert slot_unavailable_reason(slot_at(service, PROMO_DAY, 10), NOW, online=False) == SLOT_UNAVAILABLE
    assert slot_unavailable_reason(slot_at(service, PROMO_DAY + timedelta(days=1), 10), NOW) is None


def test_a_full_time_is_taken_until_a_hold_on_it_lapses(service):
    slot = slot_at(service, PROMO_DAY, 10, capacity=2)
    BookingFactory(slot=slot)
    assert slot_unavailable_reason(slot, NOW) is None  # one seat of two left

    BookingFactory(slot=slot, status=Booking.Status.HELD, hold_expires_at=NOW + timedelta(minutes=10))
    assert slot_unavailable_reason(slot, NOW) == SLOT_TAKEN
    assert slot_unavailable_reason(slot, NOW + timedelta(minutes=10)) is None  # the hold has lapsed


def test_cancelled_and_lapsed_bookings_leave_the_seat_free(service):
    slot = slot_at(service, PROMO_DAY, 10)
    BookingFactory(slot=slot, status=Booking.Status.CANCELLED)
    BookingFactory(slot=slot, status=Booking.Status.EXPIRED)

    assert slot_unavailable_reason(slot, NOW) is None


def test_a_slot_belongs_to_the_clinic_day_it_starts_on_in_a_daylight_saving_week(service):
    # Sunday November 1, 2026: clocks go back at 2 AM. 11:30 PM that night is 07:30 UTC on Monday the 2nd
    # (UTC-8 now); reading it as summer time (UTC-7) would put it on Monday, 00:30.
    late_sunday = SlotFactory(service=service, starts_at=datetime(2026, 11, 2, 7, 30, tzinfo=UTC))
    # Saturday October 31, 11:30 PM is still summer time: 06:30 UTC on the 1st.
    late_saturday = SlotFactory(service=service, starts_at=datetime(2026, 11, 1, 6, 30, tzinfo=UTC))

    assert slot_local_date(late_sunday) == date(2026, 11, 1)
    assert slot_local_date(late_saturday) == date(2026, 10, 31)


# What a time costs ------------------------------------------------------------------------------


def test_a_time_inside_the_offers_visit_window_is_at_the_offer_price(service, offer):
    quote = quote_slot(slot=slot_at(service, PROMO_DAY, 10), now=NOW, patient=MICHAEL)

    assert (quote.price_cents, quote.promotion, quote.notice) == (99_00, offer, "")
    assert quote.price == "$99"


def test_a_time_outside_the_visit_window_is_at_the_regular_rate_with_no_notice(service, offer):
    quote = quote_slot(slot=slot_at(service, REGULAR_DAY, 10), now=NOW)

    assert (quote.price_cents, quote.promotion, quote.notice) == (175_00, None, "")


def test_an_offer_not_yet_open_or_closed_gives_no_discount(service, offer):
    slot = slot_at(service, PROMO_DAY, 10)

    assert quote_slot(slot=slot, now=offer.opens_at - timedelta(seconds=1)).promotion is None
    assert quote_slot(slot=slot, now=offer.closes_at).promotion is None


def test_once_every_spot_is_taken_the_time_is_at_the_regular_rate_and_says_why(service, offer):
    offer.spots = 2
    offer.save()
    discounted(slot_at(service, PROMO_DAY, 9), offer)
    discounted(
        slot_at(service, PROMO_DAY, 11), offer, status=Booking.Status.HELD, hold_expires_at=NOW + timedelta(minutes=5)
    )
    slot = slot_at(service, PROMO_DAY, 10)

    for lock in (False, True):
        quote = quote_slot(slot=slot, now=NOW, lock=lock)
        assert (quote.price_cents, quote.promotion, quote.notice) == (175_00, None, SOLD_OUT)
    # The held spot lapses: the discount is back.
    assert quote_slot(slot=slot, now=NOW + timedelta(minutes=5), lock=True).promotion == offer


def test_a_spot_cancelled_goes_back_to_the_offer(service, offer):
    offer.spots = 1
    offer.save()
    booking = discounted(slot_at(service, PROMO_DAY, 9), offer)
    slot = slot_at(service, PROMO_DAY, 10)
    assert quote_slot(slot=slot, now=NOW).notice == SOLD_OUT

    booking.status = Booking.Status.CANCELLED
    booking.save()
    assert quote_slot(slot=slot, now=NOW).promotion == offer


def test_of_two_offers_for_the_day_the_cheaper_one_with_a_spot_left_applies(service, offer):
    cheaper = PromotionFactory(service=service, name="Friends", price_cents=79_00, spots=1)
    slot = slot_at(service, PROMO_DAY, 10)
    assert quote_slot(slot=slot, now=NOW, lock=True).promotion == cheaper

    discounted(slot_at(service, PROMO_DAY, 9), cheaper)
    for lock in (False, True):
        assert quote_slot(slot=slot, now=NOW, lock=lock).promotion == offer


def test_an_offer_for_another_service_does_not_apply(service, offer):
    other = PromotionFactory(price_cents=49_00)  # its own service

    quote = quote_slot(slot=slot_at(service, PROMO_DAY, 10), now=NOW)

    assert quote.promotion == offer
    assert other.service_id != service.pk


# One discount each -------------------------------------------------------------------------------


def test_a_patient_with_a_discounted_visit_booked_pays_the_regular_rate_for_another(service, offer):
    discounted(slot_at(service, PROMO_DAY, 9), offer, email="michael.green@example.com", phone="+16195550999")

    quote = quote_slot(slot=slot_at(service, PROMO_DAY, 10), now=NOW, patient=MICHAEL, lock=True)

    assert (quote.price_cents, quote.promotion, quote.notice) == (175_00, None, ONE_PER_PATIENT)


@pytest.mark.parametrize(
    ("email", "phone", "same_patient"),
    [
        ("michael.green@example.com", "+16195550999", True),  # the same inbox, without its +tag or capitals
        ("someone.else@example.com", "+16195550123", True),  # the same mobile
        ("someone.else@example.com", "+16195550999", False),
    ],
)
def test_the_same_patient_is_the_same_inbox_or_the_same_mobile(service, offer, email, phone, same_patient):
    discounted(slot_at(service, PROMO_DAY, 9), offer, email=email, phone=phone)

    assert patient_has_discount(MICHAEL, service_id=service.pk, now=NOW) is same_patient


def test_only_a_live_discounted_booking_counts_against_the_patient(service, offer):
    slot = slot_at(service, PROMO_DAY, 9)
    BookingFactory(slot=slot_at(service, PROMO_DAY, 8), email=MICHAEL.email, phone=MICHAEL.phone)  # regular rate
    discounted(slot, offer, email=MICHAEL.email, status=Booking.Status.CANCELLED)
    held = discounted(
        slot, offer, email=MICHAEL.email, status=Booking.Status.HELD, hold_expires_at=NOW + timedelta(minutes=10)
    )

    assert patient_has_discount(MICHAEL, service_id=service.pk, now=NOW) is True  # the live hold
    assert patient_has_discount(MICHAEL, service_id=service.pk, now=held.hold_expires_at) is False
    other_service = PromotionFactory().service
    assert patient_has_discount(MICHAEL, service_id=other_service.pk, now=NOW) is False


# Moving a booking --------------------------------------------------------------------------------


def test_a_discounted_visit_moved_inside_the_visit_window_keeps_its_price_and_its_spot(service, offer):
    booking = discounted(slot_at(service, PROMO_DAY, 9), offer)

    quote = quote_move(booking=booking, slot=slot_at(service, PROMO_DAY + timedelta(days=2), 15))

    assert (quote.price_cents, quote.promotion, quote.notice) == (99_00, offer, "")


def test_a_discounted_visit_moved_past_the_visit_window_is_at_the_regular_rate_and_says_why(service, offer):
    booking = discounted(slot_at(service, PROMO_DAY, 9), offer)

    quote = quote_move(booking=booking, slot=slot_at(service, REGULAR_DAY, 10))

    assert (quote.price_cents, quote.promotion) == (175_00, None)
    assert quote.notice.startswith("The discounted price is for visits from April 7 to April 16")
    with translation.override("es"):
        spanish = quote_move(booking=booking, slot=slot_at(service, REGULAR_DAY, 11)).notice
    assert spanish.startswith("El precio con descuento es para citas del 7 de abril al 16 de abril")


def test_a_regular_visit_moved_stays_at_the_regular_rate_even_into_the_visit_window(service, offer):
    booking = BookingFactory(slot=slot_at(service, REGULAR_DAY, 9))

    quote = quote_move(booking=booking, slot=slot_at(service, PROMO_DAY, 10))

    assert (quote.price_cents, quote.promotion, quote.notice) == (175_00, None, "")


# The intake questionnaire ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "is_open"),
    [
        (Booking.Status.HELD, True),
        (Booking.Status.CONFIRMED, True),
        (Booking.Status.CANCELLED, False),
        (Booking.Status.EXPIRED, False),
        (Booking.Status.ATTENDED, False),
        (Booking.Status.NO_SHOW, False),
    ],
)
def test_intake_answers_can_be_changed_only_for_a_live_booking(service, status, is_open):
    booking = BookingFactory(slot=slot_at(service, PROMO_DAY, 10), status=status)

    assert intake_is_open(booking, now=NOW) is is_open


def test_intake_answers_can_be_changed_until_the_visit_starts(service):
    booking = BookingFactory(slot=slot_at(service, PROMO_DAY, 10))
    starts = booking.slot.starts_at

    assert intake_is_open(booking, now=starts - timedelta(seconds=1)) is True
    assert intake_is_open(booking, now=starts) is False
    assert intake_is_open(booking) is True  # by the clock: NOW, two days before
