"""gunicorn.conf.py, read by the Procfile's web process: a process per core, two threads each, bookings
first, private links masked, what the app loaded left out of full garbage collections."""

import gc
import os
import runpy
from pathlib import Path

from django.conf import settings
from gunicorn.config import Config
from gunicorn.workers.gthread import ThreadWorker

from clinic.web_worker import BookingsFirstWorker

CONF = Path(settings.BASE_DIR) / "gunicorn.conf.py"


def gunicorn_config(monkeypatch, **environ) -> Config:
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    config = Config()
    for name, value in runpy.run_path(str(CONF)).items():
        if name in config.settings:
            config.set(name, value)  # gunicorn validates each setting as it would from the file
    return config


def test_by_default_a_threaded_worker_per_core(monkeypatch):
    config = gunicorn_config(monkeypatch)
    assert config.worker_class is BookingsFirstWorker
    assert issubclass(config.worker_class, ThreadWorker)
    assert config.workers == len(os.sched_getaffinity(0))
    assert config.threads == 2
    assert config.logger_class.__name__ == "PrivateLinksMasked"


def test_the_environment_sets_workers_and_threads(monkeypatch):
    config = gunicorn_config(monkeypatch, WEB_CONCURRENCY="5", GUNICORN_THREADS="4")
    assert (config.workers, config.threads) == (5, 4)


def test_an_empty_setting_keeps_the_default(monkeypatch):
    config = gunicorn_config(monkeypatch, WEB_CONCURRENCY="", GUNICORN_THREADS="")
    assert (config.workers, config.threads) == (len(os.sched_getaffinity(0)), 2)


def test_a_worker_leaves_what_the_app_loaded_out_of_full_garbage_collections():
    post_worker_init = runpy.run_path(str(CONF))["post_worker_init"]
    gc.unfreeze()
    try:
        post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
