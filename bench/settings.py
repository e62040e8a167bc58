"""Production settings plus one bare view, for the booking-rush benchmark (bench/run.py).

Everything the app does comes from config.settings, read from the environment that
run.py sets (DEBUG=false, PostgreSQL, Redis). Only two things differ, neither of
them in the app's request path:
- the URLconf adds /bench/bare/, the yardstick the pages are compared with;
- static files are collected under bench/var/ instead of var/.
"""

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = BASE_DIR / "bench" / "var" / "static"
