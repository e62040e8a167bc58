"""gunicorn's worker (clinic/web_worker.py): waiting bookings are served before page views, which never starve.

Each test runs a real gunicorn with the worker, one process (of one thread unless it says),
serving clinic/tests/order_app.py: a first request holds the thread while the test queues
others behind it, then lets go; the app numbers requests in the order they were started.
"""

import contextlib
import itertools
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from gunicorn.config import Config
from gunicorn.workers.gthread import TConn

from clinic.web_worker import PAGE_VIEW_PATIENCE, is_urgent, waiting_head

QUEUED = 0.3  # seconds for the worker to notice a request sent to it


class Server:
    def __init__(self, tmp_path: Path, *, threads: int = 1, conf: str = ""):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.tmp_path, self.holds = tmp_path, itertools.count()
        (tmp_path / "gunicorn.conf.py").write_text(conf)
        self.log = tmp_path / "gunicorn.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "clinic.tests.order_app:app"),
                    *("--config", str(tmp_path / "gunicorn.conf.py"), "--no-control-socket"),
                    *("--worker-class", "clinic.web_worker.BookingsFirstWorker"),
                    *("--workers", "1", "--threads", str(threads)),
                    *("--logger-class", "clinic.tests.order_app.AccessLogThatFails"),
                    *("--bind", f"127.0.0.1:{self.port}"),
                ],
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 20
        while True:
            try:
                self.connection().request("GET", "/ready")
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"gunicorn did not start: {self.log.read_text()}") from None
                time.sleep(0.05)

    def connection(self) -> HTTPConnection:
        return HTTPConnection("127.0.0.1", self.port, timeout=30)

    def kept_alive(self) -> HTTPConnection:
        """A connection already answered once, as a browser's is after its first page."""
        conn = self.connection()
        conn.request("GET", "/")
        conn.getresponse().read()
        return conn

    def hold_the_thread(self, conn: HTTPConnection) -> None:
        self.released = self.tmp_path / f"released-{next(self.holds)}"
        conn.request("POST", f"/hold?hold={self.released}", body=b"x=1")
        time.sleep(QUEUED)

    def let_go(self) -> None:
        time.sleep(QUEUED)
        self.released.touch()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def server(tmp_path):
    server = Server(tmp_path)
    yield server
    server.stop()


# Long enough to tell a turn that comes when the request in service ends from one that comes when
# it has taken a while, on a loaded machine.
STALLED = 2.0


@pytest.fixture
def two_threads(tmp_path):
    server = Server(
        tmp_path, threads=2, conf=f"import clinic.web_worker\nclinic.web_worker.STALLED_AFTER = {STALLED}\n"
    )
    yield server
    server.stop()


def send(conn: HTTPConnection, method: str, path: str) -> None:
    conn.request(method, path, body=b"x=1" if method == "POST" else None)
    time.sleep(QUEUED)


def started(conn: HTTPConnection) -> int:
    """The order in which the server started this connection's request."""
    return int(conn.getresponse().read().split()[1])


PAGE = ("GET", "/book/2026-05-13/")
BOOKING = ("POST", "/book/time/7/confirm/")
BOOKING_PAGE = ("GET", "/manage/PRIVATE-LINK/")  # where confirming a booking lands


def start_order(server, *requests, wait_between: float = 0.0) -> list[tuple[str, str]]:
    """Queue `requests` in turn behind one holding the only thread, then let go: the requests in the order started."""
    busy, *conns = (server.kept_alive() for _ in range(len(requests) + 1))
    server.hold_the_thread(busy)
    for conn, (method, path) in zip(conns, requests, strict=True):
        send(conn, method, path)
        time.sleep(wait_between)
    server.let_go()
    first = started(busy)
    numbers = [started(conn) for conn in conns]
    assert all(first < number for number in numbers)
    return [request for _, request in sorted(zip(numbers, requests, strict=True))]


def answer(conn: HTTPConnection) -> tuple[int, float]:
    """The order in which the server started this connection's request, and when (the monotonic clock)."""
    _, number, _, at = conn.getresponse().read().split()
    return int(number), float(at)


def hold_a_thread(server) -> tuple[HTTPConnection, Path]:
    """A request that keeps one of the threads until the test lets go, sent and started."""
    held, released = server.kept_alive(), server.tmp_path / f"released-{next(server.holds)}"
    held.request("POST", f"/hold?hold={released}", body=b"x=1")
    deadline = time.monotonic() + 20
    while not Path(f"{released}.started").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    return held, released


