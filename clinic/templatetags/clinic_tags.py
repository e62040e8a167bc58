from django import template
from django.utils.formats import date_format
from django.utils.translation import pgettext

from clinic.models import display_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    return display_phone(value) if value else ""


# Dates and times as patients read them, in the page's language: "Monday, December 14" and "9:00 AM";
# "lunes, 14 de diciembre" and "9:00 a. m.". The formats are messages of the catalog (locale/).


@register.filter(expects_localtime=True)
def long_day(value) -> str:
    return date_format(value, pgettext("date format: weekday, month and day", "l, F j")) if value else ""


@register.filter(expects_localtime=True)
def long_date(value) -> str:
    return date_format(value, pgettext("date format: weekday, month, day and year", "l, F j, Y")) if value else ""


@register.filter(expects_localtime=True)
def month_year(value) -> str:
    return date_format(value, pgettext("date format: month and year", "F Y")) if value else ""


@register.filter(expects_localtime=True)
def clock(value) -> str:
    if not value:
        return ""
    meridiem = pgettext("time of day", "AM") if value.hour < 12 else pgettext("time of day", "PM")
    return f"{date_format(value, 'g:i')} {meridiem}"
