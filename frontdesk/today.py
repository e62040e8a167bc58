"""Today: the admin's home. The day as a calendar (a column per practitioner, a row per time), or the week.

Each visit shows its patient, phone, status (a hold with the time it lapses), price tag, paid or due, and the
intake's state; each time opens its own page (block or unblock it, or book a caller into it), each visit its
panel (visit.py). The page runs the same few queries however many visits the day has.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Prefetch, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from assessments.models import Intake
from booking.models import Booking, BookingEvent, Slot, active_q, format_cents
from booking.payments import with_paid_cents
from clinic.models import EARLIEST_DAY, LATEST_DAY, Clinic

SPANS = ("day", "week")
BADGES = {
    Booking.Status.HELD: "held",
    Booking.Status.CONFIRMED: "confirmed",
    Booking.Status.ATTENDED: "attended",
    Booking.Status.NO_SHOW: "no-show",
}
ANYONE = "Anyone"


def may_see_today(user) -> bool:
    return user.has_perm("booking.view_slot")


def may_see_patients(user) -> bool:
    return user.has_perm("booking.view_booking")


@dataclass
class Visit:
    booking: Booking
    url: str
    badge: str
    held_until: datetime | None  # when a hold lapses, for a visit that is held
    promo: bool
    paid: bool
    due_cents: int
    intake_done: bool
    flagged: bool
    flag_review: str  # who reviewed the red flag, when and what came of it; "" while none holds
    moved_online: bool = False

    @property
    def status(self) -> str:
        return self.booking.get_status_display()

    @property
    def due(self) -> str:
        return format_cents(self.due_cents)


@dataclass
class Time:
    """A slot as the calendar draws it: its visits, and what a click on it does."""

    slot: Slot
    visits: list[Visit]
    booked: int
    url: str

    @property
    def is_open(self) -> bool:
        return not self.slot.is_blocked and self.booked < self.slot.capacity


@dataclass
class Row:
    at: time
    cells: list[list[Time]]  # one list per column (usually one time, or none)


@dataclass
class Calendar:
    columns: list[str]
    rows: list[Row] = field(default_factory=list)

    def visits(self):
        return (v for row in self.rows for cell in row.cells for t in cell for v in t.visits)

    @property
    def visit_count(self) -> int:
        return sum(1 for _ in self.visits())


def clinic_tz(clinic: Clinic | None):
    return clinic.tz if clinic else timezone.get_default_timezone()


def parse_day(raw: str) -> date | None:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def times_between(*, clinic: Clinic | None, start: date, days: int, now: datetime):
    """The slots of `days` clinic days from `start`, each with its active bookings, paid amount and intake."""
    tz = clinic_tz(clinic)
    first = datetime.combine(start, time.min, tzinfo=tz)
    after = datetime.combine(start + timedelta(days=days), time.min, tzinfo=tz)
    # The intake's progress and review only: the answers are never read into memory here.
    booked = Booking.objects.filter(active_q(now)).select_related("intake__red_flag_review__reviewed_by")
    bookings = with_paid_cents(booked.defer(*Intake.answers_of("intake"))).order_by("created_at", "pk")
    slots = (
        Slot.objects.filter(starts_at__gte=first, starts_at__lt=after)
        .select_related("service__clinic", "practitioner")
        .prefetch_related(Prefetch("bookings", queryset=bookings, to_attr="active_bookings"))
        .order_by("starts_at", "practitioner__name", "service__name", "pk")
    )
    return slots.filter(service__clinic=clinic) if clinic else slots


@dataclass
class OnlineChange:
    """A cancellation or a move the patient made through their private link, touching the days shown."""

    event: BookingEvent
    url: str

    @property
    def is_move(self) -> bool:
        return self.event.moved_from_id is not None


def online_changes(*, clinic: Clinic | None, start: date, days: int, site_name: str) -> list[OnlineChange]:
    """Patients' own cancellations and moves into or out of these days, latest first: one query."""
    tz = clinic_tz(clinic)
    first = datetime.combine(start, time.min, tzinfo=tz)
    after = datetime.combine(start + timedelta(days=days), time.min, tzinfo=tz)
    events = (
        BookingEvent.objects.filter(online=True)
        .filter(
            Q(booking__slot__starts_at__gte=first, booking__slot__starts_at__lt=after)
            | Q(moved_from__starts_at__gte=first, moved_from__starts_at__lt=after)
        )
        .select_related("booking__slot", "moved_from")
        .order_by("-at", "-pk")[:50]
    )
    return [OnlineChange(e, reverse(f"{site_name}:frontdesk_visit", args=[e.booking_id])) for e in events]


def visit_of(booking: Booking, site_name: str) -> Visit:
    intake = getattr(booking, "intake", None)
    return Visit(
        booking=booking,
        url=reverse(f"{site_name}:frontdesk_visit", args=[booking.pk]),
        badge=BADGES.get(booking.status, "other"),
        held_until=booking.hold_expires_at if booking.status == Booking.Status.HELD else None,
        promo=booking.promotion_id is not None,
        paid=booking.paid_cents >= booking.price_cents,
        due_cents=max(0, booking.price_cents - booking.paid_cents),
        intake_done=bool(intake and intake.completed_at),
        flagged=booking.review_before_visit,
        flag_review=intake.red_flag_reviewed if intake else "",
    )


