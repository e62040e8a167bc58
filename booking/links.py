"""The patient's private link to a booking: a signed token that expires after the visit, never an id.

The token carries the booking's reference and the moment the link stops working;
only the server's secret key can make one, so knowing a reference (as staff do)
is not enough to open it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from .models import Booking

TOKEN_SALT = "booking.manage"


class LinkExpired(Exception):
    def __init__(self, reference: str):
        super().__init__(reference)
        self.reference = reference


def _signer() -> signing.Signer:
    return signing.Signer(salt=TOKEN_SALT)


def manage_token(booking: Booking) -> str:
    """`<reference>.<expiry, base 62>:<signature>`: short enough for a text message."""
    expires = int((booking.slot.ends_at + timedelta(days=settings.MANAGE_LINK_DAYS)).timestamp())
    return _signer().sign(f"{booking.reference}.{signing.b62_encode(expires)}")


def manage_path(booking: Booking) -> str:
    return reverse("booking:manage", args=[manage_token(booking)])


def manage_link(booking: Booking) -> str:
    return settings.PUBLIC_BASE_URL + manage_path(booking)


def admin_link(booking: Booking) -> str:
    """The booking's page in the admin, for the clinic's own emails."""
    return settings.PUBLIC_BASE_URL + reverse("admin:booking_booking_change", args=[booking.pk])


def reference_for_token(token: str, *, now: datetime | None = None) -> str | None:
    """The booking reference a token opens; None for a forged or garbled one. Raises LinkExpired for a stale one."""
    try:
        reference, _, expires = _signer().unsign(token).partition(".")
        expires_at = signing.b62_decode(expires)
    except (signing.BadSignature, ValueError, IndexError):
        return None
    if (now or timezone.now()).timestamp() >= expires_at:
        raise LinkExpired(reference)
    return reference


def link_works_for(booking: Booking, *, now: datetime | None = None) -> bool:
    """Links stop working MANAGE_LINK_DAYS after the visit as it is now (it may have moved since one was sent)."""
    return (now or timezone.now()) < booking.slot.ends_at + timedelta(days=settings.MANAGE_LINK_DAYS)
