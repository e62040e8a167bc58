"""Sending a patient with a held booking to Stripe Checkout, and back."""

import logging
from datetime import timedelta

import stripe
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from .. import stripe_gateway
from ..models import Booking, Payment
from ..services import BookingError, booking_release_hold

logger = logging.getLogger(__name__)

# Stripe's earliest expires_at is 30 minutes after the session is created;
# the extra minute covers the time between the hold and that API call.
CHECKOUT_MIN_HOLD = timedelta(minutes=31)


class PaymentUnavailable(BookingError):
    pass


def checkout_hold() -> timedelta:
    """How long a slot is held while the patient pays: the session expires with it."""
    return max(timedelta(minutes=settings.BOOKING_HOLD_MINUTES), CHECKOUT_MIN_HOLD)


def checkout_start(*, booking: Booking) -> str:
    """The Stripe Checkout page for a held booking. One session per booking, however often this runs."""
    base = settings.PUBLIC_BASE_URL
    with transaction.atomic():
        # A second click waits here for the first, then finds its session; so does Stripe's webhook,
        # which takes this lock before it looks a session up (payments/events.py).
        Booking.objects.select_for_update().filter(pk=booking.pk).first()
        if existing := booking.payments.filter(status=Payment.Status.OPEN).exclude(checkout_url="").first():
            return existing.checkout_url
        try:
            session = stripe_gateway.create_checkout_session(
                idempotency_key=f"checkout-{booking.reference}",
                reference=booking.reference,
                amount_cents=booking.price_cents,
                product_name=booking.slot.service.translated.name,  # on Stripe's page, in the page's language
                customer_email=booking.email or None,
                expires_at=booking.hold_expires_at,
                success_url=base + reverse("booking:checkout_success", args=[booking.reference]),
                cancel_url=base + reverse("booking:checkout_cancel", args=[booking.reference]),
            )
        except stripe.StripeError as exc:
            failure = exc
        else:
            payment, _ = Payment.objects.get_or_create(
                checkout_session_id=session.id,
                defaults={"booking": booking, "checkout_url": session.url, "amount_cents": booking.price_cents},
            )
            return payment.checkout_url
    logger.warning("Checkout for booking %s failed: %s", booking.reference, type(failure).__name__)
    booking_release_hold(booking=booking)
    # The page says what to do next: try again later, or call the clinic to book and pay at the visit.
    raise PaymentUnavailable(
        gettext("We could not reach our payment provider. Nothing was charged, and the time is no longer held for you.")
    ) from failure


BALANCE_SESSION_LIFETIME = timedelta(hours=23)  # Stripe's longest is 24 hours


def checkout_balance(*, booking: Booking, amount_cents: int, return_url: str) -> str:
    """A Checkout page for what a confirmed booking still owes (its visit moved to a dearer time).

    The booking stays confirmed whatever happens here: unpaid, the balance is due at the visit.
    Its row is locked until the payment is recorded, as in checkout_start: the webhook takes the
    same lock, so it never meets this session before the site's record of it.
    """
    with transaction.atomic():
        Booking.objects.select_for_update().filter(pk=booking.pk).first()
        try:
            session = stripe_gateway.create_checkout_session(
                # One session per change of time: moving back and forth never reuses a closed one.
                idempotency_key=f"balance-{booking.reference}-{booking.events.count()}-{amount_cents}",
                reference=booking.reference,
                amount_cents=amount_cents,
                product_name=gettext("%(service)s: balance after a change of time")
                % {"service": booking.slot.service.translated.name},
                customer_email=booking.email or None,
                expires_at=timezone.now() + BALANCE_SESSION_LIFETIME,
                success_url=return_url,
                cancel_url=return_url,
            )
        except stripe.StripeError as exc:
            failure = exc
        else:
            payment, _ = Payment.objects.get_or_create(
                checkout_session_id=session.id,
                defaults={"booking": booking, "checkout_url": session.url, "amount_cents": amount_cents},
            )
            return payment.checkout_url
    logger.warning("Balance checkout for booking %s failed: %s", booking.reference, type(failure).__name__)
    raise PaymentUnavailable(
        gettext("We could not reach our payment provider: the balance is due at the visit.")
    ) from failure


def checkout_cancel(*, booking: Booking) -> bool:
    """The patient left Checkout: close the session and release the slot at once.

    Returns False, releasing nothing, when Stripe cannot confirm the session is closed
    (it may have been paid a moment ago in another tab); the hold then lapses by itself.
    """
    if not checkout_close(booking=booking):
        return False
    booking_release_hold(booking=booking)
    return True


def checkout_close(*, booking: Booking) -> bool:
    """Close the booking's open Checkout sessions, so none can be paid any more.

    False when Stripe cannot confirm that one is closed; it then expires by itself.
    """
    closed = True
    for payment in booking.payments.filter(status=Payment.Status.OPEN):
        try:
            stripe_gateway.expire_checkout_session(payment.checkout_session_id)
        except stripe.StripeError as exc:
            logger.info("Could not expire session for booking %s: %s", booking.reference, type(exc).__name__)
            if not _session_is_expired(payment.checkout_session_id):
                closed = False
                continue
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.OPEN).update(status=Payment.Status.EXPIRED)
    return closed


def _session_is_expired(session_id: str) -> bool:
    try:
        return stripe_gateway.retrieve_checkout_session(session_id).status == "expired"
    except stripe.StripeError:
        return False