def time_of(slot: Slot, site_name: str, *, show_patients: bool) -> Time:
    visits = [visit_of(b, site_name) for b in slot.active_bookings] if show_patients else []
    url = reverse(f"{site_name}:frontdesk_time", args=[slot.pk])
    return Time(slot=slot, visits=visits, booked=len(slot.active_bookings), url=url)


def day_calendar(slots, tz, site_name: str, *, show_patients: bool) -> Calendar:
    """A column per practitioner (and one for times that name no one), a row per start time."""
    times = [time_of(slot, site_name, show_patients=show_patients) for slot in slots]
    names = sorted({t.slot.practitioner.name for t in times if t.slot.practitioner})
    columns = names + ([ANYONE] if any(t.slot.practitioner is None for t in times) else [])
    index = {name: n for n, name in enumerate(columns)}
    rows: dict[time, Row] = {}
    for t in times:
        at = timezone.localtime(t.slot.starts_at, tz).time()
        row = rows.setdefault(at, Row(at=at, cells=[[] for _ in columns]))
        row.cells[index[t.slot.practitioner.name if t.slot.practitioner else ANYONE]].append(t)
    return Calendar(columns=columns, rows=[rows[at] for at in sorted(rows)])


def week_calendar(slots, tz, days: list[date], site_name: str, *, show_patients: bool) -> Calendar:
    """A column per day, a row per start time; a cell holds every practitioner's time then."""
    columns = [f"{day:%a %b} {day.day}" for day in days]
    index = {day: n for n, day in enumerate(days)}
    rows: dict[time, Row] = {}
    for slot in slots:
        local = timezone.localtime(slot.starts_at, tz)
        row = rows.setdefault(local.time(), Row(at=local.time(), cells=[[] for _ in columns]))
        row.cells[index[local.date()]].append(time_of(slot, site_name, show_patients=show_patients))
    return Calendar(columns=columns, rows=[rows[at] for at in sorted(rows)])


def today_url(site_name: str, day: date, span: str) -> str:
    return f"{reverse(f'{site_name}:index')}?{urlencode({'day': day.isoformat(), 'span': span})}"


def today(site, request):
    """The admin's home: the day's calendar (or the week's), for every member of staff who runs or reads it."""
    if not may_see_today(request.user):
        return None
    clinic = Clinic.current()
    tz = clinic_tz(clinic)
    now = timezone.now()
    this_day = timezone.localdate(now, timezone=tz)

    raw_day = request.GET.get("day", "").strip()
    day = this_day
    if raw_day:
        day = parse_day(raw_day)
        if day is None:
            messages.error(request, f"“{raw_day[:40]}” is not a day we can show (use YYYY-MM-DD). Showing today.")
            day = this_day
    span = request.GET.get("span") or "day"
    if span not in SPANS:
        messages.error(request, f"“{span[:20]}” is not a view we know (day or week). Showing one day.")
        span = "day"

    show_patients = may_see_patients(request.user)
    if span == "week":
        start = day - timedelta(days=day.weekday())
        days = [start + timedelta(days=n) for n in range(7)]
        slots = times_between(clinic=clinic, start=start, days=7, now=now)
        calendar = week_calendar(slots, tz, days, site.name, show_patients=show_patients)
        title = f"Week of {start:%A, %B} {start.day}, {start.year}"
        step = timedelta(days=7)
    else:
        start, days = day, [day]
        slots = times_between(clinic=clinic, start=day, days=1, now=now)
        calendar = day_calendar(slots, tz, site.name, show_patients=show_patients)
        title = f"{'Today, ' if day == this_day else ''}{day:%A, %B} {day.day}, {day.year}"
        step = timedelta(days=1)
    closed = clinic.closed_days(days[0], days[-1]) if clinic else set()
    changes = online_changes(clinic=clinic, start=days[0], days=len(days), site_name=site.name) if show_patients else []
    moved_in = {c.event.booking_id for c in changes if c.is_move}
    for v in calendar.visits():
        v.moved_online = v.booking.pk in moved_in
    context = {
        **site.each_context(request),
        "title": title,
        "calendar": calendar,
        "span": span,
        "day": day,
        "days": days,
        "closed": sorted(closed),
        "online_changes": changes,
        "clinic_tz": tz,
        "show_patients": show_patients,
        "may_book": request.user.has_perm("booking.change_booking"),
        "previous_url": today_url(site.name, max(start - step, EARLIEST_DAY), span),
        "today_url": today_url(site.name, this_day, span),
        "next_url": today_url(site.name, min(start + step, LATEST_DAY), span),
        "day_url": today_url(site.name, day, "day"),
        "week_url": today_url(site.name, day, "week"),
        "earliest": EARLIEST_DAY,
        "latest": LATEST_DAY,
    }
    return TemplateResponse(request, "admin/frontdesk/today.html", context)
