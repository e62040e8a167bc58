"""A WSGI app for clinic/tests/test_web_worker.py: it numbers requests in the order the server starts them.

GET or POST /any/path answers "<method> <number> <process id> <when it started>" (the system's
monotonic clock). With ?hold=FILE it keeps its thread until that file exists, so a test can
queue requests behind it; FILE.started shows that it has started. /log-fails
fails, and so does its access log line. It is not Django: the tests are about how gunicorn
serves requests.
"""

import itertools
import os
import threading
import time
from urllib.parse import parse_qs

from gunicorn.glogging import Logger

_started = itertools.count(1)
_lock = threading.Lock()


def app(environ, start_response):
    if environ["PATH_INFO"] == "/log-fails":
        raise ValueError("the app failed")  # gunicorn answers 500, and logs it, which fails too
    with _lock:
        number, started = next(_started), time.monotonic()
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))  # read, not used
    hold = parse_qs(environ.get("QUERY_STRING", "")).get("hold")
    if hold:
        open(f"{hold[0]}.started", "w").close()
    deadline = time.monotonic() + 20
    while hold and not os.path.exists(hold[0]) and time.monotonic() < deadline:
        time.sleep(0.01)
    payload = f"{environ['REQUEST_METHOD']} {number} {os.getpid()} {started}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))])
    return [payload]


class AccessLogThatFails(Logger):
    """gunicorn's logger, failing on /log-fails: with the app's error, one that escapes gunicorn's handling."""

    def access(self, resp, req, environ, request_time):
        if getattr(req, "path", None) == "/log-fails":
            raise RuntimeError("the access log failed")
        super().access(resp, req, environ, request_time)
