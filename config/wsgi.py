"""The web app, as gunicorn loads it (Procfile): it does not start without a SECRET_KEY of its own."""

import os

from django.core.wsgi import get_wsgi_application

from .startup import refuse_without_a_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
refuse_without_a_secret_key()
