import logging

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .models import Clinic, PractitionerPhoto

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        logger.exception("Health check: database unreachable")
        return False


def _redis_ok() -> bool:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        return bool(client.ping())
    except redis.RedisError:
        logger.exception("Health check: Redis unreachable")
        return False


@never_cache
@require_safe
def healthz(request):
    checks = {"database": _database_ok()}
    if settings.REDIS_URL:
        checks["redis"] = _redis_ok()
    healthy = all(checks.values())
    return JsonResponse({"ok": healthy, **checks}, status=200 if healthy else 503)


@require_safe
def practitioner_photo(request, pk: int, digest: str, width: int):
    """One size of a practitioner's photo (clinic/photos.py). Its URL names the upload's hash, so it never
    changes under that URL: browsers keep it for a year and never ask again."""
    photo = get_object_or_404(
        PractitionerPhoto.objects.only("content_type", "data"), practitioner_id=pk, digest=digest, width=width
    )
    response = HttpResponse(bytes(photo.data), content_type=photo.content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def rate_limited(request, exception=None):
    """django-ratelimit's answer to one request too many (RATELIMIT_VIEW): what to do instead, and our phone."""
    return render(request, "429.html", status=429)


def server_error(request):
    """The 500 page (handler500), with the clinic's phone if the database answers: it may be what failed.

    It claims nothing about what was saved: the error may have come after a booking committed.
    """
    try:
        clinic = Clinic.current()
    except DatabaseError:
        clinic = None
    return HttpResponseServerError(loader.render_to_string("500.html", {"clinic": clinic}))
