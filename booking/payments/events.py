"""Stripe's webhook events, applied once each, in whatever order they come.

The redirect back from Stripe never confirms anything; only these events do,
and only for a Checkout Session this site made for that booking, paid in full
in the clinic's currency. Any other money that names one of our bookings is
refused: recorded, refunded in full, and reported to the clinic. Every handler
moves rows only forward (a paid payment never becomes expired, a confirmed
booking never becomes held, a refused payment never confirms), so replays and
reorderings end in the same state.
"""

import logging

from django.db import transaction
from django.utils import timezone

from ..models import Booking, Payment, Refund, StripeEvent, format_amount
from ..services import BookingBusy, BookingError, booking_cancel, booking_confirm, booking_release_hold
from ..signals import late_payment_refunded, payment_refused
from .fields import MAX_ID, MalformedEvent, cents, mapping, text
from .refunds import RefundError, paid_online_cents, refund_request

logger = logging.getLogger(__name__)

LATE_PAYMENT_REASON = "Paid after the hold lapsed and the time had been taken: refunded in full."
DUPLICATE_PAYMENT_REASON = "A second payment for a booking already paid: refunded in full."
NOT_OURS = "Session not created by this site"
REFERENCES_DISAGREE = "References disagree"


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


def _session_payment(session: dict) -> tuple[Payment | None, Booking | None, str]:
    """The payment a Checkout Session stands for, the booking it is money for, and why it confirms nothing.

    The reason is "" for a session this site made for that booking (its id is on record, and
    client_reference_id and metadata both name the booking), in the clinic's currency, for at least
    what was due. The bookings the session names are locked first: checkout_start holds that lock
    until its payment row commits, so no event arrives before the site's own record of a session.

    A session naming none of our bookings gives no booking: the clinic's Stripe account may take
    other payments (a gift card, another system), and refunding those would be wrong.
    """
    session_id = text(session, "id")
    client_reference = text(session, "client_reference_id", max_length=64)
    metadata_reference = text(mapping(session, "metadata"), "booking_reference", max_length=64)
    named = [reference for reference in (client_reference, metadata_reference) if reference]
    locked = {b.reference: b for b in Booking.objects.select_for_update().filter(reference__in=named).order_by("pk")}
    if not session_id:
        return None, None, ""  # nothing to record it, or refund it, by
    payment = Payment.objects.select_related("booking").filter(checkout_session_id=session_id).first()
    if payment is None:
        booking = next((locked[reference] for reference in named if reference in locked), None)
        return None, booking, NOT_OURS if booking else ""
    if payment.status == Payment.Status.REFUSED:
        return payment, payment.booking, payment.refusal_reason  # refused once, refused for good
    if not client_reference == metadata_reference == payment.booking.reference:
        return payment, payment.booking, REFERENCES_DISAGREE
    currency, amount = text(session, "currency", max_length=3), cents(session, "amount_total")
    if currency != payment.currency or amount is None or amount < payment.amount_cents:
        paid = format_amount(amount, currency) if amount is not None and currency else "an amount it did not state"
        return payment, payment.booking, f"Paid {paid}; {format_amount(payment.amount_cents, payment.currency)} was due"
    return payment, payment.booking, ""


def _known_payment(session: dict) -> Payment | None:
    """The payment for a session this site made; None for any other."""
    session_id = text(session, "id")
    return (
        Payment.objects.select_related("booking").filter(checkout_session_id=session_id).first() if session_id else None
    )


def on_session_completed(session: dict) -> None:
    if session.get("payment_status") == "paid":
        _session_paid(session)
        return
    payment, _, refusal = _session_payment(session)
    if payment and not refusal:
        # A delayed method: async_payment_succeeded or _failed will say how it went.
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.OPEN).update(
            status=Payment.Status.PROCESSING, payment_intent_id=text(session, "payment_intent")
        )


def on_async_payment_succeeded(session: dict) -> None:
    _session_paid(session)


def on_async_payment_failed(session: dict) -> None:
    if payment := _known_payment(session):
        booking_release_hold(booking=payment.booking)
        Payment.objects.filter(pk=payment.pk, status__in=[Payment.Status.OPEN, Payment.Status.PROCESSING]).update(
            status=Payment.Status.FAILED
        )


def on_session_expired(session: dict) -> None:
    if payment := _known_payment(session):
        booking_release_hold(booking=payment.booking)
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.OPEN).update(status=Payment.Status.EXPIRED)


def _session_paid(session: dict) -> None:
    payment, booking, refusal = _session_payment(session)
    if booking is None:
        return
    if refusal:
        _payment_refuse(session, payment=payment, booking=booking, reason=refusal)
    else:
        _payment_received(payment, text(session, "payment_intent"))


def _payment_refuse(session: dict, *, payment: Payment | None, booking: Booking, reason: str) -> None:
    """Money that confirms nothing: recorded, refunded in full, and reported to the clinic.

    The booking is left as it is: a hold stays held until it lapses or is paid as asked, and a
    confirmed visit stays confirmed. The refund's key is the session's, so the same session in
    another event is refunded once.
    """
    session_id = text(session, "id")
    key = f"refused-payment-{session_id}"
    if Refund.objects.filter(idempotency_key=key).exists():
        return
    if payment is not None and payment.status in (Payment.Status.PAID, Payment.Status.REFUNDED):
        # Kept (or given back) on an earlier event for this very session: staff decide.
        logger.error("A later event for paid session of payment %s does not match it: %s", payment.pk, reason)
        return
    intent = text(session, "payment_intent")
    if intent and Payment.objects.filter(payment_intent_id=intent).exclude(checkout_session_id=session_id).exists():
        intent = None  # another payment's money: never refunded from here
    refused = {
        "status": Payment.Status.REFUSED,
        "refusal_reason": reason[:200],
        "amount_cents": cents(session, "amount_total") or 0,
        "currency": (text(session, "currency", max_length=3) or "").lower(),
        "payment_intent_id": intent,
        "paid_at": timezone.now(),
    }
    if payment is None:
        payment, _ = Payment.objects.get_or_create(
            checkout_session_id=session_id, defaults={"booking": booking, **refused}
        )
    elif payment.status != Payment.Status.REFUSED:
        Payment.objects.filter(pk=payment.pk).update(**refused)
    payment = Payment.objects.select_related("booking").get(pk=payment.pk)
    refund = None
    try:
        refund = refund_request(payment=payment, reason=f"Refused: {reason}"[:200], idempotency_key=key, notify=False)
    except RefundError as exc:
        # No readable amount, or no payment Stripe could refund: the clinic's email says to do it by hand.
        logger.error("Could not refund refused payment %s automatically: %s", payment.pk, exc)
    payment_refused.send(sender=Payment, payment=payment, refund=refund)


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
        late_payment_refunded.send(sender=Booking, booking=booking)


def on_charge_refunded(charge: dict) -> None:
    payment_intent_id, refunded = text(charge, "payment_intent"), cents(charge, "amount_refunded")
    if not payment_intent_id or refunded is None:
        return
    payment = Payment.objects.select_for_update().filter(payment_intent_id=payment_intent_id).first()
    if payment is None:
        return
    payment.amount_refunded_cents = max(payment.amount_refunded_cents, refunded)
    # A refused payment stays refused: it never counted as paid, and its name already says refunded.
    if payment.amount_refunded_cents >= payment.amount_cents and payment.status != Payment.Status.REFUSED:
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
