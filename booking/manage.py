"""What a patient can do from their private link: move or cancel the visit, online, until the cut-off.

Both go through the booking services (and their locks); this module adds the
clinic's policy (the cut-off) and settles the money: a full refund on a
cancellation, the difference refunded or asked for on a move.
"""

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from .models import Booking, Payment, Refund
from .payments import (
    PaymentUnavailable,
    checkout_balance,
    checkout_close,
    paid_and_due,
    paid_online_cents,
    payment_refundable_cents,
    refund_request,
)
from .services import BookingError, booking_cancel, booking_reschedule
from .stripe_gateway import payments_online

CANCELLED_ONLINE = "Cancelled by the patient online"


def changes_close_at(booking: Booking) -> datetime:
    """Until when the patient may move or cancel online."""
    return booking.slot.starts_at - timedelta(hours=settings.CANCELLATION_CUTOFF_HOURS)


def can_change(booking: Booking, now: datetime) -> bool:
    return booking.status == Booking.Status.CONFIRMED and now < changes_close_at(booking)


def _past_cutoff(booking: Booking) -> BookingError:
    clinic = booking.slot.service.clinic
    return BookingError(
        ngettext(
            "Online changes close %(hours)s hour before the visit. Please call %(phone)s and we will help.",
            "Online changes close %(hours)s hours before the visit. Please call %(phone)s and we will help.",
            settings.CANCELLATION_CUTOFF_HOURS,
        )
        % {"hours": settings.CANCELLATION_CUTOFF_HOURS, "phone": clinic.phone_display}
    )


def _refund_online(booking: Booking, amount_cents: int, *, reason: str, key: str) -> list[Refund]:
    """Give `amount_cents` back from what was paid online, from the largest payment first."""
    refunds = []
    for payment in sorted(booking.payments.filter(status=Payment.Status.PAID), key=lambda p: -p.amount_cents):
        part = min(amount_cents, payment_refundable_cents(payment))
        if part <= 0:
            continue
        refunds.append(
            refund_request(payment=payment, amount_cents=part, reason=reason, idempotency_key=f"{key}-{payment.pk}")
        )
        amount_cents -= part
        if amount_cents == 0:
            break
    return refunds


def patient_cancel(*, booking: Booking, now: datetime | None = None) -> Booking:
    """Cancel before the cut-off; whatever was paid online is refunded in full."""
    if not can_change(booking, now or timezone.now()):
        raise _past_cutoff(booking)
    with transaction.atomic():
        # The cut-off is checked again under the booking's lock, against the clock read there.
        booking = booking_cancel(
            booking=booking, reason=CANCELLED_ONLINE, now=now, until=changes_close_at(booking), by_patient=True
        )
        # Locked (after the booking, as everywhere) so a refund the front desk makes meanwhile is counted.
        list(Payment.objects.select_for_update().filter(booking=booking, status=Payment.Status.PAID))
        if paid := paid_online_cents(booking):
            _refund_online(booking, paid, reason=CANCELLED_ONLINE, key=f"cancel-{booking.reference}")
    checkout_close(booking=booking)  # a balance left unpaid can no longer be paid
    return booking


@dataclass
class Move:
    booking: Booking
    refunded_cents: int = 0
    balance_cents: int = 0  # still owed; due at the visit unless paid at `checkout_url`
    checkout_url: str = ""


def patient_reschedule(*, booking: Booking, slot_id: int, quoted_price_cents: int, now: datetime | None = None) -> Move:
    """Move the visit before the cut-off, and settle the difference with what was paid online."""
    if not can_change(booking, now or timezone.now()):
        raise _past_cutoff(booking)
    with transaction.atomic():
        booking = booking_reschedule(
            booking=booking,
            slot_id=slot_id,
            quoted_price_cents=quoted_price_cents,
            now=now,
            until=changes_close_at(booking),
            by_patient=True,
        )
        paid, due = paid_and_due(booking)
        move = Move(booking=booking, balance_cents=due)
        if paid > booking.price_cents:
            move.refunded_cents = paid - booking.price_cents
            key = f"move-{booking.reference}-{booking.slot_id}"
            _refund_online(booking, move.refunded_cents, reason="Moved to a time at a lower price", key=key)
    checkout_close(booking=booking)  # an earlier balance is superseded by this one
    if move.balance_cents and payments_online():
        with suppress(PaymentUnavailable):  # then the balance stays due at the visit, as the page says
            move.checkout_url = checkout_balance(
                booking=booking,
                amount_cents=move.balance_cents,
                # Back to the reference page, which only the browser that moved the visit goes on from.
                return_url=settings.PUBLIC_BASE_URL + booking.get_absolute_url(),
            )
    return move
