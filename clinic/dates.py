"""Dates and times as patients read them, in the language of the page, email or text being written: "Monday,
December 14" and "9:00 AM"; "lunes, 14 de diciembre" and "9:00 a. m.". The formats are messages of the catalog
(locale/), so each language writes its own; every page, email and text tells a time through `clock` or `hour`.

After "at", "until" or "between", Spanish puts an article before the time, and one o'clock is singular: "a las
9:00 a. m.", but "a la 1:00 p. m.". `clock_with_article` and `hour_with_article` give the time with its article
("las 9:00 a. m.", "la 1:00 p. m."), for messages that say "a %(time)s" or "hasta %(until)s"; English has none.
"""

from collections.abc import Iterable
from datetime import date, datetime, time

from django.utils.formats import date_format
from django.utils.translation import npgettext, pgettext


def long_day(value: date) -> str:
    return date_format(value, pgettext("date format: weekday, month and day", "l, F j"))


def short_day(value: date) -> str:
    """ "Mon Dec 14"; "lun 14 dic": for a text or an email's subject."""
    return date_format(value, pgettext("date format: short weekday, month and day", "D M j"))


def long_date(value: date) -> str:
    return date_format(value, pgettext("date format: weekday, month, day and year", "l, F j, Y"))


def month_year(value: date) -> str:
    return date_format(value, pgettext("date format: month and year", "F Y"))


def month_day(value: date) -> str:
    """ "December 14"; "14 de diciembre"."""
    return date_format(value, pgettext("date format: month and day", "F j"))


def _meridiem(value: datetime | time) -> str:
    return pgettext("time of day", "AM") if value.hour < 12 else pgettext("time of day", "PM")


def clock(value: datetime | time) -> str:
    """ "9:00 AM"; "9:00 a. m." (the time as it is, in no time zone but its own)."""
    return f"{date_format(value, 'g:i')} {_meridiem(value)}"


def hour(value: datetime | time) -> str:
    """ "7 AM"; "7 a. m.": an hour on the dot, as opening hours are told ("7:30 AM" when it is not)."""
    return f"{date_format(value, 'g' if value.minute == 0 else 'g:i')} {_meridiem(value)}"


def _with_article(value: datetime | time, told: str) -> str:
    # The count is the hour on a 12-hour clock: Spanish's singular form is for one o'clock alone.
    on_the_clock = value.hour % 12 or 12
    return npgettext("a time with its article, after 'at' or 'until'", "%(time)s", "%(time)s", on_the_clock) % {
        "time": told
    }


def clock_with_article(value: datetime | time) -> str:
    """ "9:00 AM"; "las 9:00 a. m.", "la 1:00 p. m."."""
    return _with_article(value, clock(value))


def hour_with_article(value: datetime | time) -> str:
    """ "7 AM"; "las 7 a. m.", "la 1 p. m."."""
    return _with_article(value, hour(value))


def opening_hours(periods: Iterable) -> str:
    """ "Mon 9 AM-6 PM; Tue 9 AM-6 PM"; "lun 9 a. m.-6 p. m.": a clinic's opening periods (OpeningHours rows,
    in order), short enough for a text."""
    return "; ".join(
        f"{period.get_weekday_display()[:3]} {hour(period.opens_at)}-{hour(period.closes_at)}" for period in periods
    )
