"""A real Celery worker on Redis and PostgreSQL: a message whose task arrives twice is sent once."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from notifications.models import Message

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    """A worker process consuming its own queue, against the test database; yields (queue, log file)."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "TWILIO_ACCOUNT_SID": "",
        "TWILIO_AUTH_TOKEN": "",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue, "-l", "INFO"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # this test talks to the real broker
    try:
        yield queue, log
    finally:
        celery_app.conf.task_always_eager = eager
        process.terminate()
        process.wait(timeout=20)


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("task", ["send_message", "send_messages"])
def test_message_whose_task_is_delivered_twice_is_sent_once(worker, task):
    queue, log = worker
    message = Message.objects.create(
        channel=Message.Channel.SMS,
        kind=Message.Kind.CONFIRMATION,
        recipient="+16195550123",
        body="Project Performance PT: see you Mon Nov 30 at 7:00 AM. Reply STOP to opt out.",
        dedupe_key=f"worker-test-{uuid.uuid4()}",
    )

    for _ in range(2):  # the broker hands the same task over twice
        args = [message.pk] if task == "send_message" else [[message.pk]]  # one message, or a booking's list
        celery_app.send_task(f"notifications.tasks.{task}", args=args, queue=queue)

    assert wait_for(lambda: log.read_text().count("succeeded") == 2), log.read_text()[-3000:]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == ("sent", 1, "console")
    assert log.read_text().count("see you Mon Nov 30 at 7:00 AM") == 1
