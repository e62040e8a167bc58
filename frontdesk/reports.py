"""How a promotion sold: for the owner's dashboard. Durations in words, and the charts drawn here as numbers for
an inline SVG (no script: the Content-Security-Policy allows none)."""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from booking.models import Booking, Payment, Promotion
from waitlist.models import WaitlistEntry

CHART_WIDTH, CHART_HEIGHT = 640, 240  # the sales chart's box, in SVG units
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 48, 600, 16, 192  # its plotting area inside the box
BAR_LEFT, BAR_WIDTH, BAR_HEIGHT, BAR_GAP = 230, 330, 22, 12  # the "after the offer" bars


def duration_words(span: timedelta) -> str:
    """A duration as staff say it: "45 min", "17 h 28 min", "2 days 3 h" (rounded down; seconds never shown)."""
    minutes = max(int(span.total_seconds()), 0) // 60
    if minutes == 0:
        return "under a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"


@dataclass(frozen=True)
class Sale:
    booking: Booking
    after: timedelta  # from the offer opening to the sale
    booked_again: bool  # the patient went on to book a later visit at the regular rate

    @property
    def after_words(self) -> str:
        return "before the offer opened" if self.after < timedelta(0) else duration_words(self.after)

    @property
    def when_words(self) -> str:
        """ "45 min after the offer opened", or "before the offer opened" (a visit booked at the desk early)."""
        return self.after_words if self.after < timedelta(0) else f"{self.after_words} after the offer opened"


@dataclass(frozen=True)
class Mark:
    """One step of the sales chart: the sale that took the count to `count`."""

    x: float
    y: float
    count: int
    label: str


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y: float
    width: float

    @property
    def text_y(self) -> float:
        return self.y + BAR_HEIGHT * 0.7

    @property
    def count_x(self) -> float:
        return BAR_LEFT + self.width + 8


@dataclass(frozen=True)
class SalesChart:
    steps: str  # an SVG polyline: the count of spots sold against time since the offer opened
    marks: list[Mark]
    spots_y: float  # where the line for "every spot sold" is
    start_label: str
    middle_label: str
    end_label: str
    description: str
    bars: list[Bar]
    bars_height: float
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = PLOT_LEFT
    right: int = PLOT_RIGHT
    top: int = PLOT_TOP
    bottom: int = PLOT_BOTTOM
    bar_left: int = BAR_LEFT
    bar_height: int = BAR_HEIGHT

    @property
    def middle(self) -> float:
        return (self.left + self.right) / 2

    @property
    def plot_width(self) -> int:
        return self.right - self.left

    @property
    def plot_height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class PromotionReport:
    promotion: Promotion
    tz: zoneinfo.ZoneInfo
    sold: int
    held: int
    left: int
    sales: list[Sale]
    sold_out_after: timedelta | None
    booked_cents: int
    collected_cents: int
    attended: int
    no_shows: int
    booked_again: int  # patients who booked at the offer price, then a later visit at the regular rate
    waiting: int  # on the offer's waiting list now (waiting, or offered a spot)
    joined_waitlist: int  # who ever joined it
    chart: SalesChart

    @property
    def sold_out_words(self) -> str:
        return duration_words(self.sold_out_after) if self.sold_out_after is not None else ""

    @property
    def visits(self) -> int:
        return self.attended + self.no_shows

    @property
    def show_up_rate(self) -> float | None:
        return self.attended / self.visits if self.visits else None

    @property
    def booked_dollars(self) -> str:
        return f"{self.booked_cents / 100:,.2f}"

    @property
    def collected_dollars(self) -> str:
        return f"{self.collected_cents / 100:,.2f}"


def _sold_at(booking: Booking) -> datetime:
    return booking.confirmed_at or booking.created_at


