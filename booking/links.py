"""A patient's private links: their booking's page, its questionnaire, and a place offered from the waiting list.

Each link is a signed token for one booking and one purpose, `<reference>.<version>:<signature>`:
only the server's secret key makes one, so a reference (which staff see) opens nothing, and
it carries no database id. Every token holds the booking's `link_version`. Raising it (staff
send a new link, or change the patient's email or phone) ends every link made before, and
the browsers those links let in; such a link, or one past its last day, gets a page with
the clinic's phone (410). A forged, altered or cut one is not found (404).

Messages go to the outbox with a placeholder where a link belongs (`placeholder`), and the
link is made as the message leaves (`links_expand`): the outbox, and whoever reads it,
never holds one, and a message sent again carries the link as it is then.
"""

import re
from datetime import datetime, timedelta
from enum import StrEnum
from functools import wraps

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache

from .models import Booking


class Purpose(StrEnum):
    MANAGE = "manage"  # the booking's own page: see, move, cancel
    INTAKE = "intake"  # the questionnaire before the visit
    CLAIM = "claim"  # a place held for someone on the waiting list


URL_NAMES = {Purpose.MANAGE: "booking:manage", Purpose.INTAKE: "assessments:intake", Purpose.CLAIM: "waitlist:offer"}


def _days_after_visit(purpose: Purpose) -> int:
    return settings.INTAKE_LINK_DAYS if purpose == Purpose.INTAKE else settings.MANAGE_LINK_DAYS


def _signer(purpose: Purpose) -> signing.Signer:
    return signing.Signer(salt=f"booking.link.{purpose}")


def private_token(booking: Booking, purpose: Purpose) -> str:
    return _signer(purpose).sign(f"{booking.reference}.{booking.link_version}")


def private_path(booking: Booking, purpose: Purpose) -> str:
    return reverse(URL_NAMES[purpose], args=[private_token(booking, purpose)])


def private_link(booking: Booking, purpose: Purpose) -> str:
    return settings.PUBLIC_BASE_URL + private_path(booking, purpose)


def manage_path(booking: Booking) -> str:
    return private_path(booking, Purpose.MANAGE)


def admin_link(booking: Booking) -> str:
    """The booking's page in the admin, for the clinic's own emails."""
    return settings.PUBLIC_BASE_URL + reverse("admin:booking_booking_change", args=[booking.pk])


def link_works_for(booking: Booking, purpose: Purpose, *, now: datetime | None = None) -> bool:
    """Links work until some days after the visit as it is now (it may have moved since one was sent)."""
    return (now or timezone.now()) < booking.slot.ends_at + timedelta(days=_days_after_visit(purpose))


class LinkGone(Exception):
    """A link we made that opens nothing now: a newer one replaced it, or its last day has passed."""


def booking_for_token(token: str, purpose: Purpose, bookings=None, *, now: datetime | None = None) -> Booking | None:
    """The booking a token opens; None for a forged, altered or cut one. Raises LinkGone for a replaced or old one."""
    try:
        reference, _, version = _signer(purpose).unsign(token).rpartition(".")
    except signing.BadSignature:
        return None
    booking = (bookings if bookings is not None else Booking.objects).filter(reference=reference).first()
    if booking is None:
        return None
    if version != str(booking.link_version) or not link_works_for(booking, purpose, now=now):
        raise LinkGone
    return booking


def opens(purpose: Purpose, bookings=None):
    """Decorate a view of a private link: it is called with the booking its token opens, then the token.

    A forged or altered link is not found (404); one replaced by a newer link or past its last day gets
    a page that says so, with the clinic's phone (410). Pages behind a private link are never cached.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, token: str, *args, **kwargs):
            try:
                booking = booking_for_token(token, purpose, bookings)
            except LinkGone:
                return render(request, "link_gone.html", status=410)
            if booking is None:
                raise Http404("This link is not valid.")
            return view(request, booking, token, *args, **kwargs)

        return never_cache(wrapper)

    return decorator


# The outbox keeps a placeholder where a link goes; the link is made as the message is sent.

PLACEHOLDER = re.compile(r"\[\[link:(" + "|".join(Purpose) + r")\]\]")


def placeholder(purpose: Purpose) -> str:
    return f"[[link:{purpose}]]"


def links_expand(text: str, booking: Booking | None) -> str:
    """The text as it is sent: each placeholder becomes the booking's private link of that purpose, as it is now."""
    if booking is None:
        return PLACEHOLDER.sub(settings.PUBLIC_BASE_URL + "/", text)
    return PLACEHOLDER.sub(lambda match: private_link(booking, Purpose(match[1])), text)


def links_withheld(text: str) -> str:
    """The text as staff see it: where a private link goes, only that one goes there."""
    return PLACEHOLDER.sub(lambda match: f"[private link: {Purpose(match[1]).name.lower()}]", text)


# The booking link texted to a number (the reply to its first text): made for the number the text goes to.

TEXTED_PLACEHOLDER = re.compile(r"\[\[link:texted:([a-z]{2})\]\]")
TEXTED_WITHHELD = "[private link: booking by text]"


def _texted_signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt="booking.link.texted")


def texted_token(phone: str) -> str:
    return _texted_signer().sign(phone.removeprefix("+"))  # an E.164 number: its digits say it all


def texted_link(phone: str) -> str:
    """The booking link for this mobile, in the language active now."""
    return settings.PUBLIC_BASE_URL + reverse("booking:texted", args=[texted_token(phone)])


def texted_phone(token: str) -> str | None:
    """The mobile a texted link was made for; None for a forged, altered or cut one. Raises LinkGone for one older
    than TEXTED_LINK_DAYS."""
    try:
        digits = _texted_signer().unsign(token, max_age=timedelta(days=settings.TEXTED_LINK_DAYS))
    except signing.SignatureExpired:
        raise LinkGone from None
    except signing.BadSignature:
        return None
    return f"+{digits}" if digits.isdecimal() else None


def texted_placeholder() -> str:
    """Where the texted link goes in a message being written: it opens the pages in the language written in."""
    return f"[[link:texted:{translation.get_language()}]]"


def texted_links_expand(text: str, phone: str) -> str:
    """The text as it is sent to `phone`: each texted-link placeholder becomes that mobile's link, in its language."""

    def link(match: re.Match) -> str:
        with translation.override(match[1]):
            return texted_link(phone)

    return TEXTED_PLACEHOLDER.sub(link, text)


def texted_links_withheld(text: str) -> str:
    return TEXTED_PLACEHOLDER.sub(TEXTED_WITHHELD, text)
