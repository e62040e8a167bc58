"""Which browsers may open a questionnaire's saved answers through the patient's link.

The link alone shows how far the questionnaire is. The browser that saved a step (or kept one to
finish later), and one that typed a code sent to the booking's email or mobile, may open the saved
answers while it keeps using them: each questionnaire's entry in a signed cookie lapses after
SESSION_IDLE_MINUTES without a page of it, and a new private link (a new link version) ends it.
"""

from django.utils import timezone

from clinic import cookies

from .models import IntakeAccess

ACCESS_COOKIE = "intake_access"
KEPT = 5  # the questionnaires one browser may have open


def _key(booking) -> str:
    return f"{booking.reference}-{booking.link_version}"


def _entries(request) -> dict[str, tuple[str, int]]:
    """ "<reference>-<link version>" -> (how access was granted, when this browser last used it), still live."""
    since = int(timezone.now().timestamp()) - int(cookies.idle().total_seconds())
    entries = {}
    for entry in cookies.recall(request, ACCESS_COOKIE, lasts=cookies.idle()).split("."):
        key, _, rest = entry.rpartition("~")
        how, _, used = rest.partition("@")
        if key and how in IntakeAccess.GrantedBy.values and used.isdecimal() and int(used) > since:
            entries[key] = (how, int(used))
    return entries


def granted_by(request, booking) -> str:
    """How this browser was let into the booking's saved answers ("" for not, or no longer)."""
    return _entries(request).get(_key(booking), ("", 0))[0]


def may_open(request, booking, intake) -> bool:
    """Whether this browser may see the questionnaire's pages: nothing saved yet (no draft either), or it was let in."""
    return intake is None or not intake.has_answers or bool(granted_by(request, booking))


def remember(request, response, booking, how: str) -> None:
    """Let this browser in to this questionnaire (or keep it in) for another SESSION_IDLE_MINUTES."""
    entries = {key: value for key, value in _entries(request).items() if key != _key(booking)}
    kept = [*list(entries.items())[-(KEPT - 1) :], (_key(booking), (how, int(timezone.now().timestamp())))]
    cookies.remember(response, ACCESS_COOKIE, ".".join(f"{key}~{how}@{used}" for key, (how, used) in kept))
