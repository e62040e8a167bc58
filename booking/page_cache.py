"""The public availability pages (the offer, the days, a day's times), kept for a moment under a rush.

Each process keeps a rendered page for PAGE_CACHE_SECONDS and forgets them all
the moment it changes a booking, a slot or an offer; so a count or a free time
may lag a change made in another process by that long (twice that for a visitor
shown the previous copy while it is rendered afresh), never more. The booking
itself always counts again under its row locks.

One thread at a time renders a page. Meanwhile the others are shown the copy
it replaces if that has only just expired, or else wait for its render instead
of repeating it: a crowd arriving at once costs one render per process, not
one each. Only a page that is the same for every visitor is kept (no cookie
set, no session read), and browsers are told not to keep any, so a patient's
own reload is as fresh as the server's.
"""

import threading
import time
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

MAX_PAGES = 500  # a bound on memory: day pages are one per date asked for
RENDER_WAIT_SECONDS = 5  # how long a visitor waits for another thread's render before rendering too

_kept: dict[str, tuple[float, bytes, dict]] = {}  # path -> (fresh until, content, headers)
_rendering: dict[str, threading.Event] = {}  # path -> set when the thread rendering it afresh is done
_lock = threading.Lock()


def availability_page(view):
    @wraps(view)
    def page(request, *args, **kwargs):
        if request.method == "GET":
            response = _kept_or_rendered(request, lambda: view(request, *args, **kwargs))
        else:
            response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return page


def _kept_or_rendered(request, render) -> HttpResponse:
    path = request.path  # the pages read no query string: a tracking parameter is the same page
    for waited in (False, True):
        with _lock:
            kept = _kept.get(path)
            if kept and kept[0] > time.time():
                return HttpResponse(kept[1], headers=kept[2])
            rendering = _rendering.get(path)
            if rendering is None:
                _rendering[path] = done = threading.Event()
                break
        if kept and kept[0] + settings.PAGE_CACHE_SECONDS > time.time():
            return HttpResponse(kept[1], headers=kept[2])  # only just expired: shown while it is rendered afresh
        if waited or not rendering.wait(RENDER_WAIT_SECONDS):
            return render()  # its render was not one to keep, or is slow: render this one too
    started = time.time()
    try:
        response = render()
        if _same_for_everyone(request, response):
            with _lock:
                if len(_kept) >= MAX_PAGES:
                    _kept.clear()
                _kept[path] = (started + settings.PAGE_CACHE_SECONDS, response.content, dict(response.items()))
    finally:
        with _lock:
            del _rendering[path]
        done.set()
    return response


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
    """Forget the kept pages now, and again once the change is visible (a read in between may have kept one)."""
    _forget()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_forget)


def _forget() -> None:
    with _lock:
        _kept.clear()
