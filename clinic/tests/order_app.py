"""A WSGI app for clinic/tests/test_web_worker.py: it numbers requests in the order the server starts them.

GET or POST /work?ms=N takes N milliseconds, holding the worker's one thread, and answers
"<method> <number>". It is not Django: the test is about the order gunicorn serves requests in.
"""

import itertools
import threading
import time
from urllib.parse import parse_qs

_started = itertools.count(1)
_lock = threading.Lock()


def app(environ, start_response):
    with _lock:
        number = next(_started)
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))  # read, not used
    milliseconds = int(parse_qs(environ.get("QUERY_STRING", "")).get("ms", ["0"])[0])
    time.sleep(milliseconds / 1000)
    payload = f"{environ['REQUEST_METHOD']} {number}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))])
    return [payload]
