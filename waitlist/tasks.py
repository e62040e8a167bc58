from celery import shared_task

from .services import offers_make


@shared_task
def offer_freed_spots() -> int:
    return offers_make()
