"""A mobile proven by a code texted to it: what a discounted spot paid at the visit needs.

A patient who pays online proves themselves with the payment. Paying at the visit, a $99 spot
would cost a bot only a made-up name and number, so the spot is held (MOBILE_CHECK_HOLD) until
the patient types the 6-digit code texted to the mobile they gave (clinic/codes.py: 10 minutes,
5 tries). A hold never verified lapses and frees the spot. That mobile is then what "one
discount per patient" (booking/rules.py) matches. Sending the text is the outbox's business
(mobile_code_issued).

A mobile is proven another way too: the patient texted the clinic and opened, in this browser, the
booking link texted back to that number (booking/links.py, `texted_link`). A booking made there with
that same mobile is verified as it is confirmed (booking/holds.py, `hold_request`), and needs no code;
one made with a mobile typed in its place gets the code as any other.
"""

from datetime import datetime

from django.utils import timezone

from clinic.codes import Check, CodeLocked, code_check, code_issue

from .models import Booking
from .services import booking_confirm
from .signals import mobile_code_issued
from .stripe_gateway import payments_online

PURPOSE = "booking-mobile"

__all__ = ["Check", "CodeLocked", "awaits_mobile_code", "mobile_code_send", "mobile_verify"]


def awaits_mobile_code(booking: Booking) -> bool:
    """Whether the booking is a discounted spot held for the code texted to its mobile."""
    return (
        booking.status == Booking.Status.HELD
        and booking.promotion_id is not None
        and booking.phone_verified_at is None
        and not payments_online()
    )


def mobile_code_send(*, booking: Booking) -> None:
    """Text a new code to the booking's mobile (it replaces the last). Raises CodeLocked after 5 wrong tries."""
    issued = code_issue(purpose=PURPOSE, subject=booking.reference)
    mobile_code_issued.send(sender=Booking, booking=booking, code=issued.code, key=str(issued.key))


def mobile_verify(*, booking: Booking, code: str, now: datetime | None = None) -> Check:
    """Check the code; the right one proves the mobile and books the held spot.

    A hold that lapsed meanwhile is booked still if its time and spot are free (booking_confirm),
    else BookingError says why.
    """
    now = now or timezone.now()
    result = code_check(purpose=PURPOSE, subject=booking.reference, code=code, now=now)
    if result == Check.ACCEPTED:
        Booking.objects.filter(pk=booking.pk, phone_verified_at__isnull=True).update(phone_verified_at=now)
        booking_confirm(booking=booking)
    return result
