"""What the site checks before it serves a request or runs a task: the web app (wsgi.py) and the Celery
worker and scheduler (celery.py) call it once, as they start."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

HOW_TO_MAKE_ONE = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'


def refuse_without_a_secret_key() -> None:
    """With DEBUG off, a SECRET_KEY of the site's own (config/settings.py says which keys are not)."""
    if settings.SECRET_KEY_PROBLEM:
        raise ImproperlyConfigured(
            f"{settings.SECRET_KEY_PROBLEM}. With DEBUG off, set SECRET_KEY to a secret of at least 50 characters "
            f"of this site's own, made with: {HOW_TO_MAKE_ONE}"
        )
