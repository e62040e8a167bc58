# Read by gunicorn from the directory it starts in (the Procfile's web process, and bench/rush.py).
import os

# A process per core, each with two threads: one overlaps the other's waits on PostgreSQL and Redis.
# More threads only share the same core (the GIL) and make every request in a rush slower; more
# processes keep more copies of the availability pages (booking/page_cache.py) to render afresh.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
threads = int(os.environ.get("GUNICORN_THREADS") or 2)

logger_class = "clinic.access_log.PrivateLinksMasked"
