"""gunicorn's threaded worker, answering patients who are booking before those who are browsing.

Under a rush every thread is busy and requests wait their turn. gthread serves them in the
order they arrived, so a patient who pressed "Confirm" waits behind everyone looking at the
times. This worker serves urgent requests first: a form submission (a booking being confirmed,
a form in the admin, a provider's webhook) and a patient's own booking pages, where confirming
lands. A page view is overtaken only for PAGE_VIEW_PATIENCE: one that has waited that long is
served before an urgent request that arrived later, so pages slow down under load but never starve.

What a request is comes from peeking at the bytes waiting on its connection; where they cannot
be read without consuming them (TLS terminated by gunicorn itself, HTTP/2, a request not arrived
yet) it counts as a page view, and is served as gthread would.
"""

import heapq
import itertools
import socket
import threading
import time
from concurrent.futures import Future

from gunicorn.workers.gthread import ThreadWorker

# How an urgent request starts: any POST, and the booking's own pages (booking/urls.py).
URGENT = (b"POST ", b"GET /manage/", b"GET /booking/")
PAGE_VIEW_PATIENCE = 1.0  # seconds a page view may be overtaken by urgent requests that arrived after it


def is_urgent(conn) -> bool:
    """Whether the request waiting on this connection is urgent, read without taking it off the connection."""
    if conn.cfg.is_ssl or conn.is_http2:
        return False
    try:
        head = conn.sock.recv(max(map(len, URGENT)), socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (OSError, ValueError):  # nothing arrived yet, or a socket that cannot peek
        return False
    return head.startswith(URGENT)


class BookingsFirstWorker(ThreadWorker):
    """gthread, its waiting connections taken in the order they should be served by rather than arrival."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._waiting: list[tuple[float, int, object]] = []  # (serve by, arrival, connection)
        self._waiting_lock = threading.Lock()
        self._arrivals = itertools.count()

    def enqueue_req(self, conn):
        serve_by = time.monotonic() + (0.0 if is_urgent(conn) else PAGE_VIEW_PATIENCE)
        with self._waiting_lock:
            heapq.heappush(self._waiting, (serve_by, next(self._arrivals), conn))
        # A task per waiting connection: whichever thread is free next takes the one to serve first.
        task = self.tpool.submit(self._handle_first_waiting)
        task.add_done_callback(lambda done: self.method_queue.defer(self._finish, done))

    def _handle_first_waiting(self):
        with self._waiting_lock:
            _, _, conn = heapq.heappop(self._waiting)
        return conn, self.handle(conn)

    def _finish(self, task):
        if task.cancelled():  # the pool shut down before this task ran: the worker is exiting
            return
        conn, keepalive = task.result()
        handled = Future()
        handled.set_result(keepalive)
        self.finish_request(conn, handled)  # gthread's own: keep the connection alive, or close it
