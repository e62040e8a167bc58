"""Which browsers may open a questionnaire's saved answers through the patient's link.

The link alone shows how far the questionnaire is. The browser that saved a step, and one
that typed a code sent to the booking's email or mobile, may open the saved answers while it
keeps using them: a signed cookie, renewed on each page, that lapses after SESSION_IDLE_MINUTES
idle, and that a new private link (a new link version) ends.
"""

from clinic import cookies

from .models import Intake, IntakeAccess

ACCESS_COOKIE = "intake_access"
KEPT = 5  # the questionnaires one browser may have open


def _entries(request) -> dict[str, str]:
    """ "<reference>-<link version>" -> how access was granted (IntakeAccess.GrantedBy)."""
    value = cookies.recall(request, ACCESS_COOKIE)
    pairs = (entry.rpartition("-") for entry in value.split(".") if entry)
    return {key: how for key, _, how in pairs if how in IntakeAccess.GrantedBy.values}


def _key(booking) -> str:
    return f"{booking.reference}-{booking.link_version}"


def granted_by(request, booking) -> str:
    """How this browser was let into the booking's saved answers ("" for not)."""
    return _entries(request).get(_key(booking), "")


def may_open(request, booking, intake: Intake | None) -> bool:
    """Whether this browser may see the questionnaire's pages: nothing saved yet, or it was let in."""
    return intake is None or not intake.steps_done or bool(granted_by(request, booking))


def remember(request, response, booking, how: str) -> None:
    """Let this browser in (or keep it in) for another SESSION_IDLE_MINUTES."""
    entries = {key: value for key, value in _entries(request).items() if key != _key(booking)}
    kept = [*list(entries.items())[-(KEPT - 1) :], (_key(booking), how)]
    cookies.remember(response, ACCESS_COOKIE, ".".join(f"{key}-{value}" for key, value in kept))
