from datetime import date

from booking.rules import Patient
from booking.tests.factories import local

T0 = local(date(2026, 4, 6), 10)  # Monday, 10:00 AM in San Diego: not quiet hours


def runner(n: int, **overrides) -> Patient:
    fields = {"name": f"Runner {n}", "email": f"runner{n}@example.com", "phone": f"+1619555{n:04d}"}
    return Patient(**{**fields, **overrides})
