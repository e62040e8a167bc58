"""Online payment: a Stripe Checkout Session per held booking, and what Stripe's webhooks say of it.

The redirect back from Stripe never confirms anything; only a verified webhook
does. Events may come twice and in any order: every handler moves rows only
forward (a paid payment never becomes expired, a confirmed booking never
becomes held), so replays and reorderings end in the same state.
"""

import logging
import uuid
from datetime import datetime, timedelta

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from notifications.services import notify_late_payment_refunded, notify_refund

from . import stripe_gateway, tasks
from .models import Booking, Payment, Refund, StripeEvent
from .services import BookingError, booking_cancel, booking_confirm, booking_release_hold

logger = logging.getLogger(__name__)

# Stripe's earliest expires_at is 30 minutes after the session is created;
# the extra minute covers the time between the hold and that API call.
CHECKOUT_MIN_HOLD = timedelta(minutes=31)
LATE_PAYMENT_REASON = "Paid after the hold lapsed and the time had been taken: refunded in full."


class PaymentUnavailable(BookingError):
    pass


class RefundError(Exception):
    """A refund the front desk asked for cannot be made; the message says why."""


class MalformedEvent(ValueError):
    pass


def checkout_hold() -> timedelta:
    """How long a slot is held while the patient pays: the session expires with it."""
    return max(timedelta(minutes=settings.BOOKING_HOLD_MINUTES), CHECKOUT_MIN_HOLD)


def checkout_start(*, booking: Booking) -> str:
    """The Stripe Checkout page for a held booking. One session per booking, however often this runs."""
    existing = booking.payments.filter(status=Payment.Status.OPEN).exclude(checkout_url="").first()
    if existing:
        return existing.checkout_url
    base = settings.PUBLIC_BASE_URL
    try:
        session = stripe_gateway.create_checkout_session(
            idempotency_key=f"checkout-{booking.reference}",
            reference=booking.reference,
            amount_cents=booking.price_cents,
            product_name=booking.slot.service.name,
            customer_email=booking.email,
            expires_at=booking.hold_expires_at,
            success_url=base + reverse("booking:checkout_success", args=[booking.reference]),
            cancel_url=base + reverse("booking:checkout_cancel", args=[booking.reference]),
        )
    except stripe.StripeError as exc:
        logger.warning("Checkout for booking %s failed: %s", booking.reference, type(exc).__name__)
        booking_release_hold(booking=booking)
        raise PaymentUnavailable(
            "We could not reach our payment provider. Nothing was charged and the time was released; "
            "please try again in a minute."
        ) from exc
    payment, _ = Payment.objects.get_or_create(
        checkout_session_id=session.id,
        defaults={"booking": booking, "checkout_url": session.url, "amount_cents": booking.price_cents},
    )
    return payment.checkout_url


def checkout_cancel(*, booking: Booking) -> None:
    """The patient left Checkout: close the session and release the slot at once."""
    for payment in booking.payments.filter(status=Payment.Status.OPEN):
        try:
            stripe_gateway.expire_checkout_session(payment.checkout_session_id)
        except stripe.StripeError as exc:
            # Already completed or expired; its webhook settles the payment either way.
            logger.info("Could not expire session for booking %s: %s", booking.reference, type(exc).__name__)
        else:
            Payment.objects.filter(pk=payment.pk, status=Payment.Status.OPEN).update(status=Payment.Status.EXPIRED)
    booking_release_hold(booking=booking)


# Webhooks ------------------------------------------------------------------------------------------


def stripe_event_process(event: dict, *, now: datetime | None = None) -> bool:
    """Apply a verified Stripe event once. False when it had been processed before."""
    now = now or timezone.now()
    event_id, event_type = event.get("id"), event.get("type")
    obj = event.get("data", {}).get("object") if isinstance(event.get("data"), dict) else None
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not isinstance(obj, dict):
        raise MalformedEvent("An event needs an id, a type and data.object.")
    with transaction.atomic():
        _, created = StripeEvent.objects.get_or_create(id=event_id, defaults={"type": event_type})
        if created and (handler := EVENT_HANDLERS.get(event_type)):
            handler(obj, now)
    return created


