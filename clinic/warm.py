"""What a web process would do on its first requests, done once as it starts (gunicorn.conf.py).

A fresh process builds its map of URLs, compiles each template and pattern the first time it
is used and sets up Celery on its first task: about 100 ms more on the first time shown and on
the first booking, and a rush starts with every process fresh, right after a deploy as well. A
process serves one quick request at a time (clinic/web_worker.py), so the patients queued behind
that first booking would wait for all of it.

The URL maps are built through Django's resolvers (`reverse_dict`, `namespace_dict`), which are
not public API: check this module, and clinic/tests/test_warm.py, when upgrading Django.
"""

import logging
from contextlib import suppress
from pathlib import Path

from django import forms
from django.forms.renderers import get_default_renderer
from django.template import engines
from django.urls import NoReverseMatch, get_resolver, reverse

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Each step is only a head start: one that fails is logged, and left to the first request that needs it."""
    for step in (_url_map, _templates, _booking_form, _task_queue):
        try:
            step()
        except Exception:
            logger.warning("Could not warm up at start: %s", step.__name__, exc_info=True)


def _url_map() -> None:
    """Build the URL map of each namespace, as the first link into it (`{% url %}`, an admin link) would."""

    def build(resolver, namespace: str) -> None:
        names = [key for key in resolver.reverse_dict if isinstance(key, str)]
        if namespace and names:
            with suppress(NoReverseMatch):  # the map is built before the name's arguments are checked
                reverse(f"{namespace}:{names[0]}")
        for child_namespace, (_, child) in resolver.namespace_dict.items():
            build(child, f"{namespace}:{child_namespace}" if namespace else child_namespace)

    build(get_resolver(), "")


def _templates() -> None:
    """Compile the project's templates (pages in the site's engine, texts and emails in "text") and the form
    widgets' into the cached loaders."""
    for engine, kind in ((engines["django"], "*.html"), (engines["text"], "*.txt")):
        for directory in map(Path, engine.engine.dirs):
            for path in directory.rglob(kind):
                engine.get_template(path.relative_to(directory).as_posix())
    renderer = get_default_renderer()
    for path in (Path(forms.__file__).parent / "templates" / "django" / "forms" / "widgets").glob("*.html"):
        renderer.get_template(f"django/forms/widgets/{path.name}")


def _booking_form() -> None:
    """Check a patient's details once: the email and phone checks compile their patterns on first use."""
    from booking.forms import ConfirmBookingForm

    form = ConfirmBookingForm({"name": "A Patient", "email": "patient@example.com", "phone": "(619) 555-0123"})
    form.is_valid()
    str(form)


def _task_queue() -> None:
    """Set up Celery's tasks, result backend and pool of producers (connecting is left to the first task)."""
    from clinic.celery import app

    app.finalize(auto=True)
    app.backend  # noqa: B018 (each is built on first use)
    app.amqp.producer_pool  # noqa: B018
