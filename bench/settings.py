"""Production settings plus one bare view, for the booking-rush benchmark (bench/rush.py).

Everything the app does comes from config.settings, read from the environment that
rush.py sets (DEBUG=false, PostgreSQL, Redis). Only three things differ, none of
them in the app's request path:
- the URLconf adds /bench/bare/, the yardstick the pages are compared with;
- static files are collected under bench/var/ instead of var/;
- with BENCH_PROFILE_DIR set, a first middleware writes a cProfile file per request.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR, MIDDLEWARE

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = BASE_DIR / "bench" / "var" / "static"

if os.environ.get("BENCH_PROFILE_DIR"):
    MIDDLEWARE = ["bench.profiling.ProfileMiddleware", *MIDDLEWARE]
