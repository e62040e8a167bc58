"""gunicorn.conf.py, read by the Procfile's web process: gunicorn's stock threaded worker, two processes per core
and one more, each replaced now and then, private links masked, and scheme headers believed only from the proxies
the app trusts."""

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


def test_by_default_gunicorns_threaded_worker_two_processes_per_core_and_one_more(monkeypatch):
    config = gunicorn_config(monkeypatch)
    assert config.worker_class_str == "gthread"
    assert config.worker_class.__module__.startswith("gunicorn.")  # gunicorn's own worker, nothing of ours
    assert config.workers == 2 * len(os.sched_getaffinity(0)) + 1
    assert config.threads == 2
    assert config.logger_class.__name__ == "PrivateLinksMasked"


def test_each_process_is_replaced_after_about_1200_requests_staggered_and_a_silent_one_after_30_seconds(monkeypatch):
    config = gunicorn_config(monkeypatch)
    assert (config.max_requests, config.max_requests_jitter) == (1200, 120)
    assert config.timeout == 30


def test_the_environment_sets_workers_and_threads(monkeypatch):
    config = gunicorn_config(monkeypatch, WEB_CONCURRENCY="5", GUNICORN_THREADS="4")
    assert (config.workers, config.threads) == (5, 4)


def test_an_empty_setting_keeps_the_default(monkeypatch):
    config = gunicorn_config(monkeypatch, WEB_CONCURRENCY="", GUNICORN_THREADS="")
    assert (config.workers, config.threads) == (2 * len(os.sched_getaffinity(0)) + 1, 2)


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
        [sys.executable, "-m", "gunicorn", "--print-config", "config.wsgi"],
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
