from celery import shared_task


@shared_task
def offer_freed_spots() -> int:
    from .services import offers_make  # in the task, as every app's tasks import their service (booking/tasks.py)

    return offers_make()
