"""The intake's private link: the booking's signed intake key, never its reference, an id or an answer."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from booking.models import Booking

TOKEN_SALT = "assessments.intake"


def intake_token(booking: Booking) -> str:
    return signing.dumps(booking.intake_key, salt=TOKEN_SALT)


def intake_path(booking: Booking) -> str:
    return reverse("assessments:intake", args=[intake_token(booking)])


def intake_link(booking: Booking) -> str:
    return settings.PUBLIC_BASE_URL + intake_path(booking)


def intake_key_for_token(token: str) -> str | None:
    try:
        return signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
