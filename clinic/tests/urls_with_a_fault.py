"""The site's URLs and one more, whose view fails: the 500 page as a browser meets it (every_page_states.py), at
/test-fault/ in English and /es/test-fault/ in Spanish."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import path

from config.urls import handler500
from config.urls import urlpatterns as site_urlpatterns

__all__ = ["handler500", "urlpatterns"]


def fault(request):
    raise RuntimeError("A fault on the server, for the 500 page.")


urlpatterns = [*site_urlpatterns, *i18n_patterns(path("test-fault/", fault), prefix_default_language=False)]
