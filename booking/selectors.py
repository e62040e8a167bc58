"""Reads for the booking pages. Each runs a fixed number of queries, however many slots there are."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from .models import Promotion, Service, Slot, bookings_taken, format_cents
from .rules import booking_window


@dataclass(frozen=True)
class SlotOption:
    slot: Slot
    starts_at: datetime  # in the clinic's time zone
    ends_at: datetime
    price_cents: int
    promotion: Promotion | None

    @property
    def price(self) -> str:
        return format_cents(self.price_cents)


@dataclass(frozen=True)
class DayOption:
    day: date
    times: int
    promo_times: int


@dataclass(frozen=True)
class Offer:
    """A promotion as the landing page tells it."""

    promotion: Promotion
    spots_left: int
    is_open: bool

    @property
    def is_sold_out(self) -> bool:
        return self.spots_left == 0

    @property
    def ends_at(self) -> datetime:
        """The moment the offer stops taking bookings, as featured_offer decides `is_open`: when it closes, or
        when its last visit day ends (clinic time), if that comes first (no discounted visit is left then)."""
        promotion = self.promotion
        clinic = promotion.service.clinic
        return min(promotion.closes_at, clinic.local_datetime(promotion.visit_ends_on + timedelta(days=1), time.min))

    @property
    def ends_at_midnight(self) -> bool:
        return timezone.localtime(self.ends_at, self.promotion.service.clinic.tz).time() == time.min

    @property
    def last_day(self) -> date:
        """The last day it can be booked on (clinic time): an offer ending at midnight is booked "by" the day
        before."""
        return timezone.localtime(self.ends_at - timedelta(microseconds=1), self.promotion.service.clinic.tz).date()


def default_service() -> Service | None:
    return Service.objects.filter(is_active=True).select_related("clinic").order_by("pk").first()


def featured_offer(*, now: datetime) -> Offer | None:
    """The promotion to advertise: the active one closing last, with its live spot count."""
    promotion = (
        Promotion.objects.filter(is_active=True, opens_at__lte=now)
        .select_related("service__clinic")
        .annotate(
            taken=bookings_taken(now),
            open_now=Exists(Promotion.objects.open_at(now).filter(pk=OuterRef("pk"))),
        )
        .order_by("-closes_at", "pk")
        .first()
    )
    if promotion is None:
        return None
    return Offer(
        promotion=promotion,
        spots_left=max(promotion.spots - promotion.taken, 0),
        is_open=promotion.open_now and promotion.visits_ahead(now),
    )


def _slots_on(service: Service, now: datetime, first: date, last: date, *, online: bool = True) -> QuerySet:
    """Open slots on the days from `first` to `last` (clinic time), inside the online booking window (at the
    desk: from now on), each with `taken`, its active bookings."""
    clinic = service.clinic
    earliest, latest = booking_window(now) if online else (now, None)
    start = max(clinic.local_datetime(first, time.min), earliest)
    end = clinic.local_datetime(last + timedelta(days=1), time.min)
    end = min(end, latest) if latest else end
    return Slot.objects.filter(service=service, is_blocked=False, starts_at__gte=start, starts_at__lt=end).annotate(
        taken=bookings_taken(now)
    )


def free_slots(service: Service, now: datetime, first: date, last: date, *, online: bool = True) -> list[Slot]:
    """The times patients can book on the days from `first` to `last` (clinic time), earliest first.

    Open slots inside the online booking window, with a seat free, on days the clinic is not closed.
    """
    if not service.is_active:
        return []
    clinic = service.clinic
    closed = clinic.closed_days(first, last)
    slots = _slots_on(service, now, first, last, online=online).filter(taken__lt=F("capacity")).order_by("starts_at")
    return [slot for slot in slots if timezone.localtime(slot.starts_at, clinic.tz).date() not in closed]


def day_is_full(service: Service, day: date, *, now: datetime) -> bool:
    """Whether a day the clinic opens, inside the booking window, has times but none free."""
    if day in service.clinic.closed_days(day, day):
        return False
    slots = _slots_on(service, now, day, day)
    return slots.exists() and not slots.filter(taken__lt=F("capacity")).exists()


def _slot_options(service: Service, now: datetime, first: date, last: date, *, online: bool) -> list[SlotOption]:
    clinic = service.clinic
    promotions = list(
        Promotion.objects.open_at(now)
        .filter(service=service)
        .annotate(taken=bookings_taken(now))
        .order_by("price_cents", "pk")
    )
    options = []
    for slot in free_slots(service, now, first, last, online=online):
        slot.service = service
        starts_at = timezone.localtime(slot.starts_at, clinic.tz)
        promotion = next((p for p in promotions if p.taken < p.spots and p.covers(starts_at.date())), None)
        options.append(
            SlotOption(
                slot=slot,
                starts_at=starts_at,
                ends_at=timezone.localtime(slot.ends_at, clinic.tz),
                price_cents=promotion.price_cents if promotion else service.regular_price_cents,
                promotion=promotion,
            )
        )
    return options


def availability_for_day(*, service: Service, day: date, now: datetime, online: bool = True) -> list[SlotOption]:
    """The bookable times on one day (clinic time), each with the price it would be booked at: online, or at the
    desk (`online=False`: any time from now on)."""
    return _slot_options(service, now, day, day, online=online)


def bookable_days(*, service: Service, now: datetime) -> list[DayOption]:
    """Days with at least one bookable time, up to BOOKING_DAYS_AHEAD."""
    today = timezone.localtime(now, service.clinic.tz).date()
    _, latest = booking_window(now)
    days: dict[date, list[SlotOption]] = {}
    for option in _slot_options(service, now, today, timezone.localtime(latest, service.clinic.tz).date(), online=True):
        days.setdefault(option.starts_at.date(), []).append(option)
    return [
        DayOption(day=day, times=len(options), promo_times=sum(1 for o in options if o.promotion))
        for day, options in days.items()
    ]
