"""Online payment: a Stripe Checkout Session per held booking, what Stripe's webhooks say of it, and refunds."""

from .checkout import (
    PaymentUnavailable,
    checkout_balance,
    checkout_cancel,
    checkout_close,
    checkout_hold,
    checkout_start,
)
from .events import MalformedEvent, stripe_event_process
from .refunds import (
    TRANSIENT_STRIPE_ERRORS,
    RefundError,
    paid_and_due,
    paid_online_cents,
    payment_refundable_cents,
    payment_summary,
    refund_request,
    refund_send,
    refunds_resend_unsent,
)

__all__ = [
    "TRANSIENT_STRIPE_ERRORS",
    "MalformedEvent",
    "PaymentUnavailable",
    "RefundError",
    "checkout_balance",
    "checkout_cancel",
    "checkout_close",
    "checkout_hold",
    "checkout_start",
    "paid_and_due",
    "paid_online_cents",
    "payment_refundable_cents",
    "payment_summary",
    "refund_request",
    "refund_send",
    "refunds_resend_unsent",
    "stripe_event_process",
]
