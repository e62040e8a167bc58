"""A time zone's name as patients say it: "Pacific time", not America/Los_Angeles or PST/PDT.

Pages label their times with it, so a patient reading from another zone knows which clock is meant,
and it reads the same all year: "Pacific time" covers both PST and PDT.
"""

import zoneinfo
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SPOKEN_NAMES = {
    "America/Los_Angeles": _("Pacific time"),
    "America/Vancouver": _("Pacific time"),
    "America/Tijuana": _("Pacific time"),
    "America/Denver": _("Mountain time"),
    "America/Boise": _("Mountain time"),
    "America/Edmonton": _("Mountain time"),
    "America/Phoenix": _("Mountain time"),
    "America/Chicago": _("Central time"),
    "America/Winnipeg": _("Central time"),
    "America/New_York": _("Eastern time"),
    "America/Detroit": _("Eastern time"),
    "America/Toronto": _("Eastern time"),
    "America/Indiana/Indianapolis": _("Eastern time"),
    "America/Halifax": _("Atlantic time"),
    "America/Puerto_Rico": _("Atlantic time"),
    "America/Anchorage": _("Alaska time"),
    "Pacific/Honolulu": _("Hawaii time"),
}


def time_zone_label(name: str, *, at: datetime | None = None) -> str:
    """The spoken name ("Pacific time" for America/Los_Angeles); for a zone without one, its abbreviation at `at`
    (now by default), such as "CET", or "UTC+03" where the zone has no letters of its own."""
    if name in SPOKEN_NAMES:
        return str(SPOKEN_NAMES[name])
    abbreviation = timezone.localtime(at or timezone.now(), zoneinfo.ZoneInfo(name)).tzname() or name
    return f"UTC{abbreviation}" if abbreviation[:1] in "+-" else abbreviation
