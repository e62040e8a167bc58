# Read by gunicorn from the directory it starts in (the Procfile's web process, and bench/rush.py).
import gc
import os

from clinic.client import TrustedProxies


def _cores() -> int:
    """The cores this process may run on (a container's CPU set on Linux); a CPU quota needs WEB_CONCURRENCY."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 2


# A process per core, each with two threads: the second serves while a request waits on the network
# (Stripe's API); while requests are quick they run one at a time, as they would only share the core
# (the GIL). More processes keep more copies of the availability pages (booking/page_cache.py) to
# render afresh. Waiting requests are taken bookings first (clinic/web_worker.py): under a rush a
# patient confirming a booking is not queued behind everyone browsing the times.
worker_class = "clinic.web_worker.BookingsFirstWorker"
workers = int(os.environ.get("WEB_CONCURRENCY") or _cores())
threads = int(os.environ.get("GUNICORN_THREADS") or 2)

logger_class = "clinic.access_log.PrivateLinksMasked"

# Whose X-Forwarded-Proto gunicorn believes: the proxies the app trusts (clinic/client.py), read like the app reads
# them but from the process environment only (as WEB_CONCURRENCY is), never a platform's FORWARDED_ALLOW_IPS.
forwarded_allow_ips = TrustedProxies.parse(os.environ.get("TRUSTED_PROXIES", "")).forwarded_allow_ips()


def post_worker_init(worker):
    """The app is loaded: do now what its first requests would do once (clinic/warm.py). What is left then
    lasts as long as the worker, so the garbage collector's full passes leave it out: each would otherwise
    stop every thread for up to 90 ms, a few times a rush."""
    from clinic.warm import warm_up

    warm_up()
    gc.collect()
    gc.freeze()
