"""Dates and times as patients read them: "9:00 AM" and "9:00 a. m.", with the article Spanish puts before a time
after "a" or "hasta", singular for one o'clock alone."""

from datetime import date, datetime, time

import pytest
from django.utils import translation

from clinic.dates import clock, clock_with_article, hour, hour_with_article, long_day, month_day


def spanish(told, value) -> str:
    with translation.override("es"):
        return told(value)


@pytest.mark.parametrize(
    ("at", "english", "in_spanish"),
    [
        (time(9), "9:00 AM", "9:00 a. m."),
        (time(0, 30), "12:30 AM", "12:30 a. m."),
        (time(12), "12:00 PM", "12:00 p. m."),
        (time(13, 5), "1:05 PM", "1:05 p. m."),
        (datetime(2026, 4, 8, 18, 45), "6:45 PM", "6:45 p. m."),
    ],
)
def test_a_time_reads_the_way_each_language_writes_it(at, english, in_spanish):
    assert clock(at) == english
    assert spanish(clock, at) == in_spanish


@pytest.mark.parametrize(
    ("at", "in_spanish"),
    [
        (time(1), "la 1:00 a. m."),
        (time(13, 30), "la 1:30 p. m."),
        (time(12), "las 12:00 p. m."),
        (time(0), "las 12:00 a. m."),
        (time(11, 15), "las 11:15 a. m."),
        (time(21), "las 9:00 p. m."),
    ],
)
def test_after_a_or_hasta_spanish_puts_the_article_singular_for_one_oclock_alone(at, in_spanish):
    assert spanish(clock_with_article, at) == in_spanish
    assert clock_with_article(at) == clock(at)  # English has no article


def test_an_hour_on_the_dot_is_told_without_minutes():
    assert (hour(time(7)), hour(time(19)), hour(time(7, 30))) == ("7 AM", "7 PM", "7:30 AM")
    assert (spanish(hour, time(7)), spanish(hour_with_article, time(21))) == ("7 a. m.", "las 9 p. m.")
    assert spanish(hour_with_article, time(13)) == "la 1 p. m."


def test_days_read_in_spanish_with_their_names_in_spanish():
    assert long_day(date(2026, 12, 14)) == "Monday, December 14"
    assert spanish(long_day, date(2026, 12, 14)) == "lunes, 14 de diciembre"
    assert spanish(month_day, date(2026, 4, 7)) == "7 de abril"
