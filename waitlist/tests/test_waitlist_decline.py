"""Letting an offered place go: asked first, with the time; then the page says what really became of it.

The clock stops at Monday 2026-04-06, 10:00 AM in San Diego (PDT), outside quiet hours (21:00-08:00).
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16; its spots are all booked on
Wednesday April 8 from 9 AM, and Ann, Ben and Cat wait in that order. A cancellation of the 9 AM visit offers
it to Ann.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from booking.links import Purpose, private_token
from booking.models import Booking, BookingEvent
from booking.services import booking_cancel
from booking.tests.pages import does_not_say, page, says, type_code
from waitlist.models import WaitlistEntry
from waitlist.services import LAPSED, offers_make
from waitlist.tests.helpers import NOW, Status, fresh, statuses

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

NEXT_PERSON = "We are offering the place to the next person waiting."
ANYONE = "No one else was waiting, so the time is open again for anyone to book."


@pytest.fixture
def offered(promotion, sold_out, line) -> WaitlistEntry:
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    return fresh(line[0])


def alone(line) -> None:
    """Ben and Cat are no longer waiting: Ann is the only one on the list."""
    WaitlistEntry.objects.filter(pk__in=[e.pk for e in line[1:]]).update(status=Status.REMOVED)


def token(entry: WaitlistEntry) -> str:
    return private_token(entry.booking, Purpose.CLAIM)


def decline_path(entry: WaitlistEntry) -> str:
    return reverse("waitlist:decline", args=[token(entry)])


def offer_path(entry: WaitlistEntry) -> str:
    return reverse("waitlist:offer", args=[token(entry)])


def test_the_offer_links_to_a_page_that_asks_first_with_the_time(client, offered):
    assert decline_path(offered) in [href for href, _ in page(client.get(offer_path(offered))).links]

    response = client.get(decline_path(offered))

    says(response, "Let this place go?")
    says(response, "We are holding Wednesday, April 8 at 9:00 AM (PDT) for you until 10:30 AM.")
    says(response, "If you let it go, we offer it to the next person waiting, and you leave the waiting list.")
    says(response, "Yes, let the place go")
    assert offer_path(offered) in [href for href, _ in page(response).links]  # "No, keep it"
    assert response["Cache-Control"].startswith("max-age=0")
    assert fresh(offered).status == Status.OFFERED  # asking changes nothing
    assert fresh(offered).booking.status == Booking.Status.HELD


def test_asking_when_no_one_else_waits_says_the_time_opens_to_anyone(client, offered, line):
    alone(line)
    response = client.get(decline_path(offered))
    says(response, "If you let it go, it is open again for anyone to book, as no one else is waiting")
    does_not_say(response, "next person")


def test_declining_lets_the_place_go_to_the_next_person_and_says_so(client, offered, line):
    held = offered.booking

    response = client.post(decline_path(offered))

    assert (response.status_code, response.url) == (302, offer_path(offered))
    says(client.get(response.url), NEXT_PERSON)
    held.refresh_from_db()
    assert held.status == Booking.Status.EXPIRED
    assert statuses(*line) == [Status.DECLINED, Status.WAITING, Status.WAITING]
    # Once the sweep has offered it to Ben, and no one else waits, the page still says where it went.
    WaitlistEntry.objects.filter(pk=line[2].pk).update(status=Status.REMOVED)
    assert offers_make() == 1
    assert statuses(*line[:2]) == [Status.DECLINED, Status.OFFERED]
    says(client.get(offer_path(offered)), NEXT_PERSON)


def test_declining_with_no_one_else_waiting_says_the_time_is_open_to_anyone(client, offered, line):
    alone(line)
    client.post(decline_path(offered))
    response = client.get(offer_path(offered))
    says(response, ANYONE)
    does_not_say(response, "next person")


def test_declining_twice_changes_nothing_more(client, offered, line):
    client.post(decline_path(offered))
    events = BookingEvent.objects.count()

    again = client.post(decline_path(offered))

    assert (again.status_code, again.url) == (302, offer_path(offered))
    says(client.get(again.url), "Thanks for letting us know")
    assert BookingEvent.objects.count() == events
    assert statuses(*line) == [Status.DECLINED, Status.WAITING, Status.WAITING]
    # Asking again after declining goes to the page that says what became of the place.
    assert client.get(decline_path(offered)).url == offer_path(offered)


def test_declining_after_the_offer_lapsed_changes_nothing(client, offered, line, clock):
    clock.move_to(NOW + timedelta(minutes=31))
    assert client.get(decline_path(offered)).url == offer_path(offered)  # nothing left to let go
    offers_make()
    assert statuses(*line) == [Status.LAPSED, Status.OFFERED, Status.WAITING]

    response = client.post(decline_path(offered))

    assert response.url == offer_path(offered)
    assert fresh(offered).status == Status.LAPSED
    assert fresh(line[1]).booking.status == Booking.Status.HELD  # Ben's offer is untouched


def test_a_lapsed_offer_says_the_place_is_open_to_anyone_when_no_one_else_waits(client, offered, line, clock):
    alone(line)
    clock.move_to(NOW + timedelta(minutes=31))

    response = client.post(offer_path(offered), {"answer": "claim"})

    says(response, LAPSED, status=409)
    says(response, "The time was held for you until 10:30 AM; it is open again for anyone to book.", status=409)
    does_not_say(response, "next person")


def test_a_lapsed_offer_says_the_place_goes_to_the_next_person_when_someone_waits(client, offered, clock):
    clock.move_to(NOW + timedelta(minutes=31))
    response = client.get(offer_path(offered))
    says(response, "The time was held for you until 10:30 AM and is being offered to the next person waiting.")


def test_the_decline_posts_are_rate_limited(client, offered):
    for _ in range(30):
        client.post(decline_path(offered))
    refused = client.post(decline_path(offered))
    says(refused, "Please wait a moment", status=429)
    says(refused, "(619) 268-1397", status=429)


def test_declining_a_place_booked_a_moment_ago_in_another_window_keeps_the_booking(client, offered, line):
    client.post(offer_path(offered), {"answer": "claim"})
    type_code(client, fresh(offered).booking)  # booked; the sweep has not settled the offer yet

    assert client.get(decline_path(offered)).url == offer_path(offered)  # nothing to let go
    client.post(decline_path(offered))

    assert fresh(offered).status == Status.BOOKED
    assert fresh(offered).booking.status == Booking.Status.CONFIRMED
    says(client.get(offer_path(offered)), "It’s yours, Ann")
    assert statuses(*line[1:]) == [Status.WAITING, Status.WAITING]
