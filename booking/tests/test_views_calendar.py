"""Choosing the day on a month calendar: `/book/` (and the same page when moving a visit), through the test client.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego) unless a test moves it; the
conftest promotion covers visits April 7 to 16. Bookable online: up to BOOKING_DAYS_AHEAD (42) days ahead.
"""

from datetime import date

import pytest
from django.test import Client

from booking.services import slots_generate
from booking.tests.factories import PromotionFactory, ServiceFactory, local
from booking.tests.manage_helpers import booked, url
from booking.tests.pages import PROMO_DAY, REGULAR_DAY, day_links, does_not_say, hrefs, says, slot_at, spoken
from clinic.closures import close_federal_holidays
from clinic.tests.factories import ClinicFactory
from clinic.tests.html import html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def shortcuts(response) -> list:
    [shortcut_list] = [ul for ul in html(response).find_all("ul") if ul.has_class("shortcuts")]
    return shortcut_list.find_all("a")


def cells(response) -> dict[str, object]:
    """Each day of the month tables, "April 7" for example, to its table cell."""
    found = {}
    for table in html(response).find_all("table"):
        month = table.find("caption").text.split()[0]
        for td in table.find_all("td"):
            if number := td.find("span"):
                found[f"{month} {number.text}"] = td
    return found


def test_days_page_is_an_accessible_table_per_month_up_to_the_booking_horizon(client, service, promotion):
    slot_at(service, PROMO_DAY, 10)

    response = client.get("/book/")

    tables = html(response).find_all("table")
    # April 6 to May 18, the 42nd day ahead: two months, one after the other.
    assert [t.find("caption").text for t in tables] == ["April 2026", "May 2026"]
    for table in tables:
        headers = table.find_all("th")
        assert [h.attrs.get("scope") for h in headers] == ["col"] * 7
        assert [spoken(h) for h in headers] == WEEKDAYS  # full names for screen readers; "Sun", "Mon" shown
        assert {len(row.find_all("td")) for row in table.find("tbody").find_all("tr")} == {7}
    april = tables[0].find("tbody").find_all("tr")
    assert [td.text for td in april[0].find_all("td")] == ["", "", "", "1", "2", "3", "4"]  # April 1 is a Wednesday


def test_a_bookable_day_links_to_its_times_and_says_the_date_the_times_and_the_discount(client, service, promotion):
    for hour in (9, 10, 11):
        slot_at(service, PROMO_DAY, hour)
    slot_at(service, REGULAR_DAY, 9)

    response = client.get("/book/")

    assert day_links(response) == {
        "2026-04-08": "Wednesday, April 8: 3 times, discounted times at $99",
        "2026-04-20": "Monday, April 20: 1 time",
    }
    promo, regular = cells(response)["April 8"], cells(response)["April 20"]
    assert promo.find("a").attrs["href"] == f"/book/{PROMO_DAY}/"
    # Marked in words on the day itself, not by colour alone, and explained once above the calendar.
    assert [s.text for s in promo.find_all("span") if s.has_class("cal-tag")] == ["$99"]
    assert not [s for s in regular.find_all("span") if s.has_class("cal-tag")]
    says(response, "$99 marks days with discounted times.")


def test_closed_full_and_past_days_are_plain_text(client, clinic, service, promotion):
    slot_at(service, date(2026, 4, 2), 10)  # last week
    slot_at(service, PROMO_DAY, 10, is_blocked=True)
    booked(service, day=date(2026, 4, 9), hour=10)  # its only time is taken
    slot_at(service, date(2026, 4, 10), 10)
    clinic.closures.create(starts_on=date(2026, 4, 10), ends_on=date(2026, 4, 10), reason="Training")
    slot_at(service, date(2026, 4, 13), 10)

    response = client.get("/book/")

    assert list(day_links(response)) == ["2026-04-13"]
    found = cells(response)
    for day in ("April 2", "April 8", "April 9", "April 10"):
        assert not found[day].find("a"), day
    assert spoken(found["April 10"]) == "10 closed"
    assert spoken(found["April 9"]) == "9"


