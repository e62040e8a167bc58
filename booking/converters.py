from datetime import date


class DateConverter:
    """A calendar date as YYYY-MM-DD; anything else (2026-02-30 included) is a 404."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        day = date.fromisoformat(value)  # ValueError makes the URL not match
        if not 2000 <= day.year <= 2999:  # far-off dates would overflow date arithmetic
            raise ValueError(value)
        return day

    def to_url(self, value: date) -> str:
        return value.isoformat()
