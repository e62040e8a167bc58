"""Posts from a page kept for everyone (booking/page_cache.py), which can carry no CSRF token.

Choosing a time on a day's page holds it for the browser that chose. That page is the same for every
visitor, so its buttons post without Django's CSRF token; instead the browser's own word on where the post
comes from decides: `Sec-Fetch-Site` (every current browser sends it), else `Origin`. A page on another
site cannot make a visitor's browser hold a time here. A client that sends neither is no browser a forged
page could drive, and the rate limits and the booking rules still apply to it.
"""

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

THIS_SITE = {"same-origin", "none"}  # "none": the patient's own action, such as a bookmark


def from_this_site(request) -> bool:
    if fetch_site := request.headers.get("Sec-Fetch-Site"):
        return fetch_site in THIS_SITE
    if origin := request.headers.get("Origin"):
        return origin == f"{request.scheme}://{request.get_host()}" or origin in settings.CSRF_TRUSTED_ORIGINS
    return True


def same_site_post(view):
    """Accept a view's POSTs without a CSRF token, from this site only; others get the CSRF failure page."""

    @csrf_exempt
    @wraps(view)
    def checked(request, *args, **kwargs):
        if request.method == "POST" and not from_this_site(request):
            return render(request, "403_csrf.html", status=403)
        return view(request, *args, **kwargs)

    return checked
