"""The one place the Stripe client is built, and the few calls the clinic makes."""

from datetime import datetime

import stripe
from django.conf import settings

from .models import CURRENCY

# The HTTP layer the client uses. None means the stripe library's default;
# tests put a recorder here that answers with recorded Stripe JSON.
HTTP_CLIENT: stripe.HTTPClient | None = None


def payments_online() -> bool:
    """With both Stripe keys set patients pay when booking; otherwise at the visit."""
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=2,
        http_client=HTTP_CLIENT,
    )


def create_checkout_session(
    *,
    idempotency_key: str,
    reference: str,
    amount_cents: int,
    product_name: str,
    customer_email: str,
    expires_at: datetime,
    success_url: str,
    cancel_url: str,
):
    params = {
        "mode": "payment",
        # Cards (and wallets) settle at once; bank debits would outlive the hold by days.
        "payment_method_types": ["card"],
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": CURRENCY,
                    "unit_amount": amount_cents,
                    "product_data": {"name": product_name},
                },
            }
        ],
        "customer_email": customer_email,
        "client_reference_id": reference,
        "metadata": {"booking_reference": reference},
        "payment_intent_data": {"metadata": {"booking_reference": reference}},
        "expires_at": int(expires_at.timestamp()),
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    return client().v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key})


def expire_checkout_session(session_id: str):
    return client().v1.checkout.sessions.expire(session_id)


def retrieve_checkout_session(session_id: str):
    return client().v1.checkout.sessions.retrieve(session_id)


def create_refund(*, payment_intent_id: str, amount_cents: int, idempotency_key: str, reference: str):
    params = {
        "payment_intent": payment_intent_id,
        "amount": amount_cents,
        "metadata": {"booking_reference": reference, "refund_key": idempotency_key},
    }
    return client().v1.refunds.create(params, {"idempotency_key": idempotency_key})


def dashboard_url(kind: str, object_id: str) -> str:
    """A link to the object in Stripe's dashboard (kind: 'payments', 'refunds', 'checkout/sessions')."""
    test = "test/" if settings.STRIPE_SECRET_KEY.startswith(("sk_test_", "rk_test_")) else ""
    return f"https://dashboard.stripe.com/{test}{kind}/{object_id}"
