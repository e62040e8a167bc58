from datetime import date

from clinic.models import EARLIEST_DAY, LATEST_DAY


class DateConverter:
    """A calendar date as YYYY-MM-DD; anything else (2026-02-30 included) is a 404."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        day = date.fromisoformat(value)  # ValueError makes the URL not match
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise ValueError(value)
        return day

    def to_url(self, value: date) -> str:
        return value.isoformat()