def _payment_for_session(session: dict) -> Payment | None:
    """Our payment for a Checkout Session; recorded now if the event beat our own record of it."""
    session_id, reference = session.get("id"), session.get("client_reference_id")
    if not isinstance(session_id, str):
        return None
    payment = Payment.objects.select_related("booking").filter(checkout_session_id=session_id).first()
    if payment or not isinstance(reference, str):
        return payment
    booking = Booking.objects.filter(reference=reference).first()
    if booking is None:
        return None  # not one of ours
    amount = session.get("amount_total")
    payment, _ = Payment.objects.get_or_create(
        checkout_session_id=session_id,
        defaults={"booking": booking, "amount_cents": amount if isinstance(amount, int) else booking.price_cents},
    )
    return payment


def _payment_intent(obj: dict) -> str | None:
    value = obj.get("payment_intent")
    return value if isinstance(value, str) else None


def on_session_completed(session: dict, now: datetime) -> None:
    payment = _payment_for_session(session)
    if payment is None:
        return
    if session.get("payment_status") == "paid":
        _payment_received(payment, _payment_intent(session), now)
    else:
        # A delayed method (bank debit): the money is on its way; async_payment_* says how it went.
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.OPEN).update(
            status=Payment.Status.PROCESSING, payment_intent_id=_payment_intent(session), updated_at=now
        )


def on_async_payment_succeeded(session: dict, now: datetime) -> None:
    if payment := _payment_for_session(session):
        _payment_received(payment, _payment_intent(session), now)


def on_async_payment_failed(session: dict, now: datetime) -> None:
    if payment := _payment_for_session(session):
        booking_release_hold(booking=payment.booking, now=now)
        Payment.objects.filter(pk=payment.pk, status__in=[Payment.Status.OPEN, Payment.Status.PROCESSING]).update(
            status=Payment.Status.FAILED, updated_at=now
        )


def on_session_expired(session: dict, now: datetime) -> None:
    if payment := _payment_for_session(session):
        booking_release_hold(booking=payment.booking, now=now)
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.OPEN).update(
            status=Payment.Status.EXPIRED, updated_at=now
        )


def _payment_received(payment: Payment, payment_intent_id: str | None, now: datetime) -> None:
    """Money arrived: confirm the booking if its seat (and spot) can still be had, else give it back."""
    try:
        booking_confirm(booking=payment.booking, now=now)
        confirmed = True
    except BookingError:
        confirmed = False
    Payment.objects.filter(pk=payment.pk).exclude(status__in=[Payment.Status.PAID, Payment.Status.REFUNDED]).update(
        status=Payment.Status.PAID, paid_at=now, updated_at=now
    )
    if payment_intent_id:
        Payment.objects.filter(pk=payment.pk, payment_intent_id__isnull=True).update(
            payment_intent_id=payment_intent_id
        )
    refund_key = f"late-payment-{payment.checkout_session_id}"
    if confirmed or Refund.objects.filter(idempotency_key=refund_key).exists():
        return
    booking = booking_cancel(booking=payment.booking, reason=LATE_PAYMENT_REASON, notify=False, now=now)
    payment.refresh_from_db()
    refund_request(payment=payment, reason=LATE_PAYMENT_REASON, idempotency_key=refund_key, notify=False)
    notify_late_payment_refunded(booking)


def on_charge_refunded(charge: dict, now: datetime) -> None:
    payment_intent_id = _payment_intent(charge)
    refunded = charge.get("amount_refunded")
    if not payment_intent_id or not isinstance(refunded, int):
        return
    payment = Payment.objects.select_for_update().filter(payment_intent_id=payment_intent_id).first()
    if payment is None:
        return
    payment.amount_refunded_cents = max(payment.amount_refunded_cents, refunded)
    if payment.amount_refunded_cents >= payment.amount_cents:
        payment.status = Payment.Status.REFUNDED
    payment.save(update_fields=["amount_refunded_cents", "status", "updated_at"])


