"""Money back to the patient: requested here, sent to Stripe by a task, settled by webhook."""

import logging
import uuid
from datetime import datetime, timedelta

import stripe
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinic.queue import task_queue, task_queue_on_commit

from .. import stripe_gateway, tasks
from ..models import Booking, Payment, Refund, format_amount, format_cents
from ..signals import refund_requested

logger = logging.getLogger(__name__)


REFUND_PERMISSION = "booking.refund_payment"  # money back is the manager's alone (assessments/roles.py)


class RefundError(Exception):
    """A refund the front desk asked for cannot be made; the message says why."""


def payment_refundable_cents(payment: Payment) -> int:
    """What can still be refunded: neither our own refunds nor Stripe's reported total may be exceeded."""
    totals = payment.refunds.exclude(status__in=Refund.Status.void()).aggregate(
        ours=Coalesce(Sum("amount_cents"), 0),
        # Stripe's total cannot include refunds it has not been asked for yet.
        unsent=Coalesce(Sum("amount_cents", filter=Q(status=Refund.Status.REQUESTED)), 0),
    )
    return payment.amount_cents - max(totals["ours"], payment.amount_refunded_cents + totals["unsent"])


def paid_online_cents(booking, *, exclude: Payment | None = None) -> int:
    """What the patient has paid online for a booking and not been refunded (or promised back)."""
    payments = booking.payments.filter(status=Payment.Status.PAID)
    if exclude is not None:
        payments = payments.exclude(pk=exclude.pk)
    return sum(payment_refundable_cents(payment) for payment in payments)


def paid_and_due(booking) -> tuple[int, int]:
    """What the patient has paid online and kept, and what is left to pay at the visit on top of it.

    Only a part payment leaves a balance (after a move to a dearer time); with nothing paid
    online the whole price is due at the visit, and with too much paid the rest is refunded.
    """
    paid = paid_online_cents(booking)
    return paid, booking.price_cents - paid if 0 < paid < booking.price_cents else 0


def payment_summary(booking) -> dict:
    """How the booking's price stands, for the pages that show it: paid online, the balance, a refund under way."""
    paid, due = paid_and_due(booking)
    return {
        "paid": format_cents(paid) if paid else "",
        "balance": format_cents(due) if due else "",
        "refunding": booking.status == Booking.Status.CANCELLED
        and Refund.objects.filter(payment__booking=booking).exclude(status__in=Refund.Status.void()).exists(),
    }


# Money that reached the clinic: kept (paid), given back already, or refused (given back as it came).
REFUNDABLE = (Payment.Status.PAID, Payment.Status.REFUNDED, Payment.Status.REFUSED)


def refund_request(
    *,
    payment: Payment,
    reason: str,
    amount_cents: int | None = None,
    idempotency_key: str | None = None,
    notify: bool = True,
) -> Refund:
    """Ask Stripe to refund a paid (or refused) payment, in full or in part, and tell the patient.

    Stripe's answer comes back by webhook. The same idempotency key always means
    the same refund, here and at Stripe.
    """
    key = idempotency_key or f"refund-{uuid.uuid4()}"
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if existing := Refund.objects.filter(idempotency_key=key).first():
            return existing
        if payment.status not in REFUNDABLE or not payment.payment_intent_id:
            raise RefundError("Only a completed payment can be refunded.")
        refundable = payment_refundable_cents(payment)
        amount = refundable if amount_cents is None else amount_cents
        if not 0 < amount <= refundable:
            raise RefundError(
                f"At most {format_amount(refundable, payment.currency)} of this payment can still be refunded."
            )
        refund = Refund.objects.create(payment=payment, amount_cents=amount, reason=reason, idempotency_key=key)
        task_queue_on_commit(tasks.refund_submit, refund.pk)
        refund_requested.send(sender=Refund, refund=refund, notify=notify)
        return refund


# Errors worth another try later: the network, Stripe's own trouble, rate limits.
TRANSIENT_STRIPE_ERRORS = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)


def refund_send(*, refund_id: int) -> None:
    """Ask Stripe for a refund row's money. Safe to run again: the row's key makes Stripe answer the same."""
    refund = Refund.objects.select_related("payment__booking").get(pk=refund_id)
    if refund.status != Refund.Status.REQUESTED:
        return
    try:
        result = stripe_gateway.create_refund(
            payment_intent_id=refund.payment.payment_intent_id,
            amount_cents=refund.amount_cents,
            idempotency_key=refund.idempotency_key,
            reference=refund.payment.booking.reference,
        )
    except TRANSIENT_STRIPE_ERRORS:
        raise
    except stripe.StripeError as exc:
        logger.warning("Stripe refused refund %s: %s", refund.pk, type(exc).__name__)
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.REQUESTED).update(
            status=Refund.Status.FAILED, last_error=str(exc.user_message or exc)[:1000]
        )
        return
    status = result.status if result.status in Refund.Status.values else Refund.Status.PENDING
    Refund.objects.filter(pk=refund.pk, status=Refund.Status.REQUESTED).update(
        stripe_refund_id=result.id, status=status
    )


def refunds_resend_unsent(*, now: datetime | None = None, older_than: timedelta = timedelta(minutes=15)) -> int:
    """Send again the refunds Stripe never accepted (unreachable through every retry). Their keys keep it to one."""
    now = now or timezone.now()
    unsent = list(
        Refund.objects.filter(status=Refund.Status.REQUESTED, created_at__lte=now - older_than).values_list(
            "pk", flat=True
        )
    )
    for queued, refund_id in enumerate(unsent):
        if not task_queue(tasks.refund_submit, refund_id):
            return queued  # the broker is down: the next sweep tries again
    return len(unsent)