def promotion_report(*, promotion: Promotion, now: datetime | None = None) -> PromotionReport:
    """Four queries, however many sold: the bookings (each with whether the patient came back), the payments,
    the waiting list, and the clinic (for its time zone)."""
    now = now or timezone.now()
    tz = promotion.service.clinic.tz
    later_regular_visit = Booking.objects.filter(
        Q(email_canonical=OuterRef("email_canonical")) | Q(phone=OuterRef("phone")),
        promotion__isnull=True,
        status__in=Booking.Status.consuming(),
        slot__starts_at__gt=OuterRef("slot__starts_at"),
    )
    bookings = list(promotion.bookings.active(now).annotate(booked_again=Exists(later_regular_visit)))
    sold = sorted((b for b in bookings if b.status in Booking.Status.consuming()), key=lambda b: (_sold_at(b), b.pk))
    sales = [Sale(booking=b, after=_sold_at(b) - promotion.opens_at, booked_again=b.booked_again) for b in sold]
    payments = Payment.objects.filter(
        booking__promotion=promotion, status__in=[Payment.Status.PAID, Payment.Status.REFUNDED]
    )
    totals = payments.aggregate(paid=Sum("amount_cents"), refunded=Sum("amount_refunded_cents"))
    waitlist = WaitlistEntry.objects.filter(promotion=promotion).aggregate(
        joined=Count("pk"), waiting=Count("pk", filter=Q(status__in=WaitlistEntry.Status.live()))
    )
    sold_out = len(sales) >= promotion.spots > 0
    sold_out_after = sales[promotion.spots - 1].after if sold_out else None
    attended = sum(b.status == Booking.Status.ATTENDED for b in sold)
    booked_again = sum(sale.booked_again for sale in sales)
    return PromotionReport(
        promotion=promotion,
        tz=tz,
        sold=len(sold),
        held=len(bookings) - len(sold),
        left=max(promotion.spots - len(bookings), 0),
        sales=sales,
        sold_out_after=sold_out_after,
        booked_cents=sum(b.price_cents for b in sold),
        collected_cents=(totals["paid"] or 0) - (totals["refunded"] or 0),
        attended=attended,
        no_shows=sum(b.status == Booking.Status.NO_SHOW for b in sold),
        booked_again=booked_again,
        waiting=waitlist["waiting"],
        joined_waitlist=waitlist["joined"],
        chart=_chart(
            promotion,
            sales,
            now=now,
            tz=tz,
            sold_out_after=sold_out_after,
            after=[
                ("Spots sold", len(sales)),
                ("Showed up", attended),
                ("Booked again at the regular rate", booked_again),
                ("On the waiting list now", waitlist["waiting"]),
            ],
        ),
    )


def _chart(
    promotion: Promotion,
    sales: list[Sale],
    *,
    now: datetime,
    tz: zoneinfo.ZoneInfo,
    sold_out_after: timedelta | None,
    after: list[tuple[str, int]],
) -> SalesChart:
    """The count of spots sold against time, from the offer opening to the sell-out (or to now, or its close):
    a step up and a mark at each sale, so a rush in the first minutes still shows as steps."""
    if sold_out_after is not None:
        span, end_label = sold_out_after, f"sold out in {duration_words(sold_out_after)}"
    elif now < promotion.opens_at:
        opens = timezone.localtime(promotion.opens_at, tz)
        span, end_label = timedelta(0), f"opens {opens:%b} {opens.day}, {opens:%-I:%M %p}"
    elif now >= promotion.closes_at:
        span = promotion.closes_at - promotion.opens_at
        end_label = f"closed after {duration_words(span)}"
    else:
        span, end_label = now - promotion.opens_at, f"now (open {duration_words(now - promotion.opens_at)})"
    latest = max((sale.after for sale in sales), default=timedelta(0))
    seconds = max(span.total_seconds(), latest.total_seconds(), 1)
    top = max(promotion.spots, len(sales), 1)

    def x(after: timedelta) -> float:
        return round(PLOT_LEFT + min(max(after.total_seconds() / seconds, 0), 1) * (PLOT_RIGHT - PLOT_LEFT), 1)

    def y(count: int) -> float:
        return round(PLOT_BOTTOM - count / top * (PLOT_BOTTOM - PLOT_TOP), 1)

    points = [(float(PLOT_LEFT), y(0))]
    marks = []
    for count, sale in enumerate(sales, start=1):
        points += [(x(sale.after), y(count - 1)), (x(sale.after), y(count))]
        label = f"Spot {count}: {sale.booking.patient_name}, {sale.when_words}"
        marks.append(Mark(x=x(sale.after), y=y(count), count=count, label=label))
    points.append((float(PLOT_RIGHT), y(len(sales))))

    opened = timezone.localtime(promotion.opens_at, tz)
    most = max([promotion.spots, *(count for _, count in after), 1])
    bars = [
        Bar(label=label, count=count, y=index * (BAR_HEIGHT + BAR_GAP), width=round(count / most * BAR_WIDTH, 1))
        for index, (label, count) in enumerate(after)
    ]
    return SalesChart(
        steps=" ".join(f"{px},{py}" for px, py in points),
        marks=marks,
        spots_y=y(promotion.spots),
        start_label=f"opened {opened:%b} {opened.day}, {opened:%-I:%M %p}",
        middle_label=f"after {duration_words(timedelta(seconds=seconds / 2))}",
        end_label=end_label,
        description=(
            f"{len(sales)} of {promotion.spots} spots sold; " + (end_label if sales else "no sales yet") + "."
        ),
        bars=bars,
        bars_height=len(bars) * (BAR_HEIGHT + BAR_GAP),
    )
