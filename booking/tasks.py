from celery import shared_task

from .services import bookings_expire_lapsed_holds


@shared_task
def expire_lapsed_holds() -> int:
    return bookings_expire_lapsed_holds()
