"""The US federal holidays as closed days: seed_demo closes them, and the front desk closes a year's in one go."""

from datetime import UTC, date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from booking.models import Slot
from clinic.closures import close_federal_holidays
from clinic.models import Clinic, Closure
from clinic.tests.factories import ClosureFactory

pytestmark = pytest.mark.django_db

PAGE = "/admin/clinic/closure/federal-holidays/"


def closed(clinic) -> list[tuple[date, str]]:
    return list(clinic.closures.order_by("starts_on").values_list("starts_on", "reason"))


def test_a_years_federal_holidays_become_closed_days_once(clinic):
    added = close_federal_holidays(clinic, 2026)

    assert len(added) == 12
    days = dict(closed(clinic))
    assert days[date(2026, 11, 26)] == "Thanksgiving Day"
    assert days[date(2026, 12, 25)] == "Christmas Day"
    assert days[date(2026, 7, 3)] == "Independence Day (observed)"  # July 4 is a Saturday
    assert close_federal_holidays(clinic, 2026) == []
    assert clinic.closures.count() == 12


def test_a_holiday_inside_a_closure_already_there_is_not_closed_twice(clinic):
    ClosureFactory(clinic=clinic, starts_on=date(2026, 12, 24), ends_on=date(2026, 12, 31), reason="Winter break")
    added = close_federal_holidays(clinic, 2026)
    assert date(2026, 12, 25) not in [c.starts_on for c in added]


def test_the_demo_opens_no_slots_on_christmas_or_new_years_day():
    with time_machine.travel(datetime(2026, 12, 2, 17, 0, tzinfo=UTC), tick=False):
        call_command("seed_demo", stdout=StringIO())
    clinic = Clinic.current()
    days = {s.starts_at.astimezone(clinic.tz).date() for s in Slot.objects.all()}
    assert date(2026, 12, 24) in days and date(2026, 12, 26) in days
    assert date(2026, 12, 25) not in days and date(2027, 1, 1) not in days


def test_the_front_desk_closes_next_years_holidays_in_one_go(client, front_desk, clinic):
    client.force_login(front_desk)
    listing = client.get("/admin/clinic/closure/")
    assert f'href="{PAGE}"' in listing.content.decode()
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Christmas Day" in page.content.decode()

    response = client.post(PAGE, {"year": "2027"}, follow=True)

    [said] = [m.message for m in response.context["messages"]]
    assert said.startswith("Closed 15 day(s) in 2027: Jan 1 (New Year's Day)")
    assert "Dec 24 (Christmas Day (observed))" in said  # Christmas 2027 is a Saturday
    assert "Dec 31 (New Year's Day (observed))" in said  # and so is New Year's Day 2028
    assert Closure.objects.filter(starts_on__year=2027).count() == 15
    again = client.post(PAGE, {"year": "2027"}, follow=True)
    assert "Closed 0 day(s) in 2027: none: all were closed." in [m.message for m in again.context["messages"]]


@pytest.mark.parametrize(
    ("year", "says"),
    [("", "Enter the year to close."), ("twenty", "Enter a year such as 2027."), ("1999", "from 2000 to 2100")],
)
def test_a_year_that_cannot_be_closed_is_said_and_nothing_saved(client, front_desk, clinic, year, says):
    client.force_login(front_desk)
    response = client.post(PAGE, {"year": year})
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not Closure.objects.exists()


def test_clinicians_may_not_close_days(client, clinician, clinic):
    client.force_login(clinician)
    assert client.post(PAGE, {"year": "2027"}).status_code == 403
    assert not Closure.objects.exists()
