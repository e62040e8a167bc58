"""The intake's private link: a signed booking reference, never a database id or an answer."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from booking.models import Booking

TOKEN_SALT = "assessments.intake"


def intake_token(booking: Booking) -> str:
    return signing.dumps(booking.reference, salt=TOKEN_SALT)


def intake_path(booking: Booking) -> str:
    return reverse("assessments:intake", args=[intake_token(booking)])


def intake_link(booking: Booking) -> str:
    return settings.PUBLIC_BASE_URL + intake_path(booking)


def reference_for_token(token: str) -> str | None:
    try:
        return signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
