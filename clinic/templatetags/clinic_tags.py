from django import template

from clinic import dates
from clinic.models import display_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    return display_phone(value) if value else ""


# Dates and times as patients read them, in the page's language (clinic/dates.py) and time zone.


@register.filter(expects_localtime=True)
def long_day(value) -> str:
    return dates.long_day(value) if value else ""


@register.filter(expects_localtime=True)
def short_day(value) -> str:
    return dates.short_day(value) if value else ""


@register.filter(expects_localtime=True)
def long_date(value) -> str:
    return dates.long_date(value) if value else ""


@register.filter(expects_localtime=True)
def month_year(value) -> str:
    return dates.month_year(value) if value else ""


@register.filter(expects_localtime=True)
def clock(value) -> str:
    return dates.clock(value) if value else ""


@register.filter(expects_localtime=True)
def hour(value) -> str:
    return dates.hour(value) if value else ""


@register.filter(expects_localtime=True)
def clock_with_article(value) -> str:
    return dates.clock_with_article(value) if value else ""


@register.filter(expects_localtime=True)
def hour_with_article(value) -> str:
    return dates.hour_with_article(value) if value else ""
