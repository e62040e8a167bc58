"""gunicorn's worker (clinic/web_worker.py): waiting bookings are served before page views, which are never starved."""

import socket
import subprocess
import sys
import time
from http.client import HTTPConnection

import pytest
from django.conf import settings
from django.urls import reverse
from gunicorn.config import Config
from gunicorn.workers.gthread import TConn

from clinic.web_worker import PAGE_VIEW_PATIENCE, is_urgent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def one_thread_server(tmp_path):
    """gunicorn with the project's worker class, one process of one thread, serving clinic/tests/order_app.py."""
    port = free_port()
    empty_config = tmp_path / "gunicorn.conf.py"
    empty_config.write_text("")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "clinic.tests.order_app:app",
            "--config",
            str(empty_config),
            "--worker-class",
            "clinic.web_worker.BookingsFirstWorker",
            "--workers",
            "1",
            "--threads",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"gunicorn did not start: {server.stderr.read().decode()}") from None
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def kept_alive(port: int) -> HTTPConnection:
    """A connection that has already been answered once, as a browser's is after its first page."""
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/work")
    assert conn.getresponse().read().startswith(b"GET ")
    return conn


def send(conn: HTTPConnection, method: str, milliseconds: int, path: str = "/work") -> None:
    conn.request(method, f"{path}?ms={milliseconds}", body=b"x=1" if method == "POST" else None)


def started_as(conn: HTTPConnection) -> int:
    """The order in which the server started this connection's request."""
    return int(conn.getresponse().read().split()[1])


def test_a_submission_waiting_is_served_before_a_page_view_that_arrived_first(one_thread_server):
    busy, page, submission = (kept_alive(one_thread_server) for _ in range(3))
    send(busy, "GET", 600)  # holds the only thread
    time.sleep(0.15)
    send(page, "GET", 50)
    time.sleep(0.15)
    send(submission, "POST", 50)
    assert started_as(busy) < started_as(submission) < started_as(page)


def test_a_patients_own_booking_page_is_served_before_a_page_view_that_arrived_first(one_thread_server):
    busy, page, booking_page = (kept_alive(one_thread_server) for _ in range(3))
    send(busy, "GET", 600)
    time.sleep(0.15)
    send(page, "GET", 50, path="/book/2026-05-13/")
    time.sleep(0.15)
    send(booking_page, "GET", 50, path="/manage/PRIVATE-LINK/")  # where confirming a booking lands
    assert started_as(busy) < started_as(booking_page) < started_as(page)


def test_requests_of_one_kind_are_served_in_the_order_they_arrived(one_thread_server):
    busy, first, second = (kept_alive(one_thread_server) for _ in range(3))
    send(busy, "GET", 400)
    time.sleep(0.1)
    send(first, "POST", 10)
    time.sleep(0.1)
    send(second, "POST", 10)
    assert started_as(busy) < started_as(first) < started_as(second)


def test_a_page_view_is_overtaken_for_a_moment_only(one_thread_server):
    busy, page, submission = (kept_alive(one_thread_server) for _ in range(3))
    send(busy, "GET", int((PAGE_VIEW_PATIENCE + 0.6) * 1000))
    time.sleep(0.1)
    send(page, "GET", 10)
    time.sleep(PAGE_VIEW_PATIENCE + 0.3)  # the page view has now waited longer than its patience
    send(submission, "POST", 10)
    assert started_as(busy) < started_as(page) < started_as(submission)


def test_the_booking_pages_are_where_the_worker_looks_for_them():
    assert reverse("booking:manage", args=["x"]).encode().startswith(b"/manage/")
    assert reverse("booking:booking_detail", args=["x"]).encode().startswith(b"/booking/")
    assert reverse("booking:checkout_success", args=["x"]).encode().startswith(b"/booking/")


def test_what_a_request_is_is_read_without_taking_it_from_the_connection():
    def waiting(data: bytes) -> tuple[bool, bytes]:
        server_end, client_end = socket.socketpair()
        with server_end, client_end:
            client_end.sendall(data)
            conn = TConn(Config(), server_end, ("127.0.0.1", 1), ("127.0.0.1", 2))
            urgent = is_urgent(conn)
            server_end.setblocking(True)
            return urgent, server_end.recv(100) if data else b""

    assert waiting(b"POST /book/time/1/confirm/ HTTP/1.1\r\n") == (True, b"POST /book/time/1/confirm/ HTTP/1.1\r\n")
    assert waiting(b"GET / HTTP/1.1\r\n") == (False, b"GET / HTTP/1.1\r\n")
    assert waiting(b"GET /manage/A1B2/ HTTP/1.1\r\n") == (True, b"GET /manage/A1B2/ HTTP/1.1\r\n")
    assert waiting(b"GET /book/time/1/ HTTP/1.1\r\n")[0] is False
    assert waiting(b"POSTED") == (False, b"POSTED")
    assert waiting(b"") == (False, b"")  # nothing arrived yet: a page view, and no wait for it
