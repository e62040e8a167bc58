"""gunicorn.conf.py, read by the Procfile's web process: a process per core, two threads each, bookings
first, private links masked, what the app loaded left out of full garbage collections, and scheme headers
believed only from the proxies the app trusts."""

import gc
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from gunicorn.config import Config
from gunicorn.workers.gthread import ThreadWorker

from clinic.web_worker import BookingsFirstWorker

CONF = Path(settings.BASE_DIR) / "gunicorn.conf.py"


def gunicorn_config(monkeypatch, **environ) -> Config:
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS"):
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


@pytest.mark.parametrize(
    "trusted_proxies, allowed",
    [
        ("", []),  # no proxy: nobody's X-Forwarded-Proto, not even a local process's
        ("1", ["*"]),  # counted proxies: only they can reach gunicorn
        ("10.0.0.2, 10.1.0.0/16", ["10.0.0.2/32", "10.1.0.0/16"]),
    ],
)
def test_gunicorn_believes_scheme_headers_from_the_proxies_the_app_trusts(monkeypatch, trusted_proxies, allowed):
    config = gunicorn_config(monkeypatch, TRUSTED_PROXIES=trusted_proxies)
    assert config.forwarded_allow_ips == allowed


def test_gunicorn_itself_takes_it_over_a_platforms_forwarded_allow_ips():
    environ = {**os.environ, "TRUSTED_PROXIES": "10.0.0.2", "FORWARDED_ALLOW_IPS": "*"}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "clinic.wsgi"],
        cwd=settings.BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^forwarded_allow_ips\s+= (.*)$", result.stdout, re.MULTILINE)[1] == "['10.0.0.2/32']"


def test_gunicorn_refuses_to_start_on_trusted_proxies_the_app_would_refuse(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        gunicorn_config(monkeypatch, TRUSTED_PROXIES="proxy.internal")


def test_a_worker_leaves_what_the_app_loaded_out_of_full_garbage_collections():
    post_worker_init = runpy.run_path(str(CONF))["post_worker_init"]
    gc.unfreeze()
    try:
        post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
