"""The public availability pages (the offer, the days, a day's times), kept for a moment under a rush.

Each process keeps a rendered page for PAGE_CACHE_SECONDS and forgets them all
the moment it changes a booking, a slot or an offer; so a count or a free time
may lag a change made in another process by that long, never more. The booking
itself always counts again under its row locks. Only a page that is the same
for every visitor is kept (no cookie set, no session read), and browsers are
told not to keep any, so a patient's own reload is as fresh as the server's.
"""

import time
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

MAX_PAGES = 500  # a bound on memory: day pages are one per date asked for

_kept: dict[str, tuple[float, bytes, dict]] = {}  # path -> (kept until, content, headers)
_rendering: set[str] = set()  # paths one thread is rendering afresh; the others serve the kept copy meanwhile


def availability_page(view):
    @wraps(view)
    def page(request, *args, **kwargs):
        now, path = time.time(), request.get_full_path()
        kept = _kept.get(path) if request.method == "GET" else None
        if kept and (kept[0] > now or path in _rendering):
            response = HttpResponse(kept[1], headers=kept[2])
        else:
            _rendering.add(path)
            try:
                response = view(request, *args, **kwargs)
            finally:
                _rendering.discard(path)
            if request.method == "GET" and _same_for_everyone(request, response):
                if len(_kept) >= MAX_PAGES:
                    _kept.clear()
                _kept[path] = (now + settings.PAGE_CACHE_SECONDS, response.content, dict(response.items()))
        add_never_cache_headers(response)
        return response

    return page


def _same_for_everyone(request, response) -> bool:
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
    """Drop the kept pages now, and again once the change is visible (a read in between may have kept one)."""
    _kept.clear()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_kept.clear)
