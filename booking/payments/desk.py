"""Money taken at the front desk: cash, the card terminal or another way, recorded against the visit.

What a visit has been paid is what the patient paid online and kept (refunds.paid_online_cents) plus what
the desk took; what is due is the rest of its price. The desk cannot take more than is due.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ..models import Booking, DeskPayment, Payment, format_cents
from .refunds import paid_online_cents


class DeskPaymentError(Exception):
    """A payment the desk cannot record; the message says why."""


def with_paid_cents(bookings: QuerySet) -> QuerySet:
    """Each booking annotated with `paid_cents`: online payments kept (less what went back) and the desk's, in
    the same query.

    Online, a refund being made counts once Stripe reports it (Payment.amount_refunded_cents); the visit's own
    page (paid_online_cents) also counts one only requested.
    """
    online = (
        Payment.objects.filter(booking=OuterRef("pk"), status=Payment.Status.PAID)
        .order_by()
        .values("booking")
        .annotate(total=Sum(F("amount_cents") - F("amount_refunded_cents")))
        .values("total")
    )
    desk = (
        DeskPayment.objects.filter(booking=OuterRef("pk"))
        .order_by()
        .values("booking")
        .annotate(total=Sum("amount_cents"))
        .values("total")
    )
    return bookings.annotate(
        paid_cents=Coalesce(Subquery(online, output_field=IntegerField()), Value(0))
        + Coalesce(Subquery(desk, output_field=IntegerField()), Value(0))
    )


def due_cents(booking: Booking) -> int:
    """What is left to pay for the visit."""
    desk = booking.desk_payments.aggregate(total=Coalesce(Sum("amount_cents"), 0))["total"]
    return max(0, booking.price_cents - paid_online_cents(booking) - desk)


def desk_payment_record(*, booking: Booking, method: str, amount_cents: int, user=None) -> DeskPayment:
    """Record money the desk took. Two staff recording at once are counted one after the other."""
    if method not in DeskPayment.Method.values:
        raise DeskPaymentError("Choose how the patient paid: cash, card terminal or other.")
    if amount_cents <= 0:
        raise DeskPaymentError("Enter the amount the patient paid.")
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status in (Booking.Status.CANCELLED, Booking.Status.EXPIRED):
            raise DeskPaymentError(f"This booking is {booking.get_status_display().lower()}: nothing is due.")
        due = due_cents(booking)
        if due == 0:
            raise DeskPaymentError("This visit is paid in full.")
        if amount_cents > due:
            raise DeskPaymentError(f"{format_cents(amount_cents)} is more than the {format_cents(due)} due.")
        return DeskPayment.objects.create(booking=booking, method=method, amount_cents=amount_cents, taken_by=user)


@dataclass(frozen=True)
class Takings:
    """A day's money, as the end-of-day report lists it."""

    day: date
    desk: list[DeskPayment]
    online: list[Payment]

    def method_cents(self, method: str) -> int:
        return sum(p.amount_cents for p in self.desk if p.method == method)

    @property
    def online_cents(self) -> int:
        return sum(p.amount_cents for p in self.online)

    @property
    def total_cents(self) -> int:
        return sum(p.amount_cents for p in self.desk) + self.online_cents

    @property
    def online_total(self) -> str:
        return format_cents(self.online_cents)

    @property
    def total(self) -> str:
        return format_cents(self.total_cents)

    @property
    def by_method(self) -> list[tuple[str, str]]:
        return [(label, format_cents(self.method_cents(value))) for value, label in DeskPayment.Method.choices]


def takings_for_day(day: date, tz) -> Takings:
    """Every payment taken on a clinic day: at the desk, and online (by when Stripe said it was paid)."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    desk = DeskPayment.objects.filter(taken_at__gte=start, taken_at__lt=end).select_related("booking__slot", "taken_by")
    online = Payment.objects.filter(
        paid_at__gte=start, paid_at__lt=end, status__in=[Payment.Status.PAID, Payment.Status.REFUNDED]
    ).select_related("booking__slot")
    return Takings(day=day, desk=list(desk.order_by("taken_at", "pk")), online=list(online.order_by("paid_at")))
