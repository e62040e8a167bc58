# Read by gunicorn from the directory it starts in (the Procfile's web process, and bench/). Stock settings only:
# speed comes from doing less per request, never from gunicorn's internals.
import os

from clinic.client import TrustedProxies


def cores() -> int:
    """The cores this process may run on (a container's CPU set on Linux); a CPU quota needs WEB_CONCURRENCY."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 2


# Threads, not only processes: a booking that goes on to payment waits on Stripe's API, and a message sent
# in-process (no Redis) on Twilio or the mail server; meanwhile another thread of the same process serves.
# gunicorn's own rule of thumb for the processes: two per core and one more.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * cores() + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 2)

# Each process is replaced after about this many requests (staggered, so they do not all restart at once):
# whatever a process slowly gathers (memory, a leak in a library) is let go.
max_requests = 1200
max_requests_jitter = 120
# A process silent for this long (a request stuck past any of its own timeouts) is killed and replaced.
timeout = 30

logger_class = "clinic.access_log.PrivateLinksMasked"

# Whose X-Forwarded-Proto gunicorn believes: the proxies the app trusts (clinic/client.py), read like the app reads
# them but from the process environment only (as WEB_CONCURRENCY is), never a platform's FORWARDED_ALLOW_IPS.
forwarded_allow_ips = TrustedProxies.parse(os.environ.get("TRUSTED_PROXIES", "")).forwarded_allow_ips()
