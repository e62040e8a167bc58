"""Reads for the waiting list's pages."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from booking.models import Booking, Slot
from booking.selectors import free_slots

from .models import WaitlistEntry

Status = WaitlistEntry.Status


@dataclass(frozen=True)
class TimeChoice:
    slot: Slot
    starts_at: datetime  # in the clinic's time zone


def offer_alternatives(entry: WaitlistEntry, booking: Booking, *, now: datetime) -> list[tuple[date, list[TimeChoice]]]:
    """The other free times the place held for `entry` may move to, by day (clinic time), earliest first.

    The times the entry waits for (inside its offer's visit window, or on its day) that can be booked online
    now and have a seat free: each at the price held, which a move keeps (booking.rules.quote_move). Two queries
    (the times, the closures), however many there are.
    """
    promotion = entry.promotion
    first, last = (promotion.visit_starts_on, promotion.visit_ends_on) if promotion else (entry.day, entry.day)
    service = booking.slot.service  # the entry's, loaded with the booking
    tz = service.clinic.tz
    days: dict[date, list[TimeChoice]] = {}
    for slot in free_slots(service, now, first, last):
        if slot.pk != booking.slot_id:
            starts_at = timezone.localtime(slot.starts_at, tz)
            days.setdefault(starts_at.date(), []).append(TimeChoice(slot=slot, starts_at=starts_at))
    return list(days.items())


def others_waiting(entry: WaitlistEntry) -> bool:
    """Whether anyone else waits on the entry's list now: the next in line for a place it lets go."""
    return WaitlistEntry.objects.filter(**entry.list_filter(), status=Status.WAITING).exclude(pk=entry.pk).exists()


def place_goes_to_next(entry: WaitlistEntry) -> bool:
    """Whether a place the entry let go (declined, lapsed, left) went to someone else on its list: one offered a
    place since, or one still waiting, who is offered it as soon as the sweep runs outside quiet hours.
    Otherwise the place is open to anyone to book."""
    others = WaitlistEntry.objects.filter(**entry.list_filter()).exclude(pk=entry.pk)
    offered_since = Q(status__in=[Status.OFFERED, Status.BOOKED], booking__created_at__gte=entry.updated_at)
    return others.filter(Q(status=Status.WAITING) | offered_since).exists()
