"""Thin tasks: each takes ids, and imports the service it calls in its body (the services import this module
to queue tasks, and Celery loads this module on its own).
"""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_message(message_id: int) -> None:
    from .outbox import message_send  # in the task: the outbox imports this module to queue its tasks

    # Redelivered after a worker died? The row is already claimed, so nothing is sent twice.
    message_send(message_id=message_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def send_messages(self, message_ids: list[int]) -> None:
    """A change's messages (a booking's email, text and clinic email), one task for them all.

    Each is claimed on its own, as send_message claims it. One that fails unexpectedly does not keep
    the others from going out; the task fails after trying them all, and the sweep deals with that one.
    Run in-process (no worker), it runs inside the request that made the change, which must still show
    the patient what was done: there the failure is logged only.
    """
    from .outbox import message_send

    failure = None
    for message_id in message_ids:
        try:
            message_send(message_id=message_id)
        except Exception as exc:
            logger.exception("Message %s could not be sent", message_id)
            failure = failure or exc
    if failure and not self.request.is_eager:
        raise failure


@shared_task
def queue_reminders() -> int:
    from .reminders import reminders_queue

    return reminders_queue()


@shared_task
def send_due_messages() -> int:
    from .outbox import messages_send_due

    return messages_send_due()
