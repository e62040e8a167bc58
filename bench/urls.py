from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    """The yardstick: the same server, middleware and process, no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("", include("config.urls")),
]
