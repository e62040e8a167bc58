"""A time zone's name as patients say it: "Pacific time", not America/Los_Angeles or PST/PDT.

Pages label their times with it, so a patient reading from another zone knows which clock is meant,
and it reads the same all year: "Pacific time" covers both PST and PDT.
"""

import zoneinfo
from datetime import datetime

from django.utils import timezone

SPOKEN_NAMES = {
    "America/Los_Angeles": "Pacific time",
    "America/Vancouver": "Pacific time",
    "America/Tijuana": "Pacific time",
    "America/Denver": "Mountain time",
    "America/Boise": "Mountain time",
    "America/Edmonton": "Mountain time",
    "America/Phoenix": "Mountain time",
    "America/Chicago": "Central time",
    "America/Winnipeg": "Central time",
    "America/New_York": "Eastern time",
    "America/Detroit": "Eastern time",
    "America/Toronto": "Eastern time",
    "America/Indiana/Indianapolis": "Eastern time",
    "America/Halifax": "Atlantic time",
    "America/Puerto_Rico": "Atlantic time",
    "America/Anchorage": "Alaska time",
    "Pacific/Honolulu": "Hawaii time",
}


def time_zone_label(name: str, *, at: datetime | None = None) -> str:
    """ "Pacific time" for America/Los_Angeles; for a zone without a spoken name, its abbreviation at `at`
    (now by default), such as "CET", or "UTC+03" where the zone has no letters of its own."""
    if name in SPOKEN_NAMES:
        return SPOKEN_NAMES[name]
    abbreviation = timezone.localtime(at or timezone.now(), zoneinfo.ZoneInfo(name)).tzname() or name
    return f"UTC{abbreviation}" if abbreviation[:1] in "+-" else abbreviation