def on_refund_event(refund: dict, now: datetime) -> None:
    payment_intent_id = _payment_intent(refund)
    payment = Payment.objects.filter(payment_intent_id=payment_intent_id).first() if payment_intent_id else None
    if payment:
        _record_refund(refund, payment)


# How far along a refund is. Stripe can still fail a refund after it succeeded, never the reverse.
REFUND_PROGRESS = {
    Refund.Status.REQUESTED: 0,
    Refund.Status.PENDING: 1,
    Refund.Status.REQUIRES_ACTION: 1,
    Refund.Status.SUCCEEDED: 2,
    Refund.Status.FAILED: 3,
    Refund.Status.CANCELED: 3,
}


def _record_refund(data: dict, payment: Payment) -> None:
    """Match Stripe's refund to ours (by id, else by the key we sent in its metadata) and keep its status."""
    refund_id, status, amount = data.get("id"), data.get("status"), data.get("amount")
    if not isinstance(refund_id, str) or status not in Refund.Status.values or not isinstance(amount, int):
        return
    refund = Refund.objects.filter(stripe_refund_id=refund_id).first()
    if refund is None:
        key = (data.get("metadata") or {}).get("refund_key")
        refund = Refund.objects.filter(idempotency_key=key, payment=payment).first() if key else None
    if refund is None:
        # Made in Stripe's dashboard: keep a record of it all the same.
        Refund.objects.create(
            payment=payment,
            amount_cents=amount,
            reason="Refunded in the Stripe dashboard",
            idempotency_key=f"stripe-{refund_id}",
            stripe_refund_id=refund_id,
            status=status,
        )
        return
    refund.stripe_refund_id = refund_id
    if REFUND_PROGRESS[status] >= REFUND_PROGRESS[refund.status]:  # an older event never moves it back
        refund.status = status
    refund.save(update_fields=["stripe_refund_id", "status", "updated_at"])


EVENT_HANDLERS = {
    "checkout.session.completed": on_session_completed,
    "checkout.session.async_payment_succeeded": on_async_payment_succeeded,
    "checkout.session.async_payment_failed": on_async_payment_failed,
    "checkout.session.expired": on_session_expired,
    "charge.refunded": on_charge_refunded,
    "refund.created": on_refund_event,
    "refund.updated": on_refund_event,
}


# Refunds -------------------------------------------------------------------------------------------


def payment_refundable_cents(payment: Payment) -> int:
    """What can still be refunded: neither our own refunds nor Stripe's reported total may be exceeded."""
    live = payment.refunds.exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED])
    ours = live.aggregate(total=Sum("amount_cents"))["total"] or 0
    # Stripe's total cannot include refunds it has not been asked for yet.
    unsent = live.filter(status=Refund.Status.REQUESTED).aggregate(total=Sum("amount_cents"))["total"] or 0
    return payment.amount_cents - max(ours, payment.amount_refunded_cents + unsent)


def refund_request(
    *,
    payment: Payment,
    reason: str,
    amount_cents: int | None = None,
    idempotency_key: str | None = None,
    notify: bool = True,
) -> Refund:
    """Ask Stripe to refund a paid payment, in full or in part, and tell the patient.

    Stripe's answer comes back by webhook. The same idempotency key always means
    the same refund, here and at Stripe.
    """
    key = idempotency_key or f"refund-{uuid.uuid4()}"
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if existing := Refund.objects.filter(idempotency_key=key).first():
            return existing
        if payment.status not in (Payment.Status.PAID, Payment.Status.REFUNDED) or not payment.payment_intent_id:
            raise RefundError("Only a completed payment can be refunded.")
        refundable = payment_refundable_cents(payment)
        amount = refundable if amount_cents is None else amount_cents
        if not 0 < amount <= refundable:
            raise RefundError(f"At most {refundable / 100:.2f} USD of this payment can still be refunded.")
        refund = Refund.objects.create(payment=payment, amount_cents=amount, reason=reason, idempotency_key=key)
        tasks.refund_submit.delay_on_commit(refund.pk)
        if notify:
            notify_refund(refund)
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
    for refund_id in unsent:
        tasks.refund_submit.delay(refund_id)
    return len(unsent)
