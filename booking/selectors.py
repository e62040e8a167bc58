"""Reads for the booking pages. Each runs a fixed number of queries, however many slots there are."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from .models import Promotion, Service, Slot, active_q, format_cents
from .pricing import slot_local_date

SLOT_TAKEN = "Sorry, someone has just booked that time. Please choose another."
SLOT_UNAVAILABLE = "Sorry, that time can no longer be booked online. Please choose another."


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


def default_service() -> Service | None:
    return Service.objects.filter(is_active=True).select_related("clinic").order_by("pk").first()


def slot_unavailable_reason(slot: Slot, now: datetime) -> str | None:
    """Why this slot cannot be booked online now, or None when it can."""
    if slot.is_blocked or not slot.service.is_active:
        return SLOT_UNAVAILABLE
    if slot.starts_at < now + timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS):
        return SLOT_UNAVAILABLE
    if slot.service.clinic.is_closed_on(slot_local_date(slot)):
        return SLOT_UNAVAILABLE
    if slot.bookings.active(now).count() >= slot.capacity:
        return SLOT_TAKEN
    return None


def promotion_spots_left(*, promotion: Promotion, now: datetime) -> int:
    return max(promotion.spots - promotion.bookings.active(now).count(), 0)


def featured_offer(*, now: datetime) -> Offer | None:
    """The promotion to advertise: the active one closing last, with its live spot count."""
    promotion = (
        Promotion.objects.filter(is_active=True, opens_at__lte=now)
        .select_related("service__clinic")
        .annotate(taken=Count("bookings", filter=active_q(now, "bookings__")))
        .order_by("-closes_at", "pk")
        .first()
    )
    if promotion is None:
        return None
    today = timezone.localtime(now, promotion.service.clinic.tz).date()
    return Offer(
        promotion=promotion,
        spots_left=max(promotion.spots - promotion.taken, 0),
        is_open=promotion.is_open(now) and today <= promotion.visit_ends_on,
    )


def _day_bounds(service: Service, first: date, last: date) -> tuple[datetime, datetime]:
    clinic = service.clinic
    return clinic.local_datetime(first, time.min), clinic.local_datetime(last + timedelta(days=1), time.min)


def _bookable_slots(service: Service, now: datetime, start: datetime, end: datetime) -> QuerySet:
    earliest = now + timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS)
    return (
        Slot.objects.filter(service=service, is_blocked=False, starts_at__gte=max(start, earliest), starts_at__lt=end)
        .annotate(taken=Count("bookings", filter=active_q(now, "bookings__")))
        .filter(taken__lt=F("capacity"))
        .order_by("starts_at")
    )


def _slot_options(service: Service, now: datetime, first: date, last: date) -> list[SlotOption]:
    start, end = _day_bounds(service, first, last)
    clinic = service.clinic
    closed = set()
    for closure in clinic.closures.filter(starts_on__lte=last, ends_on__gte=first):
        day = closure.starts_on
        while day <= closure.ends_on:
            closed.add(day)
            day += timedelta(days=1)
    promotions = list(
        Promotion.objects.filter(service=service, is_active=True, opens_at__lte=now, closes_at__gt=now)
        .annotate(taken=Count("bookings", filter=active_q(now, "bookings__")))
        .order_by("price_cents", "pk")
    )
    options = []
    for slot in _bookable_slots(service, now, start, end):
        slot.service = service
        starts_at = timezone.localtime(slot.starts_at, clinic.tz)
        if starts_at.date() in closed:
            continue
        promotion = next(
            (p for p in promotions if p.taken < p.spots and p.visit_starts_on <= starts_at.date() <= p.visit_ends_on),
            None,
        )
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


def availability_for_day(*, service: Service, day: date, now: datetime) -> list[SlotOption]:
    """The bookable times on one day (clinic time), each with the price it would be booked at."""
    return _slot_options(service, now, day, day)


def bookable_days(*, service: Service, now: datetime) -> list[DayOption]:
    """Days in the next BOOKING_DAYS_AHEAD with at least one bookable time."""
    today = timezone.localtime(now, service.clinic.tz).date()
    last = today + timedelta(days=settings.BOOKING_DAYS_AHEAD)
    days: dict[date, list[SlotOption]] = {}
    for option in _slot_options(service, now, today, last):
        days.setdefault(option.starts_at.date(), []).append(option)
    return [
        DayOption(day=day, times=len(options), promo_times=sum(1 for o in options if o.promotion))
        for day, options in days.items()
    ]
