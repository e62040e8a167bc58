"""The public availability pages (the offer, the days, a day's times), kept for a moment in Django's cache.

Under a rush the same few pages are asked for hundreds of times a second. Each is kept
rendered in the cache (Redis in production, shared by every process on every machine; local
memory without Redis) for PAGE_CACHE_SECONDS, beside the version of the availability it was
rendered at. Anything that changes what they show (a booking made, cancelled or moved, a hold
released or lapsed, slots, offers, opening hours or closures changed by staff) raises that
version once its transaction commits: from then on every process renders the pages afresh, so
a count is never behind a committed change, and a change rolled back costs nothing. The version
is read before the page is rendered, so a page rendered from data older than a change is always
kept under an older version than the one that change sets.

A hold also lapses by the clock, with no write: the pages show that within PAGE_CACHE_SECONDS, by this
process's clock (a kept page carries the time it is fresh until; the cache's own expiry only frees memory).
The booking itself always counts again under its row locks (booking/services.py): a page is
only ever shown, never trusted.

Only a page that is the same for every visitor is kept (no cookie set, no session read, no CSRF
token), and browsers are told not to keep any, so a patient's own reload is as fresh as the
server's. With the cache unreachable the pages are rendered for each visitor, and a warning
logged: slower, never down.
"""

import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

from clinic.cache import CACHE_DOWN

from .stripe_gateway import payments_online

logger = logging.getLogger(__name__)

VERSION_KEY = "availability-pages:version"


def availability_page(view):
    @wraps(view)
    def page(request, *args, **kwargs):
        if request.method == "GET" and settings.PAGE_CACHE_SECONDS > 0:
            response = kept_or_rendered(request, lambda: view(request, *args, **kwargs))
        else:
            response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return page


def kept_or_rendered(request, render) -> HttpResponse:
    # The pages read no query string (a tracking parameter is the same page); what else changes them is
    # the payment mode (online or at the visit), which a deploy may switch.
    key = f"availability-page:{'online' if payments_online() else 'at-visit'}:{request.path}"
    try:
        kept = cache.get_many([VERSION_KEY, key])
        version = kept.get(VERSION_KEY)
        if version is None:
            # First page since the cache was emptied: a version no page was ever kept under.
            version = cache.get_or_set(VERSION_KEY, time.time_ns, timeout=None)
    except CACHE_DOWN as exc:
        logger.warning("Availability page rendered uncached (the cache is unreachable): %s", type(exc).__name__)
        return render()
    page = kept.get(key)
    if page is not None and page[0] == version and page[1] > time.time():
        return HttpResponse(page[2], headers=page[3])
    fresh_until = time.time() + settings.PAGE_CACHE_SECONDS
    response = render()
    if same_for_everyone(request, response):
        try:
            page = (version, fresh_until, response.content, dict(response.items()))
            cache.set(key, page, settings.PAGE_CACHE_SECONDS)
        except CACHE_DOWN as exc:
            logger.warning("Availability page not kept (the cache is unreachable): %s", type(exc).__name__)
    return response


def same_for_everyone(request, response) -> bool:
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Vary")
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.accessed)
    )


def forget_pages(**kwargs) -> None:
    """A change to what the pages show: every process renders them afresh once it is committed (at once
    outside a transaction; never, if it is rolled back). Connected to the models' saves and deletes and to
    capacity_freed (booking/apps.py)."""
    transaction.on_commit(version_raise)


def version_raise() -> None:
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version yet (an emptied cache): any new one leaves every kept page behind
            cache.set(VERSION_KEY, time.time_ns(), timeout=None)
    except CACHE_DOWN as exc:
        # Pages kept until now may be shown until they expire, PAGE_CACHE_SECONDS at most.
        logger.warning("Availability pages not renewed (the cache is unreachable): %s", type(exc).__name__)
