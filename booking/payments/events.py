"""Stripe's webhook events, applied once each, in whatever order they come.

The redirect back from Stripe never confirms anything; only these events do.
Every handler moves rows only forward (a paid payment never becomes expired, a
confirmed booking never becomes held), so replays and reorderings end in the
same state.
"""

import logging

from django.db import transaction
from django.utils import timezone

from notifications.services import notify_late_payment_refunded

from ..models import Booking, Payment, Refund, StripeEvent
from ..services import BookingBusy, BookingError, booking_cancel, booking_confirm, booking_release_hold
from .fields import MAX_ID, MalformedEvent, cents, mapping, text
from .refunds import RefundError, paid_online_cents, refund_request

logger = logging.getLogger(__name__)

LATE_PAYMENT_REASON = "Paid after the hold lapsed and the time had been taken: refunded in full."
DUPLICATE_PAYMENT_REASON = "A second payment for a booking already paid: refunded in full."


def stripe_event_process(event: dict) -> bool:
    """Apply a verified Stripe event once. False when it had been processed before.

    Raises MalformedEvent for an event without an id, a type or an object, and
    BookingBusy when the database was too busy to decide (Stripe should retry).
    """
    event_id, event_type = text(event, "id"), text(event, "type", max_length=100)
    obj = mapping(mapping(event, "data"), "object")
    if not event_id or not event_type or not obj:
        raise MalformedEvent("An event needs an id, a type and data.object.")
    with transaction.atomic():
        _, created = StripeEvent.objects.get_or_create(id=event_id, defaults={"type": event_type})
        if created and (handler := EVENT_HANDLERS.get(event_type)):
            handler(obj)
    return created


def _payment_for_session(session: dict) -> Payment | None:
    """Our payment for a Checkout Session; recorded now if the event beat our own record of it."""
    session_id, reference = text(session, "id"), text(session, "client_reference_id", max_length=64)
    if not session_id:
        return None
    payment = Payment.objects.select_related("booking").filter(checkout_session_id=session_id).first()
    if payment or not reference:
        return payment
    booking = Booking.objects.filter(reference=reference).first()
    if booking is None:
        return None  # not one of ours
    payment, _ = Payment.objects.get_or_create(
        checkout_session_id=session_id,
        defaults={"booking": booking, "amount_cents": cents(session, "amount_total") or booking.price_cents},
    )
    return payment


def on_session_completed(session: dict) -> None:
    if not (payment := _payment_for_session(session)):
        return
    if session.get("payment_status") == "paid":
        _payment_received(payment, text(session, "payment_intent"))
    else:
        # A delayed method: async_payment_succeeded or _failed will say how it went.
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.OPEN).update(
            status=Payment.Status.PROCESSING, payment_intent_id=text(session, "payment_intent")
        )


def on_async_payment_succeeded(session: dict) -> None:
    if payment := _payment_for_session(session):
        _payment_received(payment, text(session, "payment_intent"))


def on_async_payment_failed(session: dict) -> None:
    if payment := _payment_for_session(session):
        booking_release_hold(booking=payment.booking)
        Payment.objects.filter(pk=payment.pk, status__in=[Payment.Status.OPEN, Payment.Status.PROCESSING]).update(
            status=Payment.Status.FAILED
        )


def on_session_expired(session: dict) -> None:
    if payment := _payment_for_session(session):
        booking_release_hold(booking=payment.booking)
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.OPEN).update(status=Payment.Status.EXPIRED)


def _payment_received(payment: Payment, payment_intent_id: str | None) -> None:
    """Money arrived: confirm the booking if its seat (and spot) can still be had, else give it back."""
    try:
        # The time is read after the locks: a hold may lapse while this waits for them.
        booking_confirm(booking=payment.booking)
        refusal = ""
    except BookingBusy:
        raise  # nothing decided: Stripe sends the event again
    except BookingError:
        refusal = LATE_PAYMENT_REASON
    if not refusal and paid_online_cents(payment.booking, exclude=payment) >= payment.booking.price_cents:
        refusal = DUPLICATE_PAYMENT_REASON  # a balance owed after a move to a dearer time is no duplicate
    now = timezone.now()
    Payment.objects.filter(pk=payment.pk).exclude(status__in=[Payment.Status.PAID, Payment.Status.REFUNDED]).update(
        status=Payment.Status.PAID, paid_at=now
    )
    if payment_intent_id:
        Payment.objects.filter(pk=payment.pk, payment_intent_id__isnull=True).update(
            payment_intent_id=payment_intent_id
        )
    refund_key = (
        "late-payment-" if refusal == LATE_PAYMENT_REASON else "duplicate-payment-"
    ) + payment.checkout_session_id
    if not refusal or Refund.objects.filter(idempotency_key=refund_key).exists():
        return
    try:
        refund_request(payment=payment, reason=refusal, idempotency_key=refund_key, notify=False)
    except RefundError as exc:
        # Already refunded some other way, or Stripe gave no payment to refund: staff see it in the admin.
        logger.error("Could not refund payment %s automatically: %s", payment.pk, exc)
        return
    if refusal == LATE_PAYMENT_REASON:
        booking = booking_cancel(booking=payment.booking, reason=refusal, notify=False)
        notify_late_payment_refunded(booking)


def on_charge_refunded(charge: dict) -> None:
    payment_intent_id, refunded = text(charge, "payment_intent"), cents(charge, "amount_refunded")
    if not payment_intent_id or refunded is None:
        return
    payment = Payment.objects.select_for_update().filter(payment_intent_id=payment_intent_id).first()
    if payment is None:
        return
    payment.amount_refunded_cents = max(payment.amount_refunded_cents, refunded)
    if payment.amount_refunded_cents >= payment.amount_cents:
        payment.status = Payment.Status.REFUNDED
    payment.save(update_fields=["amount_refunded_cents", "status", "updated_at"])


# How far along a refund is. Stripe can still fail a refund after it succeeded, never the reverse.
REFUND_PROGRESS = {
    Refund.Status.REQUESTED: 0,
    Refund.Status.PENDING: 1,
    Refund.Status.REQUIRES_ACTION: 1,
    Refund.Status.SUCCEEDED: 2,
    Refund.Status.FAILED: 3,
    Refund.Status.CANCELED: 3,
}


def on_refund_event(data: dict) -> None:
    """refund.created / refund.updated: match Stripe's refund to ours (by id, else by our key) and keep its status."""
    payment_intent_id = text(data, "payment_intent")
    refund_id, status, amount = text(data, "id", max_length=MAX_ID - 7), data.get("status"), cents(data, "amount")
    if not payment_intent_id or not refund_id or status not in Refund.Status.values or amount is None:
        return
    payment = Payment.objects.filter(payment_intent_id=payment_intent_id).first()
    if payment is None:
        return
    refund = Refund.objects.select_for_update().filter(stripe_refund_id=refund_id).first()
    if refund is None and (key := text(mapping(data, "metadata"), "refund_key", max_length=100)):
        refund = Refund.objects.select_for_update().filter(idempotency_key=key, payment=payment).first()
    if refund is None:
        # Made in Stripe's dashboard: keep a record of it all the same.
        Refund.objects.get_or_create(
            stripe_refund_id=refund_id,
            defaults={
                "payment": payment,
                "amount_cents": amount,
                "reason": "Refunded in the Stripe dashboard",
                "idempotency_key": f"stripe-{refund_id}",
                "status": status,
            },
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
