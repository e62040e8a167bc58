"""Reads for the waiting list's pages."""

from django.db.models import Q

from .models import WaitlistEntry

Status = WaitlistEntry.Status


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
