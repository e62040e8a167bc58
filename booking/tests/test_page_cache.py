"""The availability pages are kept for a moment, forgotten on any change here, and never stale for longer."""

import itertools
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking.models import Booking
from booking.page_cache import availability_page, forget_pages
from booking.services import booking_cancel, booking_create
from booking.tests.factories import SlotFactory
from booking.tests.pages import page

pytestmark = pytest.mark.django_db


def spots_line(client) -> str:
    text = page(client.get("/")).text
    return next(line for line in ("8 of 8", "7 of 8") if line in text) + " discounted spots left"


@pytest.fixture
def slot(promotion):
    return SlotFactory(service=promotion.service, starts_at=timezone.now() + timedelta(days=2))


def visit_again(client, path: str = "/"):
    """The offer page, then `path` within the same moment: (first, second, the queries the second ran)."""
    with time_machine.travel(timezone.now(), tick=False):
        first = client.get("/")
        with CaptureQueriesContext(connection) as queries:
            second = client.get(path)
    return first, second, queries


def test_a_second_visit_within_the_moment_runs_no_query_and_browsers_keep_nothing(client, slot):
    first, second, queries = visit_again(client)
    assert second.content == first.content
    assert len(queries) == 0
    assert "no-store" in second["Cache-Control"] and "max-age=0" in second["Cache-Control"]


def test_a_booking_or_cancellation_made_here_shows_at_once(client, slot, patient):
    with time_machine.travel(timezone.now(), tick=False):
        assert spots_line(client) == "8 of 8 discounted spots left"
        booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=99_00)
        assert spots_line(client) == "7 of 8 discounted spots left"
        booking_cancel(booking=booking, reason="Test")
        assert spots_line(client) == "8 of 8 discounted spots left"


def test_a_change_made_by_another_process_shows_within_two_seconds(client, slot, settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert spots_line(client) == "8 of 8 discounted spots left"
        # Another web process booked: no signal reaches this one, only the clock.
        Booking.objects.bulk_create(
            [
                Booking(
                    slot=slot,
                    promotion=slot.service.promotions.get(),
                    status=Booking.Status.CONFIRMED,
                    patient_name="Elsewhere",
                    email="else@example.com",
                    phone="+16195550999",
                    price_cents=99_00,
                )
            ]
        )
        assert spots_line(client) == "8 of 8 discounted spots left"
        clock.shift(timedelta(seconds=settings.PAGE_CACHE_SECONDS + 0.1))
        assert spots_line(client) == "7 of 8 discounted spots left"


PAGE_NUMBERS = itertools.count()


class SlowPage:
    """A page that takes as long as the test says to render, counting its renders."""

    def __init__(self, fail_first=False):
        self.path = f"/page-{next(PAGE_NUMBERS)}/"  # a page no other test has kept
        self.renders = 0
        self.fail_first = fail_first
        self.release = threading.Event()
        self.view = availability_page(self.render)

    def render(self, request):
        self.renders += 1
        assert self.release.wait(5), "the test never let the render finish"
        if self.fail_first and self.renders == 1:
            raise RuntimeError("the database went away")
        return HttpResponse(f"render {self.renders}")

    def get(self) -> bytes:
        return self.view(RequestFactory().get(self.path)).content

    def get_in_threads(self, visitors: int) -> tuple[list, list]:
        """`visitors` GET the page at once; returns their threads and, once joined, what each was shown."""
        shown = []

        def visit():
            try:
                shown.append(self.get())
            except RuntimeError as exc:
                shown.append(str(exc))

        threads = [threading.Thread(target=visit) for _ in range(visitors)]
        for thread in threads:
            thread.start()
        return threads, shown

    def kept_then_rendering_afresh(self, clock=None, *, after: float = 0) -> tuple[list, list]:
        """Render and keep the page; `after` seconds on, one visitor starts rendering it afresh (and is held there)."""
        self.release.set()
        assert self.get() == b"render 1"
        self.release.clear()
        if clock:
            clock.shift(after)
        threads, shown = self.get_in_threads(1)
        wait_until(lambda: self.renders == 2)
        return threads, shown


def wait_until(condition):
    for _ in range(500):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("timed out")


def join(threads):
    for thread in threads:
        thread.join(5)
        assert not thread.is_alive()


def test_a_crowd_arriving_at_once_waits_for_one_render_instead_of_each_rendering():
    page_ = SlowPage()
    threads, shown = page_.get_in_threads(8)
    wait_until(lambda: page_.renders == 1)
    time.sleep(0.1)  # the other seven have arrived meanwhile
    page_.release.set()
    join(threads)
    assert page_.renders == 1
    assert shown == [b"render 1"] * 8


def test_a_copy_that_has_just_expired_is_shown_while_one_visitor_renders_it_afresh(settings):
    page_ = SlowPage()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first, _ = page_.kept_then_rendering_afresh(clock, after=settings.PAGE_CACHE_SECONDS + 0.5)
        assert page_.get() == b"render 1"  # not kept waiting behind the render
        page_.release.set()
        join(first)
        assert page_.get() == b"render 2"
    assert page_.renders == 2


def test_an_older_copy_is_never_shown_visitors_wait_for_the_fresh_one(settings):
    page_ = SlowPage()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first, _ = page_.kept_then_rendering_afresh(clock, after=2 * settings.PAGE_CACHE_SECONDS + 0.5)
        second, shown = page_.get_in_threads(1)
        time.sleep(0.1)
        assert shown == []  # waiting
        page_.release.set()
        join(first + second)
    assert shown == [b"render 2"]
    assert page_.renders == 2


def test_after_a_change_here_visitors_wait_for_the_fresh_page_instead_of_seeing_the_old_one():
    page_ = SlowPage()
    page_.release.set()
    assert page_.get() == b"render 1"
    forget_pages()
    page_.release.clear()
    threads, shown = page_.get_in_threads(3)
    wait_until(lambda: page_.renders == 2)
    time.sleep(0.1)
    page_.release.set()
    join(threads)
    assert shown == [b"render 2"] * 3
    assert page_.renders == 2


def test_a_render_that_fails_lets_the_waiting_visitors_render_for_themselves():
    page_ = SlowPage(fail_first=True)
    threads, shown = page_.get_in_threads(2)
    wait_until(lambda: page_.renders == 1)
    time.sleep(0.1)  # the second visitor waits on the first one's render
    page_.release.set()
    join(threads)
    assert len(shown) == 2 and set(shown) == {b"render 2", "the database went away"}
    assert page_.get() == b"render 2"  # the second one's page was kept


def test_a_link_with_tracking_parameters_is_served_the_same_kept_page(client, slot):
    first, tracked, queries = visit_again(client, "/?utm_source=newsletter&fbclid=abc123")
    assert tracked.content == first.content
    assert len(queries) == 0
