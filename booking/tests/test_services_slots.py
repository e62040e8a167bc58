from datetime import UTC, date, time, timedelta

import pytest

from booking.models import Slot
from booking.services import slots_generate, slots_plan
from booking.tests.factories import local
from clinic.tests.factories import ClosureFactory, PractitionerFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 12, 7)


def test_slots_follow_opening_hours_back_to_back(service):
    plan = slots_generate(service=service, start=MONDAY, end=MONDAY + timedelta(days=6))
    # Mon–Fri 7:00–19:00 gives 12 one-hour slots a day, Saturday 7:00–15:00 gives 8, Sunday none.
    assert len(plan.new) == 5 * 12 + 8
    monday = Slot.objects.filter(starts_at__lt=local(MONDAY + timedelta(days=1), 0)).order_by("starts_at")
    assert [s.starts_at for s in monday][:2] == [local(MONDAY, 7), local(MONDAY, 8)]
    assert monday.last().ends_at == local(MONDAY, 19)
    assert not Slot.objects.filter(starts_at__gte=local(MONDAY + timedelta(days=6), 0)).exists()


def test_generating_again_creates_no_duplicates(service):
    slots_generate(service=service, start=MONDAY, end=MONDAY + timedelta(days=2))
    plan = slots_generate(service=service, start=MONDAY, end=MONDAY + timedelta(days=3))
    assert (len(plan.new), plan.existing) == (12, 36)
    assert Slot.objects.count() == 48


def test_each_practitioner_gets_their_own_slots(clinic, service):
    slots_generate(service=service, start=MONDAY, end=MONDAY)
    plan = slots_generate(service=service, start=MONDAY, end=MONDAY, practitioner=PractitionerFactory(clinic=clinic))
    assert len(plan.new) == 12
    assert Slot.objects.count() == 24


def test_closed_days_get_no_slots(clinic, service):
    ClosureFactory(clinic=clinic, starts_on=MONDAY + timedelta(days=1), ends_on=MONDAY + timedelta(days=2))
    plan = slots_plan(service=service, start=MONDAY, end=MONDAY + timedelta(days=3))
    assert plan.closed_days == [MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)]
    assert len(plan.new) == 24
    assert Slot.objects.count() == 0  # a plan is only a preview


def test_daylight_saving_week_keeps_local_hours_and_shifts_utc(service):
    # US daylight saving time ends on Sunday 2026-11-01: 7:00 local is 14:00 UTC before, 15:00 UTC after.
    slots_generate(service=service, start=date(2026, 10, 30), end=date(2026, 11, 2))
    utc = UTC
    friday = Slot.objects.order_by("starts_at").first()
    monday = Slot.objects.filter(starts_at__gte=local(date(2026, 11, 2), 0)).order_by("starts_at").first()
    assert Slot.objects.count() == 12 + 8 + 12  # Friday, Saturday, (closed Sunday), Monday
    assert friday.starts_at.astimezone(utc).time() == time(14)
    assert monday.starts_at.astimezone(utc).time() == time(15)
    assert monday.ends_at - monday.starts_at == timedelta(hours=1)
