"""The waiting list's private links, each for one entry: "leave the list", in the email (and text) that confirms a
join, and "add your name and email", in the reply to someone who joined by texting WAIT.

Made as a booking's private links are (booking/links.py): the entry's reference signed with the site's secret
key for one purpose, `<reference>:<signature>`. It holds no database id and nothing of the patient's, and
only the server makes one, so a reference opens nothing and a link opens its own entry only; a forged, altered
or cut one is not found (404). It keeps working after the patient has left (or the list has done its work for
them): the page then says so.

Messages keep a placeholder where a link goes, and the link is made as the message leaves (`entry_links_expand`,
from notifications/transports.py), so the outbox, and whoever reads it, never holds one.
"""

from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import WaitlistEntry


class Purpose(StrEnum):
    LEAVE = "leave"  # take me off the list
    DETAILS = "details"  # add my name and email (joined by text)


PLACEHOLDER = "[[link:leave]]"
DETAILS_PLACEHOLDER = "[[link:details]]"
PLACEHOLDERS = {Purpose.LEAVE: PLACEHOLDER, Purpose.DETAILS: DETAILS_PLACEHOLDER}
URL_NAMES = {Purpose.LEAVE: "waitlist:leave", Purpose.DETAILS: "waitlist:details"}


def _signer(purpose: Purpose) -> signing.Signer:
    return signing.Signer(salt=f"waitlist.link.{purpose}")


def entry_token(entry: WaitlistEntry, purpose: Purpose) -> str:
    return _signer(purpose).sign(entry.reference)


def entry_path(entry: WaitlistEntry, purpose: Purpose) -> str:
    return reverse(URL_NAMES[purpose], args=[entry_token(entry, purpose)])


def leave_token(entry: WaitlistEntry) -> str:
    return entry_token(entry, Purpose.LEAVE)


def leave_path(entry: WaitlistEntry) -> str:
    return entry_path(entry, Purpose.LEAVE)


def leave_link(entry: WaitlistEntry) -> str:
    return settings.PUBLIC_BASE_URL + leave_path(entry)


def details_path(entry: WaitlistEntry) -> str:
    return entry_path(entry, Purpose.DETAILS)


def details_link(entry: WaitlistEntry) -> str:
    return settings.PUBLIC_BASE_URL + details_path(entry)


def entry_for_token(token: str, purpose: Purpose = Purpose.LEAVE) -> WaitlistEntry | None:
    """The entry a token opens; None for a forged, altered or cut one."""
    try:
        reference = _signer(purpose).unsign(token)
    except signing.BadSignature:
        return None
    entries = WaitlistEntry.objects.select_related("service__clinic", "promotion", "booking")
    return entries.filter(reference=reference).first()


def entry_links_expand(text: str, entry: WaitlistEntry) -> str:
    """The text as it is sent to the entry's own email or mobile: each placeholder becomes the entry's link."""
    for purpose, placeholder in PLACEHOLDERS.items():
        if placeholder in text:
            text = text.replace(placeholder, settings.PUBLIC_BASE_URL + entry_path(entry, purpose))
    return text


def entry_links_withheld(text: str) -> str:
    """The text as staff see it (and as anyone but the patient would get it): where a link goes, not what."""
    for purpose, placeholder in PLACEHOLDERS.items():
        text = text.replace(placeholder, f"[private link: {purpose}]")
    return text
