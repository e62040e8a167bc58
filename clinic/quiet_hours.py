"""The clinic's quiet hours: no texts, and no waiting-list offers, from 21:00 to 08:00 clinic time."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

QUIET_START = time(21)  # no texts from 21:00 ...
QUIET_END = time(8)  # ... to 08:00, clinic time
LAST_CALL = time(20, 45)  # a reminder moved before quiet hours goes out at this time


def in_quiet_hours(moment: datetime, tz: ZoneInfo) -> bool:
    local = timezone.localtime(moment, tz).time()
    return local >= QUIET_START or local < QUIET_END


def after_quiet_hours(moment: datetime, tz: ZoneInfo) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (08:00 clinic time)."""
    if not in_quiet_hours(moment, tz):
        return moment
    local = timezone.localtime(moment, tz)
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=tz)


def before_quiet_hours(moment: datetime, tz: ZoneInfo) -> datetime:
    """`moment`, or the evening before the quiet hours it falls in (20:45 clinic time)."""
    if not in_quiet_hours(moment, tz):
        return moment
    local = timezone.localtime(moment, tz)
    day = local.date() if local.time() >= QUIET_START else local.date() - timedelta(days=1)
    return datetime.combine(day, LAST_CALL, tzinfo=tz)
