"""Every public page beyond the booking steps (whose budgets live with their tests) runs a fixed, small number
of queries: the same with a handful of bookings as with a busy five weeks."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from booking.links import Purpose, manage_path, private_token
from booking.models import Slot
from booking.rules import Patient
from booking.services import booking_create, slots_generate
from booking.tests.factories import PromotionFactory, local
from booking.tests.pages import code_typed
from waitlist.services import offers_make, waitlist_join

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 30)
NOW = local(MONDAY, 9)


def patient(n: int) -> Patient:
    return Patient(name=f"Runner {n}", email=f"runner{n}@example.com", phone=f"+1619555{n:04d}", sms_consent=True)


@pytest.fixture
def world(service):
    """A promotion of 2 spots sold out, a full Wednesday, someone offered a place; `grow()` adds a busy five weeks."""
    with time_machine.travel(NOW, tick=False):
        promotion = PromotionFactory(
            service=service,
            spots=2,
            visit_starts_on=MONDAY + timedelta(days=1),
            visit_ends_on=MONDAY + timedelta(days=4),
        )
        slots_generate(service=service, start=MONDAY + timedelta(days=1), end=MONDAY + timedelta(days=2))
        tuesday = list(Slot.objects.filter(starts_at__lt=local(MONDAY + timedelta(days=2), 0)))
        wednesday = Slot.objects.filter(starts_at__gte=local(MONDAY + timedelta(days=2), 0))
        dana = code_typed(booking_create(slot_id=tuesday[-1].pk, patient=patient(1), quoted_price_cents=99_00))
        code_typed(booking_create(slot_id=tuesday[-2].pk, patient=patient(2), quoted_price_cents=99_00))
        for n, slot in enumerate(wednesday, start=3):
            booking_create(slot_id=slot.pk, patient=patient(n), quoted_price_cents=175_00)
        waitlist_join(service=service, patient=patient(90), day=MONDAY + timedelta(days=2))
        entry = waitlist_join(service=service, patient=patient(91), day=MONDAY + timedelta(days=1))
        offers_make(now=NOW)
        entry.refresh_from_db()

    def grow():
        with time_machine.travel(NOW, tick=False):
            slots_generate(service=service, start=MONDAY + timedelta(days=3), end=MONDAY + timedelta(weeks=5))
            later = Slot.objects.filter(starts_at__gte=local(MONDAY + timedelta(days=3), 0))[::3]
            for n, slot in enumerate(later, start=100):
                booking_create(slot_id=slot.pk, patient=patient(n), quoted_price_cents=175_00)
            for n in range(200, 210):
                waitlist_join(service=service, patient=patient(n), promotion=promotion)

    token = manage_path(dana).split("/")[2]
    free = Slot.objects.filter(starts_at__gte=local(MONDAY + timedelta(days=1), 0)).exclude(bookings__isnull=False)
    chooser = Client()  # holds a time, and opens its details page
    with time_machine.travel(NOW, tick=False):
        held = chooser.post(f"/book/time/{free.exclude(pk=entry.booking.slot_id).first().pk}/")
    assert held.status_code == 303, held.content.decode()
    return {
        "grow": grow,
        "browsers": {"details": chooser},
        "urls": {
            "manage": f"/manage/{token}/",
            "move days": f"/manage/{token}/move/",
            "move day": f"/manage/{token}/move/{MONDAY + timedelta(days=1)}/",
            "move to": f"/manage/{token}/move/time/{free.exclude(pk=entry.booking.slot_id).first().pk}/",
            "cancel": f"/manage/{token}/cancel/",
            "details": held.url,
            "join offer": f"/waitlist/offer/{promotion.pk}/",
            "join day": f"/waitlist/day/{MONDAY + timedelta(days=2)}/",
            "claim": f"/waitlist/claim/{private_token(entry.booking, Purpose.CLAIM)}/",
        },
    }


BUDGETS = {
    "manage": 3,
    "move days": 4,
    "move day": 4,
    "move to": 6,
    "cancel": 3,
    "details": 4,
    "join offer": 4,
    "join day": 5,
    "claim": 4,  # the offer, and the other free times it may move to (the times, the closures)
}


def test_public_pages_keep_to_their_query_budgets_however_busy_the_calendar(world):
    def measure() -> dict[str, int]:
        counts = {}
        with time_machine.travel(NOW, tick=False):
            for name, url in world["urls"].items():
                with CaptureQueriesContext(connection) as queries:
                    response = world["browsers"].get(name, Client()).get(url)
                assert response.status_code == 200, (name, response.status_code)
                counts[name] = len(queries)
        return counts

    quiet = measure()
    world["grow"]()
    busy = measure()
    assert busy == quiet
    over = {name: count for name, count in quiet.items() if count > BUDGETS[name]}
    assert not over, f"over budget: {over}"
