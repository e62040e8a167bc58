"""cProfile every request into BENCH_PROFILE_DIR (one .prof file each), for `rush.py --profile`."""

import cProfile
import itertools
import os
import re
import threading

_counter = itertools.count()
_lock = threading.Lock()


def _kind(request) -> str:
    path = request.path
    if path == "/":
        return "landing"
    if path == "/bench/bare/":
        return "bare"
    if path == "/book/":
        return "days"
    if re.fullmatch(r"/book/\d{4}-\d{2}-\d{2}/", path):
        return "availability"
    if path.endswith("/confirm/"):
        return "booking_post"
    if path.startswith("/book/time/"):
        return "details_" + request.method.lower()
    if path.startswith("/booking/"):
        return "booking_page"
    return "other"


class ProfileMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.directory = os.environ["BENCH_PROFILE_DIR"]
        os.makedirs(self.directory, exist_ok=True)

    def __call__(self, request):
        profile = cProfile.Profile()
        response = profile.runcall(self.get_response, request)
        with _lock:
            n = next(_counter)
        profile.dump_stats(os.path.join(self.directory, f"{_kind(request)}-{os.getpid()}-{n}.prof"))
        return response
