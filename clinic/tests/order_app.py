"""A WSGI app for clinic/tests/test_web_worker.py: it numbers requests in the order the server starts them.

GET or POST /any/path answers "<method> <number> <process id>". With ?hold=FILE it keeps the
worker's one thread until that file exists, so a test can queue requests behind it. /log-fails
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
        number = next(_started)
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))  # read, not used
    hold = parse_qs(environ.get("QUERY_STRING", "")).get("hold")
    deadline = time.monotonic() + 20
    while hold and not os.path.exists(hold[0]) and time.monotonic() < deadline:
        time.sleep(0.01)
    payload = f"{environ['REQUEST_METHOD']} {number} {os.getpid()}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))])
    return [payload]


class AccessLogThatFails(Logger):
    """gunicorn's logger, failing on /log-fails: with the app's error, one that escapes gunicorn's handling."""

    def access(self, resp, req, environ, request_time):
        if getattr(req, "path", None) == "/log-fails":
            raise RuntimeError("the access log failed")
        super().access(resp, req, environ, request_time)
