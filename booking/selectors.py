"""Reads for the booking pages. Each runs a fixed number of queries, however many slots there are."""

import calendar
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
    promo_price_cents: int | None = None  # the lowest discounted price that day

    @property
    def promo_price(self) -> str:
        return format_cents(self.promo_price_cents) if self.promo_price_cents is not None else ""


@dataclass(frozen=True)
class CalendarDay:
    """A day of a month's table: bookable (`option`), closed by the clinic, or neither (past, beyond the
    booking horizon, no free time)."""

    day: date
    option: DayOption | None = None
    closed: bool = False


@dataclass(frozen=True)
class CalendarMonth:
    first: date
    weeks: list[list[CalendarDay | None]]  # Sunday first; None: a day of the month before or after


@dataclass(frozen=True)
class BookingCalendar:
    months: list[CalendarMonth]
    days: list[DayOption]

    @property
    def next_available(self) -> DayOption | None:
        return self.days[0] if self.days else None

    @property
    def next_discounted(self) -> DayOption | None:
        return next((d for d in self.days if d.promo_times), None)


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


def free_slots(
    service: Service, now: datetime, first: date, last: date, *, online: bool = True, closed: set[date] | None = None
) -> list[Slot]:
    """The times patients can book on the days from `first` to `last` (clinic time), earliest first.

    Open slots inside the online booking window, with a seat free, on days the clinic is not closed
    (`closed`: those days, when the caller has read them already).
    """
    if not service.is_active:
        return []
    clinic = service.clinic
    closed = clinic.closed_days(first, last) if closed is None else closed
    slots = _slots_on(service, now, first, last, online=online).filter(taken__lt=F("capacity")).order_by("starts_at")
    return [slot for slot in slots if timezone.localtime(slot.starts_at, clinic.tz).date() not in closed]


def day_is_full(service: Service, day: date, *, now: datetime) -> bool:
    """Whether a day the clinic opens, inside the booking window, has times but none free."""
    if day in service.clinic.closed_days(day, day):
        return False
    slots = _slots_on(service, now, day, day)
    return slots.exists() and not slots.filter(taken__lt=F("capacity")).exists()


def _slot_options(
    service: Service, now: datetime, first: date, last: date, *, online: bool, closed: set[date] | None = None
) -> list[SlotOption]:
    clinic = service.clinic
    promotions = list(
        Promotion.objects.open_at(now)
        .filter(service=service)
        .annotate(taken=bookings_taken(now))
        .order_by("price_cents", "pk")
    )
    options = []
    for slot in free_slots(service, now, first, last, online=online, closed=closed):
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


def _horizon(service: Service, now: datetime) -> tuple[date, date]:
    """Today and the last day a time can be booked online (clinic time)."""
    _, latest = booking_window(now)
    return timezone.localtime(now, service.clinic.tz).date(), timezone.localtime(latest, service.clinic.tz).date()


def bookable_days(*, service: Service, now: datetime, closed: set[date] | None = None) -> list[DayOption]:
    """Days with at least one bookable time, up to BOOKING_DAYS_AHEAD (`closed`: the clinic's closed days in
    that time, when the caller has read them already)."""
    today, last = _horizon(service, now)
    days: dict[date, list[SlotOption]] = {}
    for option in _slot_options(service, now, today, last, online=True, closed=closed):
        days.setdefault(option.starts_at.date(), []).append(option)
    return [
        DayOption(
            day=day,
            times=len(options),
            promo_times=sum(1 for o in options if o.promotion),
            promo_price_cents=min((o.price_cents for o in options if o.promotion), default=None),
        )
        for day, options in days.items()
    ]


def booking_calendar(*, service: Service, now: datetime) -> BookingCalendar:
    """The bookable days as month tables, from this month to the month of the booking horizon."""
    today, last = _horizon(service, now)
    closed = service.clinic.closed_days(today, last)
    days = bookable_days(service=service, now=now, closed=closed)
    by_day = {option.day: option for option in days}
    weeks_of = calendar.Calendar(firstweekday=calendar.SUNDAY).monthdatescalendar
    months = []
    month = today.replace(day=1)
    while month <= last:
        weeks = [
            [
                CalendarDay(day=day, option=by_day.get(day), closed=day in closed) if day.month == month.month else None
                for day in week
            ]
            for week in weeks_of(month.year, month.month)
        ]
        months.append(CalendarMonth(first=month, weeks=weeks))
        month = (month + timedelta(days=31)).replace(day=1)
    return BookingCalendar(months=months, days=days)
