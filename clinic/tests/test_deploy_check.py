"""Production settings, as the README documents them, pass Django's deployment checklist; without a secret key of
their own the site does not start."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "book.example.com",
    "PUBLIC_BASE_URL": "https://book.example.com",
    "TRUSTED_PROXIES": "1",
}
HOW_TO_MAKE_ONE = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'


def production_env(**changes) -> dict:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE belongs to the test process, not to production.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**base, **PRODUCTION, **changes}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_with_the_documented_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def start_web_app(env: dict) -> subprocess.CompletedProcess:
    """Load the web app as gunicorn does (Procfile: config.wsgi)."""
    return subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )


def bare_env(**variables) -> dict:
    """A shell with none of the site's settings but these (the test run's own DEBUG=true included)."""
    return {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **variables}


def setting(name: str, env: dict) -> subprocess.CompletedProcess:
    code = f"import django; django.setup(); from django.conf import settings; print(repr(settings.{name}))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_with_debug_unset_and_no_secret_key_the_site_does_not_start_and_says_how_to_make_one():
    result = start_web_app(bare_env())

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set. With DEBUG off, set SECRET_KEY" in result.stderr
    assert HOW_TO_MAKE_ONE in result.stderr


@pytest.mark.parametrize(
    "key, problem",
    [
        ("insecure-development-key-do-not-use-in-production", "SECRET_KEY is the development key published"),
        ("x" * 49, "SECRET_KEY has 49 characters"),
        ("", "SECRET_KEY is not set"),
    ],
    ids=["the-published-development-key", "too-short", "empty"],
)
def test_production_refuses_to_start_on_a_key_that_is_not_its_own(key, problem):
    result = start_web_app(production_env(SECRET_KEY=key))

    assert result.returncode != 0
    assert problem in result.stderr
    assert HOW_TO_MAKE_ONE in result.stderr


def test_without_a_key_the_celery_worker_does_not_start_either():
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"],
        cwd=settings.BASE_DIR,
        env=bare_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set. With DEBUG off, set SECRET_KEY" in result.stderr


def test_without_a_key_commands_that_sign_nothing_still_run_and_nothing_can_sign():
    """Django validates SECRET_KEY when something signs: checking for missing migrations needs no key."""
    assert manage("makemigrations", "--check", "--dry-run", env=bare_env()).stdout == "No changes detected\n"
    signing = "import django; django.setup(); from django.core import signing; signing.dumps(1)"
    result = subprocess.run(
        [sys.executable, "-c", signing], cwd=settings.BASE_DIR, env=bare_env(), capture_output=True, text=True
    )
    assert "ImproperlyConfigured: The SECRET_KEY setting must not be empty." in result.stderr


def test_with_a_key_of_its_own_the_site_starts_with_debug_off():
    key = secrets.token_urlsafe(50)

    assert setting("DEBUG", bare_env(SECRET_KEY=key)).stdout == "False\n"
    assert setting("SECRET_KEY", bare_env(SECRET_KEY=key)).stdout == repr(key) + "\n"


def test_with_debug_on_the_development_key_signs_a_developers_own_site():
    result = setting("SECRET_KEY", bare_env(DEBUG="true"))
    assert result.stdout == "'insecure-development-key-do-not-use-in-production'\n", result.stderr


@pytest.mark.parametrize(
    "trusted_proxies, header",
    [("", None), ("1", ("HTTP_X_FORWARDED_PROTO", "https")), ("10.0.0.2", ("HTTP_X_FORWARDED_PROTO", "https"))],
)
def test_x_forwarded_proto_is_read_only_with_trusted_proxies(trusted_proxies, header):
    result = setting("SECURE_PROXY_SSL_HEADER", production_env(TRUSTED_PROXIES=trusted_proxies))
    assert result.stdout == f"{header!r}\n", result.stderr


def test_trusted_proxies_that_are_not_addresses_stop_the_site_with_a_message_naming_the_setting():
    result = manage("check", env=production_env(TRUSTED_PROXIES="proxy.internal"))

    assert result.returncode != 0
    assert "ImproperlyConfigured: TRUSTED_PROXIES='proxy.internal'" in result.stderr
