"""The US federal holidays of a year as the clinic's closed days (the `holidays` package keeps the dates: the
movable ones, and the weekday a weekend holiday is observed on)."""

import holidays
from django.db import transaction

from .models import Closure


def federal_holidays(year: int) -> list[tuple]:
    """(day, name) for each US federal holiday of the year, and the day each is observed on."""
    return sorted(holidays.US(years=year).items())


@transaction.atomic
def close_federal_holidays(clinic, year: int) -> list[Closure]:
    """A closure for each of the year's federal holidays not already closed: running it twice adds nothing."""
    added = []
    for day, name in federal_holidays(year):
        if not clinic.closures.filter(starts_on__lte=day, ends_on__gte=day).exists():
            added.append(Closure.objects.create(clinic=clinic, starts_on=day, ends_on=day, reason=name))
    return added
