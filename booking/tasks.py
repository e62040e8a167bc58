import stripe
from celery import shared_task
from django.core.mail import send_mail
from django.template.loader import render_to_string

from . import payments
from .models import Booking
from .services import bookings_expire_lapsed_holds


@shared_task
def expire_lapsed_holds() -> int:
    return bookings_expire_lapsed_holds()


@shared_task(
    autoretry_for=(stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def refund_submit(refund_id: int) -> None:
    payments.refund_send(refund_id=refund_id)


@shared_task
def resend_unsent_refunds() -> int:
    return payments.refunds_resend_unsent()


@shared_task
def notify_late_payment_refunded(booking_id: int) -> None:
    """Tell the patient their payment came too late for the time they chose, and that it is on its way back."""
    booking = Booking.objects.select_related("slot__service__clinic").get(pk=booking_id)
    clinic = booking.slot.service.clinic
    body = render_to_string("emails/late_payment_refunded.txt", {"booking": booking, "clinic": clinic})
    send_mail(
        subject=f"Your payment to {clinic.name} is being refunded",
        message=body,
        from_email=None,
        recipient_list=[booking.email],
    )