def test_without_a_free_time_the_days_page_says_to_call_instead_of_showing_empty_months(client, service, promotion):
    booked(service, day=PROMO_DAY, hour=10)
    response = client.get("/book/")
    says(response, "There are no times left to book online right now. Please call or text (619) 268-1397")
    assert not html(response).find_all("table")


def test_federal_holidays_closed_by_the_clinic_are_closed_on_the_calendar(client, clock, clinic, service):
    clock.move_to(local(date(2026, 12, 7), 9))
    for year in (2026, 2027):
        close_federal_holidays(clinic, year)
    slots_generate(service=service, start=date(2026, 12, 7), end=date(2027, 1, 15))

    response = client.get("/book/")

    found = cells(response)
    for holiday in ("December 25", "January 1"):
        assert not found[holiday].find("a"), holiday
        assert spoken(found[holiday]).endswith("closed")
    links = day_links(response)
    assert links["2026-12-24"] == "Thursday, December 24: 12 times"
    assert links["2026-12-31"] == "Thursday, December 31: 12 times"
    assert "2026-12-25" not in links and "2027-01-01" not in links


def test_next_available_and_first_discounted_day_are_shortcuts_at_the_top(client, service):
    PromotionFactory(service=service, visit_starts_on=date(2026, 4, 14), visit_ends_on=date(2026, 4, 17))
    slot_at(service, date(2026, 4, 7), 10)  # before the offer's visits: the regular rate
    slot_at(service, date(2026, 4, 14), 10)

    response = client.get("/book/")

    assert [(a.attrs["href"], a.text) for a in shortcuts(response)] == [
        ("/book/2026-04-07/", "Next available: Tuesday, April 7"),
        ("/book/2026-04-14/", "First $99 day: Tuesday, April 14"),
    ]


def test_next_available_alone_when_it_is_the_first_discounted_day(client, service, promotion):
    slot_at(service, PROMO_DAY, 10)
    response = client.get("/book/")
    assert [a.text for a in shortcuts(response)] == ["Next available: Wednesday, April 8"]


def test_days_and_times_are_labelled_with_the_clinics_time_zone_by_name(client, service, promotion):
    slot_at(service, PROMO_DAY, 10)
    says(client.get("/book/"), "Times are in Pacific time.")
    says(client.get(f"/book/{PROMO_DAY}/"), "Choose a time. Times are in Pacific time.")


def test_a_clinic_in_another_zone_names_its_own(client):
    service = ServiceFactory(clinic=ClinicFactory(time_zone="America/New_York"))
    slot_at(service, PROMO_DAY, 10)
    says(client.get("/book/"), "Times are in Eastern time.")


def test_moving_a_visit_uses_the_same_calendar_linking_to_the_move_and_without_discount_marks(service, promotion):
    booking = booked(service)  # $99, April 8 at 10:00
    slot_at(service, date(2026, 4, 9), 11)
    slot_at(service, REGULAR_DAY, 9)

    response = Client().get(url(booking, "move/"))

    assert day_links(response) == {"2026-04-09": "Thursday, April 9: 1 time", "2026-04-20": "Monday, April 20: 1 time"}
    assert url(booking, "move/2026-04-09/") in hrefs(response)
    [next_available] = shortcuts(response)
    assert (next_available.attrs["href"], next_available.text) == (
        url(booking, "move/2026-04-09/"),
        "Next available: Thursday, April 9",
    )
    does_not_say(response, "$99")
    assert not any((h or "").startswith("/book/20") for h in hrefs(response))


def test_a_day_beyond_the_booking_horizon_is_plain_text(client, service):
    slot_at(service, date(2026, 5, 15), 10)
    slot_at(service, date(2026, 5, 20), 10)  # 44 days ahead
    response = client.get("/book/")
    assert list(day_links(response)) == ["2026-05-15"]
    assert spoken(cells(response)["May 20"]) == "20"
