"""What this browser booked: the references it may open by reference alone, in a signed cookie.

A second click on "confirm" finds the booking the first click made, and coming back from Stripe's
pages (paid, or backed out) opens the booking's own page or releases its hold: only for the
browser that booked it, never for someone who only knows the reference.

Also the mobile a texted booking link was opened for (booking/links.py, `texted_link`): the details
form starts with it, and a booking made with it counts it as proven.
"""

from datetime import timedelta

from django.conf import settings

from clinic import cookies

from .models import Booking
from .payments import checkout_hold

BOOKED_COOKIE = "booked"
KEPT = 10  # the latest references a browser remembers


def _booked_for() -> timedelta:
    """Long enough to pay on Stripe's page and come back to the booking's own page."""
    return checkout_hold() + cookies.idle()


def booked_here(request) -> list[str]:
    value = cookies.recall(request, BOOKED_COOKIE, lasts=_booked_for())
    return value.split(".") if value else []


def remember_booked(request, response, booking: Booking) -> None:
    """This browser booked (or is paying for) `booking`: it may go on from the booking's reference pages."""
    booked = booked_here(request)
    if booking.reference not in booked:
        booked = [*booked[-(KEPT - 1) :], booking.reference]
    cookies.remember(response, BOOKED_COOKIE, ".".join(booked), lasts=_booked_for())


TEXTED_COOKIE = "texted"


def _texted_for() -> timedelta:
    """Long enough to choose a time and type the details; the link in the text opens it again."""
    return timedelta(minutes=settings.BOOKING_HOLD_MINUTES) + cookies.idle()


def remember_texted_mobile(response, phone: str) -> None:
    """This browser opened the booking link texted to `phone`."""
    cookies.remember(response, TEXTED_COOKIE, phone, lasts=_texted_for())


def texted_mobile(request) -> str:
    """The mobile whose texted booking link this browser opened lately, or ""."""
    return cookies.recall(request, TEXTED_COOKIE, lasts=_texted_for())
