"""The site's URLs and one more, whose view fails: the 500 page as a browser meets it (every_page_states.py)."""

from django.urls import path

from config.urls import handler500
from config.urls import urlpatterns as site_urlpatterns

__all__ = ["handler500", "urlpatterns"]


def fault(request):
    raise RuntimeError("A fault on the server, for the 500 page.")


urlpatterns = [*site_urlpatterns, path("test-fault/", fault)]