def test_a_second_thread_starts_a_request_once_the_one_in_service_has_taken_a_while(two_threads):
    # As one waiting on Stripe's API would: the other thread serves meanwhile.
    page = two_threads.kept_alive()
    held, released = hold_a_thread(two_threads)
    page.request(*PAGE)
    _, page_started = answer(page)  # answered while the first request is still in service
    released.touch()
    _, held_started = answer(held)
    assert held_started + STALLED <= page_started < held_started + STALLED + 5


def test_the_next_request_starts_as_soon_as_the_one_in_service_ends(two_threads):
    page = two_threads.kept_alive()
    held, released = hold_a_thread(two_threads)
    send(page, *PAGE)
    released.touch()  # a quick request, done in QUEUED
    _, held_started = answer(held)
    _, page_started = answer(page)
    assert held_started + QUEUED <= page_started < held_started + STALLED - 0.5


def test_a_booking_waiting_is_served_before_a_page_view_that_arrived_first(server):
    assert start_order(server, PAGE, BOOKING) == [BOOKING, PAGE]


def test_a_patients_own_booking_page_is_served_before_a_page_view_that_arrived_first(server):
    assert start_order(server, PAGE, BOOKING_PAGE) == [BOOKING_PAGE, PAGE]


def test_requests_of_one_kind_are_served_in_the_order_they_arrived(server):
    other_booking = ("POST", "/book/time/8/confirm/")
    assert start_order(server, BOOKING, other_booking) == [BOOKING, other_booking]
    assert start_order(server, PAGE, BOOKING_PAGE, BOOKING) == [BOOKING_PAGE, BOOKING, PAGE]


def test_a_page_view_is_overtaken_only_by_bookings_that_arrived_soon_after_it(server):
    # The booking arrives once the page view has waited longer than its patience.
    assert start_order(server, PAGE, BOOKING, wait_between=PAGE_VIEW_PATIENCE) == [PAGE, BOOKING]


def test_a_new_connection_is_judged_by_its_request_once_it_arrives(server):
    busy, page = server.kept_alive(), server.kept_alive()
    server.hold_the_thread(busy)
    send(page, *PAGE)
    booking = server.connection()
    booking.connect()  # connected, nothing sent yet
    time.sleep(QUEUED)
    send(booking, *BOOKING)
    server.let_go()
    assert started(busy) < started(booking) < started(page)


def test_an_error_escaping_a_request_closes_its_connection_only(server):
    other = server.kept_alive()
    other.request("GET", "/")
    pid = other.getresponse().read().split()[2]
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as failing:
        failing.sendall(b"GET /log-fails HTTP/1.1\r\nHost: test\r\n\r\n")
        with contextlib.suppress(ConnectionResetError):
            while failing.recv(4096):  # until the server closes it (a timeout if it never does)
                pass
    other.request("GET", "/")
    assert other.getresponse().read().split()[2] == pid  # same worker, same kept-alive connection


def test_the_booking_pages_are_where_the_worker_looks_for_them():
    assert reverse("booking:manage", args=["x"]).startswith("/manage/")
    assert reverse("booking:booking_detail", args=["x"]).startswith("/booking/")
    assert reverse("booking:checkout_success", args=["x"]).startswith("/booking/")


def test_what_a_request_is_is_read_without_taking_it_from_the_connection():
    def waiting(data: bytes) -> tuple[bytes | None, bytes]:
        server_end, client_end = socket.socketpair()
        with server_end, client_end:
            client_end.sendall(data)
            head = waiting_head(TConn(Config(), server_end, ("127.0.0.1", 1), ("127.0.0.1", 2)))
            server_end.setblocking(True)
            return head, server_end.recv(100) if data else b""

    head, left = waiting(b"POST /book/time/1/confirm/ HTTP/1.1\r\n")
    assert is_urgent(head) and left == b"POST /book/time/1/confirm/ HTTP/1.1\r\n"
    head, left = waiting(b"GET /manage/A1B2/ HTTP/1.1\r\n")
    assert is_urgent(head) and left == b"GET /manage/A1B2/ HTTP/1.1\r\n"
    head, left = waiting(b"GET /book/time/1/ HTTP/1.1\r\n")
    assert not is_urgent(head) and left == b"GET /book/time/1/ HTTP/1.1\r\n"
    assert not is_urgent(waiting(b"POSTED")[0])
    assert waiting(b"") == (None, b"")  # nothing arrived yet
