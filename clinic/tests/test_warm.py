"""clinic/warm.py: a web process does as it starts what its first requests would otherwise do once.

Each test looks at a fresh Python process, as gunicorn starts one (this one has long been warm).
"""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import json, runpy, sys
import django

django.setup()
from django.core.validators import EmailValidator
from django.template import engines
from django.urls.resolvers import get_ns_resolver
from django.utils.functional import empty

from clinic.celery import app
from clinic.warm import warm_up

if sys.argv[1] == "warm":
    warm_up()
elif sys.argv[1] == "gunicorn":  # as a gunicorn worker starts, once the app is loaded
    runpy.run_path("gunicorn.conf.py")["post_worker_init"](worker=None)
kept = {name: sorted(engines[name].engine.template_loaders[0].get_template_cache) for name in ("django", "text")}
print(json.dumps({
    "kept": kept,
    "namespaces": get_ns_resolver.cache_info().currsize,
    "email_check": EmailValidator.domain_regex._wrapped is not empty,
    "tasks": app.finalized,
}))
"""


def fresh_process(mode: str, **environ) -> tuple[dict, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", **environ}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout), done.stderr


def test_a_fresh_process_has_its_pages_messages_links_and_tasks_ready_once_warm():
    cold, _ = fresh_process("cold")
    warm, log = fresh_process("warm")
    pages = {"base.html", "booking/details.html", "booking/review.html", "booking/manage.html"}
    messages = {"emails/confirmation.txt", "emails/clinic_new_booking.txt", "sms/confirmation.txt"}
    assert cold == {"kept": {"django": [], "text": []}, "namespaces": 0, "email_check": False, "tasks": False}
    assert pages <= set(warm["kept"]["django"])
    assert messages <= set(warm["kept"]["text"])
    assert warm["namespaces"] >= 1  # the admin's links (in the clinic's new-booking email), under their own prefix
    assert warm["email_check"] is True  # its pattern compiled
    assert warm["tasks"] is True
    assert "Could not warm up" not in log


def test_gunicorn_warms_each_worker_up_once_the_app_is_loaded():
    assert fresh_process("gunicorn")[0] == fresh_process("warm")[0]


def test_a_step_that_fails_is_logged_and_the_others_still_run(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "broken.html").write_text("{% if %}")
    (tmp_path / "broken_settings.py").write_text(
        "from clinic.settings import *  # noqa: F403\n"
        f"TEMPLATES[0]['DIRS'] = [{str(tmp_path / 'templates')!r}, *TEMPLATES[0]['DIRS']]  # noqa: F405\n"
    )
    warm, log = fresh_process(
        "warm", DJANGO_SETTINGS_MODULE="broken_settings", PYTHONPATH=f"{tmp_path}{os.pathsep}{settings.BASE_DIR}"
    )
    assert "Could not warm up at start: _templates" in log
    assert "TemplateSyntaxError" in log
    assert warm["email_check"] is True
    assert warm["tasks"] is True
