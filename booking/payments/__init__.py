"""Online payment: a Stripe Checkout Session per held booking, what Stripe's webhooks say of it, and refunds."""

from .checkout import (
    PaymentUnavailable,
    checkout_balance,
    checkout_cancel,
    checkout_close,
    checkout_hold,
    checkout_start,
)
from .desk import DeskPaymentError, Takings, desk_payment_record, due_cents, takings_for_day, with_paid_cents
from .events import MalformedEvent, stripe_event_process
from .refunds import (
    REFUND_PERMISSION,
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
    "REFUND_PERMISSION",
    "TRANSIENT_STRIPE_ERRORS",
    "DeskPaymentError",
    "MalformedEvent",
    "PaymentUnavailable",
    "RefundError",
    "Takings",
    "checkout_balance",
    "checkout_cancel",
    "checkout_close",
    "checkout_hold",
    "checkout_start",
    "desk_payment_record",
    "due_cents",
    "paid_and_due",
    "paid_online_cents",
    "payment_refundable_cents",
    "payment_summary",
    "refund_request",
    "refund_send",
    "refunds_resend_unsent",
    "stripe_event_process",
    "takings_for_day",
    "with_paid_cents",
]
