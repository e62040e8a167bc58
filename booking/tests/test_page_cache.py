"""The availability pages are kept for a moment, forgotten on any change here, and never stale for longer."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking.models import Booking
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


def test_a_second_visit_within_the_moment_runs_no_query_and_browsers_keep_nothing(client, slot):
    with time_machine.travel(timezone.now(), tick=False):
        first = client.get("/")
        with CaptureQueriesContext(connection) as queries:
            second = client.get("/")
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
