# Read by gunicorn from the directory it starts in (the Procfile's web process, and bench/rush.py).
import os


def _cores() -> int:
    """The cores this process may run on (a container's CPU set on Linux); a CPU quota needs WEB_CONCURRENCY."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 2


# A process per core, each with two threads: one overlaps the other's waits on PostgreSQL and Redis.
# More threads only share the same core (the GIL) and make every request in a rush slower; more
# processes keep more copies of the availability pages (booking/page_cache.py) to render afresh.
# The threads take waiting requests bookings first (clinic/web_worker.py): under a rush a patient
# confirming a booking is not queued behind everyone browsing the times.
worker_class = "clinic.web_worker.BookingsFirstWorker"
workers = int(os.environ.get("WEB_CONCURRENCY") or _cores())
threads = int(os.environ.get("GUNICORN_THREADS") or 2)

logger_class = "clinic.access_log.PrivateLinksMasked"
