"""How a promotion sold: for the owner's dashboard."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from booking.models import Booking, Payment, Promotion

CHART_WIDTH, CHART_HEIGHT = 480, 160


@dataclass(frozen=True)
class Sale:
    booking: Booking
    after: timedelta  # from the offer opening to the sale


@dataclass(frozen=True)
class PromotionReport:
    promotion: Promotion
    sold: int
    held: int
    left: int
    sales: list[Sale]
    sold_out_after: timedelta | None
    booked_cents: int
    collected_cents: int
    attended: int
    no_shows: int
    chart_points: str  # an SVG polyline of sales over time

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


def promotion_report(*, promotion: Promotion, now: datetime | None = None) -> PromotionReport:
    now = now or timezone.now()
    bookings = list(promotion.bookings.active(now).order_by("confirmed_at", "created_at"))
    sold = [b for b in bookings if b.status in Booking.Status.consuming()]
    sales = [Sale(booking=b, after=(b.confirmed_at or b.created_at) - promotion.opens_at) for b in sold]
    payments = Payment.objects.filter(
        booking__promotion=promotion, status__in=[Payment.Status.PAID, Payment.Status.REFUNDED]
    )
    totals = payments.aggregate(paid=Sum("amount_cents"), refunded=Sum("amount_refunded_cents"))
    return PromotionReport(
        promotion=promotion,
        sold=len(sold),
        held=len(bookings) - len(sold),
        left=max(promotion.spots - len(bookings), 0),
        sales=sales,
        sold_out_after=sales[promotion.spots - 1].after if len(sales) >= promotion.spots > 0 else None,
        booked_cents=sum(b.price_cents for b in sold),
        collected_cents=(totals["paid"] or 0) - (totals["refunded"] or 0),
        attended=sum(b.status == Booking.Status.ATTENDED for b in sold),
        no_shows=sum(b.status == Booking.Status.NO_SHOW for b in sold),
        chart_points=_chart(promotion, sales, now),
    )


def _chart(promotion: Promotion, sales: list[Sale], now: datetime) -> str:
    """Cumulative sales against time since the offer opened, scaled to the chart's box."""
    span = max((min(now, promotion.closes_at) - promotion.opens_at).total_seconds(), 1)
    top = max(promotion.spots, len(sales), 1)
    points = [(0.0, 0)]
    for count, sale in enumerate(sales, start=1):
        x = min(max(sale.after.total_seconds() / span, 0), 1)
        points += [(x, count - 1), (x, count)]
    points.append((1.0, len(sales)))
    return " ".join(f"{x * CHART_WIDTH:.1f},{CHART_HEIGHT - y / top * CHART_HEIGHT:.1f}" for x, y in points)
