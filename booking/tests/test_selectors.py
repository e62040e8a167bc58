from datetime import date, timedelta

import pytest
import time_machine

from booking.selectors import availability_for_day, bookable_days, booking_calendar, featured_offer
from booking.tests.factories import BookingFactory, PromotionFactory, SlotFactory, local
from clinic.tests.factories import ClosureFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 12, 7)
NOW = local(MONDAY - timedelta(days=7), 9)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def offer(service):
    return PromotionFactory(
        service=service,
        opens_at=NOW - timedelta(days=1),
        closes_at=local(MONDAY + timedelta(days=10), 0),
        visit_starts_on=MONDAY,
        visit_ends_on=MONDAY + timedelta(days=4),
    )


def test_promotion_applies_by_the_slots_local_date_not_utc(service, offer):
    friday = MONDAY + timedelta(days=4)
    evening = SlotFactory(service=service, starts_at=local(friday, 17, 30))  # Saturday 01:30 UTC
    saturday = SlotFactory(service=service, starts_at=local(friday + timedelta(days=1), 7))
    [friday_option] = availability_for_day(service=service, day=friday, now=NOW)
    [saturday_option] = availability_for_day(service=service, day=friday + timedelta(days=1), now=NOW)
    assert (friday_option.slot, friday_option.price_cents) == (evening, 99_00)
    assert (saturday_option.slot, saturday_option.price_cents) == (saturday, 175_00)


def test_sold_out_promotion_shows_the_regular_price(service, offer):
    SlotFactory(service=service, starts_at=local(MONDAY, 9))
    offer.spots = 1
    offer.save()
    BookingFactory(slot=SlotFactory(service=service, starts_at=local(MONDAY, 8)), promotion=offer)
    [option] = availability_for_day(service=service, day=MONDAY, now=NOW)
    assert (option.price_cents, option.promotion) == (175_00, None)


def test_days_and_times_skip_closures_even_open_ended_ones(clinic, service):
    SlotFactory(service=service, starts_at=local(MONDAY, 9))
    SlotFactory(service=service, starts_at=local(MONDAY + timedelta(days=1), 9))
    ClosureFactory(clinic=clinic, starts_on=MONDAY + timedelta(days=1), ends_on=date(9999, 12, 31))
    assert [d.day for d in bookable_days(service=service, now=NOW)] == [MONDAY]
    assert availability_for_day(service=service, day=MONDAY + timedelta(days=1), now=NOW) == []


def test_days_stop_at_the_booking_horizon(service, settings):
    settings.BOOKING_DAYS_AHEAD = 10
    SlotFactory(service=service, starts_at=NOW + timedelta(days=9))
    SlotFactory(service=service, starts_at=NOW + timedelta(days=11))
    assert len(bookable_days(service=service, now=NOW)) == 1


def test_offer_is_open_with_its_live_spot_count(service, offer):
    BookingFactory(slot=SlotFactory(service=service, starts_at=local(MONDAY, 8)), promotion=offer)
    summary = featured_offer(now=NOW)
    assert (summary.promotion, summary.spots_left, summary.is_open) == (offer, 7, True)


def test_offer_reads_closed_once_its_visit_week_is_over(service, offer):
    # The post's May 18–26: the $99 visits are in the past although the rate has not risen yet.
    after_the_week = local(MONDAY + timedelta(days=5), 9)
    assert after_the_week < offer.closes_at
    assert featured_offer(now=after_the_week).is_open is False


def test_offer_not_yet_open_is_not_featured(service, offer):
    offer.opens_at = NOW + timedelta(hours=1)
    offer.save()
    assert featured_offer(now=NOW) is None


def test_offer_ends_with_its_last_visit_day_when_that_comes_before_it_closes(service, offer):
    # Visits Monday to Friday; the offer closes the Thursday after, but no discounted visit is left by then.
    summary = featured_offer(now=NOW)
    assert summary.ends_at == local(MONDAY + timedelta(days=5), 0)
    assert (summary.ends_at_midnight, summary.last_day) == (True, MONDAY + timedelta(days=4))
    # The page's "book by" is the moment the offer stops being open, no sooner and no later.
    assert featured_offer(now=summary.ends_at - timedelta(seconds=1)).is_open is True
    assert featured_offer(now=summary.ends_at).is_open is False


def test_offer_ends_when_it_closes_if_that_comes_first(service, offer):
    offer.closes_at = local(MONDAY + timedelta(days=2), 17, 30)
    offer.save()
    summary = featured_offer(now=NOW)
    assert summary.ends_at == offer.closes_at
    assert (summary.ends_at_midnight, summary.last_day) == (False, MONDAY + timedelta(days=2))
    assert featured_offer(now=offer.closes_at - timedelta(seconds=1)).is_open is True
    assert featured_offer(now=offer.closes_at).is_open is False


def test_calendar_months_run_from_this_month_to_the_horizon_sunday_first(service, offer):
    SlotFactory(service=service, starts_at=local(MONDAY, 9))
    calendar = booking_calendar(service=service, now=NOW)
    assert [m.first for m in calendar.months] == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]
    first_week = calendar.months[1].weeks[0]
    assert [cell.day.day if cell else None for cell in first_week] == [None, None, 1, 2, 3, 4, 5]
    [monday] = [cell for week in calendar.months[1].weeks for cell in week if cell and cell.day == MONDAY]
    assert (monday.option.times, monday.option.promo_times, monday.option.promo_price) == (1, 1, "$99")
    assert calendar.next_available == calendar.next_discounted == monday.option
