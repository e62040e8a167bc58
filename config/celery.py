"""The Celery app. With REDIS_URL unset, tasks run in-process as they are called."""

import os

from celery import Celery
from celery.signals import beat_init, worker_init
from django.core.exceptions import ImproperlyConfigured

from .startup import refuse_without_a_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _starting(**kwargs):
    """Workers write the patients' private links into their messages: not without a key of the site's own.

    Celery logs and carries on past an exception in a signal handler, so this one exits.
    """
    try:
        refuse_without_a_secret_key()
    except ImproperlyConfigured as exc:
        raise SystemExit(f"ImproperlyConfigured: {exc}") from exc
