import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_message(message_id: int) -> None:
    # Redelivered after a worker died? The row is already claimed, so nothing is sent twice.
    services.message_send(message_id=message_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def send_messages(self, message_ids: list[int]) -> None:
    """A change's messages (a booking's email, text and clinic email), one task for them all.

    Each is claimed on its own, as send_message claims it. One that fails unexpectedly does not keep
    the others from going out; the task fails after trying them all, and the sweep deals with that one.
    Run in-process (no worker), it runs inside the request that made the change, which must still show
    the patient what was done: there the failure is logged only.
    """
    failure = None
    for message_id in message_ids:
        try:
            services.message_send(message_id=message_id)
        except Exception as exc:
            logger.exception("Message %s could not be sent", message_id)
            failure = failure or exc
    if failure and not self.request.is_eager:
        raise failure


@shared_task
def queue_reminders() -> int:
    return services.reminders_queue()


@shared_task
def send_due_messages() -> int:
    return services.messages_send_due()
