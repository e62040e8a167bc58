"""The waiting list's private link: "leave the list", in the email (and text) that confirms a join.

Made as a booking's private links are (booking/links.py): the entry's reference signed with the site's secret
key for this one purpose, `<reference>:<signature>`. It holds no database id and nothing of the patient's, and
only the server makes one, so a reference opens nothing and a link opens its own entry only; a forged, altered
or cut one is not found (404). It keeps working after the patient has left (or the list has done its work for
them): the page then says so.

Messages keep a placeholder where the link goes, and the link is made as the message leaves (`leave_link_expand`,
from notifications/transports.py), so the outbox, and whoever reads it, never holds one.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import WaitlistEntry

PLACEHOLDER = "[[link:leave]]"
WITHHELD = "[private link: leave]"


def _signer() -> signing.Signer:
    return signing.Signer(salt="waitlist.link.leave")


def leave_token(entry: WaitlistEntry) -> str:
    return _signer().sign(entry.reference)


def leave_path(entry: WaitlistEntry) -> str:
    return reverse("waitlist:leave", args=[leave_token(entry)])


def leave_link(entry: WaitlistEntry) -> str:
    return settings.PUBLIC_BASE_URL + leave_path(entry)


def entry_for_token(token: str) -> WaitlistEntry | None:
    """The entry a leave token opens; None for a forged, altered or cut one."""
    try:
        reference = _signer().unsign(token)
    except signing.BadSignature:
        return None
    entries = WaitlistEntry.objects.select_related("service__clinic", "promotion", "booking")
    return entries.filter(reference=reference).first()


def leave_link_expand(text: str, entry: WaitlistEntry) -> str:
    """The text as it is sent to the entry's own email or mobile: the placeholder becomes its leave link."""
    return text.replace(PLACEHOLDER, leave_link(entry))


def leave_link_withheld(text: str) -> str:
    """The text as staff see it (and as anyone but the patient would get it): where the link goes, not what."""
    return text.replace(PLACEHOLDER, WITHHELD)
