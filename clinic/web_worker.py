"""gunicorn's threaded worker, answering patients who are booking before those who are browsing.

Under a rush every thread is busy and requests wait their turn. gthread serves them in the
order they arrived, so a patient who pressed "Confirm" waits behind everyone looking at the
times. This worker serves waiting requests earliest serve-by time first: an urgent request
(any POST: a booking being confirmed, a form in the admin, a provider's webhook; or a page of
a patient's own booking, where confirming lands) is to be served on arrival, a page view
PAGE_VIEW_PATIENCE later. So a page view is overtaken only by urgent requests that arrived
less than that after it: pages slow down under load but never starve, even when a client
floods the site with POSTs.

A process serves one request at a time while each is quick. Its threads share one core
(Python's GIL), so two requests served together each take nearly twice as long (each is mostly
Python; their waits on PostgreSQL overlap), and a booking started beside a page view would finish
no sooner than it. Another thread starts a request only once those in service have each taken
STALLED_AFTER, as one waiting on the network does (Stripe's API, when a booking goes on to
payment): the next request waits that long for a slow one, not for all of it.

What a request is comes from peeking at its first bytes without taking them off the
connection. A new connection is classified once its request starts arriving; until then it
waits on the poller, as gthread keeps a slow client. Where the bytes cannot be read in the
clear (TLS terminated by gunicorn itself, HTTP/2) every request counts as a page view, and
the worker serves in arrival order, as gthread does.

It uses gthread's own connection handling (`handle`, `finish_request`, its poller); those are
gunicorn internals, so check this module when upgrading gunicorn (pinned in requirements.txt).
"""

import heapq
import itertools
import socket
import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager

from gunicorn.workers.gthread import _DEFER, TConn, ThreadWorker

# How an urgent request starts: any POST, and the pages of a patient's own booking (booking/urls.py).
URGENT = (b"POST ", b"GET /manage/", b"GET /booking/")
PAGE_VIEW_PATIENCE = 1.0  # seconds after arrival by which a page view is to be served
STALLED_AFTER = 0.1  # seconds in service after which a request is taken to be waiting on the network
_HEAD = max(map(len, URGENT))


def waiting_head(conn: TConn) -> bytes | None:
    """The first bytes of the request waiting on this connection, left in place; None when none have arrived."""
    if conn.cfg.is_ssl or conn.is_http2:
        return b""
    if conn.parser is not None and (read_ahead := conn.parser.unreader.buf.getvalue()):
        return read_ahead[:_HEAD]  # the previous request's body was read past: the next one starts here
    try:
        return conn.sock.recv(_HEAD, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return None
    except (OSError, ValueError):  # a socket that cannot peek: gthread will find out what is wrong
        return b""


def is_urgent(head: bytes) -> bool:
    return head.startswith(URGENT)


class BookingsFirstWorker(ThreadWorker):
    """gthread, its waiting connections taken earliest serve-by time first rather than in arrival order."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._waiting: list[tuple[float, int, TConn]] = []  # (serve by, arrival, connection), a heap
        self._arrivals = itertools.count()
        self._serving: dict[int, float] = {}  # thread -> when it started the request it is serving
        self._turn = threading.Condition()  # guards both, and wakes a thread waiting for its turn

    def enqueue_req(self, conn):
        head = waiting_head(conn)
        if head is None and not conn.initialized and not conn.data_ready:
            # Connected, nothing sent yet: wait for it on the poller, where gthread puts a slow client.
            self.finish_request(conn, _done(_DEFER))
            return
        serve_by = time.monotonic() + (0.0 if head and is_urgent(head) else PAGE_VIEW_PATIENCE)
        with self._turn:
            heapq.heappush(self._waiting, (serve_by, next(self._arrivals), conn))
        # A task per waiting connection: whichever thread is free next serves the one due first.
        self.tpool.submit(self._serve_first_due)

    def _serve_first_due(self):
        with self._my_turn() as conn:
            try:
                handled = _done(self.handle(conn))
            except BaseException as exc:  # as gthread's own futures do: finish_request closes this connection
                handled = Future()
                handled.set_exception(exc)
        # Back on the main thread: keep the connection alive, park it, or close it, as gthread does.
        self.method_queue.defer(self.finish_request, conn, handled)

    @contextmanager
    def _my_turn(self):
        """The connection due first, once no other request in this process started less than STALLED_AFTER ago."""
        me = threading.get_ident()
        with self._turn:
            while (wait := self._until_my_turn()) > 0:
                self._turn.wait(wait)
            _, _, conn = heapq.heappop(self._waiting)
            self._serving[me] = time.monotonic()
        try:
            yield conn
        finally:
            with self._turn:
                del self._serving[me]
                self._turn.notify()  # the next request's turn

    def _until_my_turn(self) -> float:
        """Seconds until the latest request in service has taken STALLED_AFTER (called holding `_turn`)."""
        latest = max(self._serving.values(), default=None)
        return 0.0 if latest is None else latest + STALLED_AFTER - time.monotonic()


def _done(result) -> Future:
    future = Future()
    future.set_result(result)
    return future
