"""Choosing a day and a time: `/book/` and `/book/<day>/`, through the test client.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
"""

from datetime import UTC, date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.models import Slot
from booking.services import slots_generate
from booking.tests.factories import BookingFactory, ServiceFactory, SlotFactory, local
from booking.tests.pages import (
    FRIENDLY_404,
    PROMO_DAY,
    REGULAR_DAY,
    TODAY,
    day_links,
    page,
    says,
    slot_at,
    time_choices,
)
from clinic.tests.factories import ClinicFactory, ClosureFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


# Choosing a day and a time -------------------------------------------------------------------------


def test_days_page_lists_only_clinic_local_days_with_a_bookable_time(client, clinic, service, promotion):
    slot_at(service, date(2026, 4, 7), 10)  # bookable
    slot_at(service, date(2026, 4, 8), 10, is_blocked=True)
    slot_at(service, TODAY, 7)  # an hour ago
    slot_at(service, TODAY, 9, 30)  # inside the two hours' notice
    BookingFactory(slot=slot_at(service, date(2026, 4, 9), 10))  # full
    ClosureFactory(clinic=clinic, starts_on=date(2026, 4, 10), ends_on=date(2026, 4, 10))
    slot_at(service, date(2026, 4, 10), 10)
    slot_at(service, date(2026, 4, 13), 17, 30)  # Monday 5:30 PM here, Tuesday 00:30 in UTC

    response = client.get("/book/")

    assert response.status_code == 200
    assert day_links(response) == {
        "2026-04-07": "Tuesday, April 7: 1 time, discounted times at $99",
        "2026-04-13": "Monday, April 13: 1 time, discounted times at $99",
    }


def test_day_page_lists_local_times_with_the_price_each_is_booked_at(client, service, promotion):
    slot_at(service, PROMO_DAY, 7)
    slot_at(service, PROMO_DAY, 17, 30)  # already the next day in UTC
    slot_at(service, REGULAR_DAY, 7)

    promo = client.get(f"/book/{PROMO_DAY}/")
    regular = client.get(f"/book/{REGULAR_DAY}/")
    next_day = client.get(f"/book/{PROMO_DAY + timedelta(days=1)}/")

    says(promo, "Wednesday, April 8")
    assert time_choices(promo) == ["7:00 AM $99 · discounted", "5:30 PM $99 · discounted"]
    assert time_choices(regular) == ["7:00 AM $175"]
    assert time_choices(next_day) == []
    says(next_day, "There are no times left to book online on this day.")


@pytest.mark.parametrize("day", ["2026-02-30", "not-a-date", "2026-13-01", "2026-4-8"])
def test_day_page_for_an_impossible_or_malformed_date_is_a_friendly_404(client, service, day):
    says(client.get(f"/book/{day}/"), FRIENDLY_404, status=404)


# Query budget --------------------------------------------------------------------------------------


def _listed(url, response) -> int:
    """How many days or times a page lists (the landing page lists none)."""
    if url == "/book/":
        return len(day_links(response))
    if url.startswith("/book/"):
        return len(time_choices(response))
    return 0


@pytest.mark.parametrize("url, budget", [("/", 3), ("/book/", 4), (f"/book/{PROMO_DAY}/", 4)])
def test_page_runs_the_same_queries_for_one_day_or_six_weeks_of_slots(
    client, service, promotion, url, budget, django_capture_on_commit_callbacks
):
    # One day of slots, only its first one bookable: the day page lists one time and the days page one day.
    slots_generate(service=service, start=PROMO_DAY, end=PROMO_DAY)
    _, *others = Slot.objects.all()
    Slot.objects.filter(pk__in=[s.pk for s in others]).update(is_blocked=True)
    BookingFactory(slot=others[0], promotion=promotion)
    with CaptureQueriesContext(connection) as one_day:
        small = client.get(url)

    # Six weeks of slots, all bookable but two booked ones; committed, so the page is rendered afresh.
    with django_capture_on_commit_callbacks(execute=True):
        Slot.objects.update(is_blocked=False)
        slots_generate(service=service, start=TODAY, end=TODAY + timedelta(weeks=6))
        BookingFactory(slot=Slot.objects.last(), promotion=promotion)
        BookingFactory(slot=Slot.objects.filter(starts_at__gte=local(REGULAR_DAY, 0)).first())
    with CaptureQueriesContext(connection) as six_weeks:
        big = client.get(url)

    assert small.status_code == big.status_code == 200
    assert Slot.objects.count() > 400
    if url != "/":
        assert _listed(url, small) == 1
        assert _listed(url, big) > 10  # the big page really did list more
    assert len(one_day) <= budget, "\n".join(q["sql"] for q in one_day.captured_queries)
    assert len(six_weeks) == len(one_day), "\n".join(q["sql"] for q in six_weeks.captured_queries)


# Daylight saving -----------------------------------------------------------------------------------


def test_daylight_saving_end_keeps_7am_local_on_both_sides_and_shifts_utc(client, clock, service):
    # US daylight saving time ends on Sunday 2026-11-01.
    clock.move_to(local(date(2026, 10, 26), 9))
    slots_generate(service=service, start=date(2026, 10, 30), end=date(2026, 11, 2))

    friday = client.get("/book/2026-10-30/")
    monday = client.get("/book/2026-11-02/")

    assert time_choices(friday)[0] == "7:00 AM $175"
    assert time_choices(monday)[0] == "7:00 AM $175"
    assert page(friday).times[0] == ("2026-10-30T07:00:00-07:00", "7:00 AM")
    assert page(monday).times[0] == ("2026-11-02T07:00:00-08:00", "7:00 AM")
    first_friday = Slot.objects.get(pk=_first_slot_id(friday))
    first_monday = Slot.objects.get(pk=_first_slot_id(monday))
    assert first_friday.starts_at.astimezone(UTC).hour == 14
    assert first_monday.starts_at.astimezone(UTC).hour == 15


def _first_slot_id(response) -> int:
    return int(next(a for a, _ in page(response).buttons if a.startswith("/book/time/")).split("/")[3])


# A clinic in another time zone ---------------------------------------------------------------------


def test_day_page_shows_times_in_the_clinics_own_time_zone(client):
    service = ServiceFactory(clinic=ClinicFactory(time_zone="America/New_York"))
    SlotFactory(service=service, starts_at=local(PROMO_DAY, 7, tz="America/New_York"))

    response = client.get(f"/book/{PROMO_DAY}/")

    assert time_choices(response) == ["7:00 AM $175"]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_day_page_for_a_date_beyond_any_calendar_is_a_404(client, service, day):
    assert client.get(f"/book/{day}/").status_code == 404


@pytest.mark.parametrize("url", ["/", "/book/", "/healthz"])
def test_monitors_may_use_head(client, service, promotion, url):
    assert client.head(url).status_code == 200
