"""The availability pages are kept in Django's cache for a moment, renewed everywhere by any committed change, and
never needed: with the cache down they are rendered for each visitor, and a booking never trusts them."""

import itertools
import logging
import threading
from contextlib import suppress
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseNotFound
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import page_cache
from booking.models import Booking
from booking.page_cache import VERSION_KEY, availability_page
from booking.services import PriceChanged, booking_cancel, booking_create
from booking.tests.factories import BookingFactory, SlotFactory
from booking.tests.pages import page

pytestmark = pytest.mark.django_db


def spots_line(client) -> str:
    text = page(client.get("/")).text
    return next(f"{n} of 8" for n in range(9) if f"{n} of 8 discounted spots left" in text)


@pytest.fixture
def slot(promotion):
    return SlotFactory(service=promotion.service, starts_at=timezone.now() + timedelta(days=2))


@pytest.fixture
def frozen():
    """The clock stopped: what is kept stays fresh however slowly the test runs."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        yield clock


def booked_elsewhere(slot) -> Booking:
    """A discounted booking another web process made: nothing of it reaches this process but the database."""
    return Booking.objects.bulk_create(
        [
            Booking(
                slot=slot,
                promotion=slot.service.promotions.get(),
                status=Booking.Status.CONFIRMED,
                patient_name="Elsewhere",
                email=f"else{slot.pk}@example.com",
                phone="+16195550999",
                price_cents=99_00,
            )
        ]
    )[0]


def in_another_process(work):
    """`work` done on a thread of its own, with its own connections to the cache and the database, as another web
    process (on this machine or another) has them."""
    done = []

    def run():
        try:
            done.append(work())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    assert done, "the other process failed or hung"
    return done[0]


def test_a_second_visit_within_the_moment_runs_no_query_and_browsers_keep_nothing(client, slot, frozen):
    first = client.get("/")
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/")
    assert second.content == first.content
    assert len(queries) == 0
    assert "no-store" in second["Cache-Control"] and "max-age=0" in second["Cache-Control"]


def test_a_link_with_tracking_parameters_is_served_the_same_kept_page(client, slot, frozen):
    first = client.get("/")
    with CaptureQueriesContext(connection) as queries:
        tracked = client.get("/?utm_source=newsletter&fbclid=abc123")
    assert tracked.content == first.content
    assert len(queries) == 0


def test_a_booking_or_cancellation_shows_on_the_next_visit_once_committed_not_before(
    client, slot, patient, frozen, django_capture_on_commit_callbacks
):
    assert spots_line(client) == "8 of 8"
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=99_00)
        assert spots_line(client) == "8 of 8"  # not committed yet: the kept page, to everyone
    assert spots_line(client) == "7 of 8"
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, reason="Test")
    assert spots_line(client) == "8 of 8"


class RolledBack(Exception):
    pass


def test_a_booking_rolled_back_renews_nothing(client, slot, frozen, django_capture_on_commit_callbacks):
    assert spots_line(client) == "8 of 8"
    version = cache.get(VERSION_KEY)
    with django_capture_on_commit_callbacks(execute=True) as on_commit, suppress(RolledBack), transaction.atomic():
        BookingFactory(slot=slot, promotion=slot.service.promotions.get())
        raise RolledBack
    assert on_commit == []
    assert cache.get(VERSION_KEY) == version
    with CaptureQueriesContext(connection) as queries:
        assert spots_line(client) == "8 of 8"
    assert len(queries) == 0  # still the kept page


def test_every_process_reads_the_same_version_and_is_served_the_same_kept_page(client, slot, frozen):
    here = client.get("/")

    def visit():
        with CaptureQueriesContext(connection) as queries:
            response = Client().get("/")
        return cache.get(VERSION_KEY), response.content, len(queries)

    version, content, queries = in_another_process(visit)
    assert version == cache.get(VERSION_KEY)
    assert content == here.content
    assert queries == 0


def test_a_booking_committed_by_another_process_shows_here_at_once(client, slot, frozen):
    assert spots_line(client) == "8 of 8"
    booked_elsewhere(slot)
    assert spots_line(client) == "8 of 8"  # kept: nothing has announced the booking yet
    in_another_process(page_cache.version_raise)  # what that process does once its booking is committed
    assert spots_line(client) == "7 of 8"


def test_a_change_nothing_announces_shows_within_page_cache_seconds(client, slot, frozen, settings):
    # As a hold lapsing by the clock: no write, no signal.
    assert spots_line(client) == "8 of 8"
    booked_elsewhere(slot)
    frozen.shift(timedelta(seconds=settings.PAGE_CACHE_SECONDS - 0.1))
    assert spots_line(client) == "8 of 8"
    frozen.shift(timedelta(seconds=0.2))
    assert spots_line(client) == "7 of 8"


def test_the_booking_counts_again_under_its_locks_whatever_the_kept_page_says(client, promotion, slot, patient, frozen):
    others = [
        SlotFactory(service=promotion.service, starts_at=timezone.now() + timedelta(days=3, hours=2 * n))
        for n in range(8)
    ]
    assert spots_line(client) == "8 of 8"
    for other in others:
        booked_elsewhere(other)
    assert spots_line(client) == "8 of 8"  # the kept page, behind
    with pytest.raises(PriceChanged):
        booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=99_00)
    assert not Booking.objects.filter(slot=slot).exists()


def test_with_the_cache_unreachable_the_pages_are_rendered_for_each_visitor_and_bookings_still_commit(
    cache_down, client, slot, patient, caplog, django_capture_on_commit_callbacks
):
    day = timezone.localtime(slot.starts_at, slot.service.clinic.tz).date()
    caplog.set_level(logging.WARNING, logger="booking.page_cache")
    for path in ("/", "/book/", f"/book/{day}/"):
        assert client.get(path).status_code == 200, path
    assert "rendered uncached (the cache is unreachable)" in caplog.text
    with django_capture_on_commit_callbacks(execute=True):
        booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=99_00)
    assert "not renewed (the cache is unreachable)" in caplog.text
    assert spots_line(client) == "7 of 8"


PATHS = (f"/page-{n}/" for n in itertools.count())


def plain(request):
    return HttpResponse("the same for everyone")


def not_found(request):
    return HttpResponseNotFound("no such day")


def sets_a_cookie(request):
    response = HttpResponse("hello")
    response.set_cookie("seen", "1")
    return response


def with_a_csrf_token(request):
    return HttpResponse(f'<input name="csrfmiddlewaretoken" value="{get_token(request)}">')


def reads_the_session(request):
    return HttpResponse(f"welcome back {request.session.get('name', '')}")


@pytest.mark.parametrize(
    "respond, renders",
    [(plain, 1), (not_found, 2), (sets_a_cookie, 2), (with_a_csrf_token, 2), (reads_the_session, 2)],
)
def test_only_a_page_that_is_the_same_for_everyone_is_kept(respond, renders, frozen):
    rendered = []

    @availability_page
    def view(request):
        rendered.append(request)
        return respond(request)

    path = next(PATHS)
    for _ in range(2):
        request = RequestFactory().get(path)
        request.session = SessionStore()
        view(request)
    assert len(rendered) == renders


def test_with_page_cache_seconds_zero_every_visit_renders(client, slot, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert len(queries) > 0
