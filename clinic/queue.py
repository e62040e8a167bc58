"""Handing work to the Celery workers without letting a broker outage reach the patient.

Every task queued here has a row behind it that a periodic job picks up again: a message in the outbox
(`messages_send_due`), a refund still requested (`refunds_resend_unsent`), a place freed for the waiting list
(`offer_freed_spots` on beat). So a task the broker (Redis) cannot take is late, not lost, and the request that
made the change answers with what it did: a booking that committed lands the patient on its page. Publishing
gives up within a second or two (the broker's timeouts and CELERY_TASK_PUBLISH_RETRY_POLICY in settings).
"""

import logging
from functools import partial

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What publishing raises when the broker cannot take a task: kombu's OperationalError once its retries are spent,
# or the socket's own error.
BROKER_DOWN = (OperationalError, ConnectionError, TimeoutError)


def task_queue(task: Task, *args) -> bool:
    """Queue `task` now. False, with a warning, when the broker cannot take it: its sweep will do the work."""
    try:
        task.delay(*args)
    except BROKER_DOWN as exc:
        if task.app.conf.task_always_eager:
            raise  # run in this process, with no broker: the error is the task's own
        # The task and the broker's error, not the arguments: nothing about a patient goes in the log.
        logger.warning("Could not queue %s; its periodic sweep will do it: %s", task.name, exc)
        return False
    return True


def task_queue_on_commit(task: Task, *args) -> None:
    """Queue `task` once the current transaction commits (so never before its rows exist), as `task_queue` does."""
    transaction.on_commit(partial(task_queue, task, *args))
