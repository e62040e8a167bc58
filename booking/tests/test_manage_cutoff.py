"""The cut-off for changes online: 24 real hours before the visit; after it the private page gives the phone.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16.
A visit on PROMO_DAY (Wed April 8) at 10:00 AM may be changed online until Tue April 7, 10:00 AM.
"""

import re
from datetime import date, timedelta

import pytest
from django.test import Client

from booking.manage import patient_cancel, patient_reschedule
from booking.models import Booking
from booking.services import BookingError
from booking.tests.factories import BookingFactory, SlotFactory, local
from booking.tests.manage_helpers import CHANGE_PAGES, OTHER_DAY, PHONE, booked, fresh, moved_events, unchanged, url
from booking.tests.pages import does_not_say, hrefs, says, slot_at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "offer")]

CUTOFF = local(date(2026, 4, 7), 10)  # 24 hours before a visit on PROMO_DAY at 10:00 AM


def test_after_the_cutoff_the_page_offers_no_changes_and_gives_the_phone(service, clock):
    booking = booked(service)
    clock.move_to(CUTOFF)

    response = Client().get(url(booking))

    says(response, "Online changes close 24 hours before the visit.")
    says(response, f"To move or cancel now, please call or text {PHONE}.")
    assert "tel:+16192681397" in hrefs(response)
    assert url(booking, "move/") not in hrefs(response)
    assert url(booking, "cancel/") not in hrefs(response)
    does_not_say(response, "You can move or cancel online")


def test_one_second_before_the_cutoff_changes_are_still_offered(service, clock):
    booking = booked(service)
    clock.move_to(CUTOFF - timedelta(seconds=1))
    assert url(booking, "cancel/") in hrefs(Client().get(url(booking)))


@pytest.mark.parametrize("rest, method", CHANGE_PAGES)
def test_after_the_cutoff_changes_redirect_to_the_page_and_change_nothing(service, clock, rest, method):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    before, events = fresh(booking), booking.events.count()
    clock.move_to(CUTOFF)

    response = getattr(Client(), method)(url(booking, rest.format(slot=target.pk)), {"quoted_price_cents": 9900})

    assert (response.status_code, response.url) == (302, url(booking))
    unchanged(booking, before)
    assert booking.events.count() == events  # booked, nothing since


def test_cancelling_after_the_cutoff_is_refused_by_the_service(service, clock):
    booking = booked(service)
    clock.move_to(CUTOFF)

    with pytest.raises(
        BookingError, match=re.escape(f"Online changes close 24 hours before the visit. Please call {PHONE}")
    ):
        patient_cancel(booking=booking)
    with pytest.raises(BookingError, match="Online changes close"):
        patient_reschedule(booking=booking, slot_id=slot_at(service, OTHER_DAY, 11).pk, quoted_price_cents=9900)

    assert fresh(booking).status == Booking.Status.CONFIRMED
    assert moved_events(booking) == []


def test_cutoff_in_the_week_the_clocks_go_back_is_24_real_hours(service, clock):
    """Visit Monday Nov 2, 9:00 AM PST, the day after the clocks fall back: changes close Sunday 9:00 AM PST."""
    clock.move_to(local(date(2026, 10, 30), 12))
    booking = BookingFactory(slot=SlotFactory(service=service, starts_at=local(date(2026, 11, 2), 9)))

    says(Client().get(url(booking)), "You can move or cancel online until Sunday, November 1 at 9:00 AM.")
    clock.move_to(local(date(2026, 11, 1), 8, 59))
    assert Client().get(url(booking, "cancel/")).status_code == 200
    clock.move_to(local(date(2026, 11, 1), 9))
    assert Client().get(url(booking, "cancel/")).status_code == 302
    says(Client().get(url(booking)), "Online changes close 24 hours before the visit.")


def test_a_48_hour_cutoff_across_the_clock_change_counts_real_hours(service, clock, settings):
    """48 real hours before Monday Nov 2, 9:00 AM PST is Saturday Oct 31, 10:00 AM PDT (not 9:00 AM)."""
    settings.CANCELLATION_CUTOFF_HOURS = 48
    clock.move_to(local(date(2026, 10, 29), 12))
    booking = BookingFactory(slot=SlotFactory(service=service, starts_at=local(date(2026, 11, 2), 9)))

    says(Client().get(url(booking)), "You can move or cancel online until Saturday, October 31 at 10:00 AM.")
    clock.move_to(local(date(2026, 10, 31), 9, 30))
    assert Client().post(url(booking, "cancel/")).status_code == 302
    assert fresh(booking).status == Booking.Status.CANCELLED
