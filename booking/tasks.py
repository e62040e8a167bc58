"""Thin tasks: each takes ids, and imports the service it calls in its body (payments imports this module
to queue tasks, and Celery loads this module on its own).
"""

import random

from celery import shared_task


@shared_task
def expire_lapsed_holds() -> int:
    from .services import bookings_expire_lapsed_holds

    return bookings_expire_lapsed_holds()


@shared_task(bind=True, acks_late=True, max_retries=5)
def refund_submit(self, refund_id: int) -> None:
    from . import payments

    try:
        payments.refund_send(refund_id=refund_id)
    except payments.TRANSIENT_STRIPE_ERRORS as exc:
        if self.request.is_eager:
            return  # no worker to retry on: the periodic sweep sends it again
        raise self.retry(exc=exc, countdown=random.uniform(0.75, 1.25) * 60 * 2**self.request.retries) from exc


@shared_task
def resend_unsent_refunds() -> int:
    from . import payments

    return payments.refunds_resend_unsent()
