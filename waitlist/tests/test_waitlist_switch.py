"""Choosing another time for a place offered from the waiting list: the times shown, the hold moved (one hold, the
same place and end), and every time it cannot move to.

The clock stops at Monday 2026-04-06, 10:00 AM in San Diego (PDT), outside quiet hours (21:00-08:00).
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16; its spots are all booked on
Wednesday April 8 from 9 AM, and Ann, Ben and Cat wait in that order. A cancellation of the 9 AM visit offers
it to Ann.
"""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.links import Purpose, manage_path, private_token
from booking.models import Booking, BookingEvent, Payment
from booking.rules import SLOT_TAKEN, SLOT_UNAVAILABLE
from booking.services import HOLD_LAPSED, booking_cancel
from booking.tests.factories import BookingFactory, ServiceFactory, SlotFactory, local
from booking.tests.pages import does_not_say, says, type_code
from clinic.tests.html import html
from waitlist.models import WaitlistEntry
from waitlist.services import BOOKED_ALREADY, HOLD_CHANGED, NOT_IN_THIS_OFFER, PAYING, offers_make, waitlist_join
from waitlist.tests.helpers import ANN, BEN, CAT, NOW, REGULAR_DAY, Status, active_discounted, fresh, full_day, slot_at
from waitlist.views import CHOOSE_A_TIME

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

WEDNESDAY, THURSDAY = date(2026, 4, 8), date(2026, 4, 9)


@pytest.fixture
def times(service):
    """Times besides the one offered: two free on Thursday, inside the offer's window; one after the window; one
    taken; one blocked; one of another service."""
    return SimpleNamespace(
        thu_10=slot_at(service, THURSDAY, 10),
        thu_11=slot_at(service, THURSDAY, 11),
        after_the_window=slot_at(service, REGULAR_DAY, 10),
        taken=BookingFactory(slot=slot_at(service, THURSDAY, 14)).slot,
        blocked=slot_at(service, THURSDAY, 15, is_blocked=True),
        other_service=SlotFactory(service=ServiceFactory(clinic=service.clinic), starts_at=local(THURSDAY, 12)),
    )


@pytest.fixture
def offered(promotion, sold_out, line, times) -> WaitlistEntry:
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    ann = fresh(line[0])
    assert ann.status == Status.OFFERED and ann.booking.slot == sold_out[0].slot
    return ann


def claim_path(entry: WaitlistEntry) -> str:
    return reverse("waitlist:offer", args=[private_token(entry.booking, Purpose.CLAIM)])


def switch(client, entry: WaitlistEntry, slot_id):
    return client.post(claim_path(entry), {"answer": "switch", "slot": slot_id})


def time_buttons(response) -> dict[str, str]:
    """Each other time the page offers: the slot it moves to, and what the button says to a screen reader (its
    label, which holds the time the button shows)."""
    buttons = html(response).find_all("button", name="slot")
    assert all(button.text.strip() in button.attrs["aria-label"] for button in buttons)
    return {button.attrs["value"]: button.attrs["aria-label"] for button in buttons}


def held(entry: WaitlistEntry) -> Booking:
    return Booking.objects.select_related("slot").get(pk=entry.booking_id)


# The times shown -------------------------------------------------------------------------------------------


def test_the_claim_page_lists_the_other_free_times_of_the_offer_by_day(client, offered, times):
    response = client.get(claim_path(offered))

    says(response, "Would another time suit you better?")
    says(response, "These times are free too, at the same $99.")
    says(response, "Thursday, April 9")
    assert time_buttons(response) == {
        str(times.thu_10.pk): "Hold Thursday, April 9 at 10:00 AM instead",
        str(times.thu_11.pk): "Hold Thursday, April 9 at 11:00 AM instead",
    }  # not the time held, a taken, blocked or too-soon one, one after the window, nor another service's


def test_with_no_other_free_time_the_page_offers_none(client, promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    response = client.get(claim_path(fresh(line[0])))
    says(response, "A place opened up for you")
    does_not_say(response, "Would another time suit you better?")
    assert time_buttons(response) == {}


# Moving the hold -------------------------------------------------------------------------------------------


def test_choosing_another_time_moves_the_same_hold_and_keeps_the_place_and_its_end(client, offered, times, sold_out):
    before = held(offered)

    response = switch(client, offered, times.thu_11.pk)

    assert (response.status_code, response.url) == (302, claim_path(offered) + "?moved=1")
    after = held(offered)
    assert after.pk == before.pk and after.reference == before.reference  # the claim link still opens it
    assert (after.slot, after.status, after.hold_expires_at) == (
        times.thu_11,
        Booking.Status.HELD,
        before.hold_expires_at,
    )
    assert (after.price_cents, after.promotion_id) == (99_00, before.promotion_id)
    assert Booking.objects.filter(email="ann@example.com").count() == 1  # one hold, never two
    assert not sold_out[0].slot.bookings.active(timezone.now()).exists()  # the time left is free again
    assert active_discounted(offered.promotion) == offered.promotion.spots  # the spot is still Ann's only
    assert fresh(offered).status == Status.OFFERED
    event = BookingEvent.objects.filter(booking=after).latest("pk")
    assert (event.note, event.moved_from) == ("Hold moved from Wed Apr 8, 9:00 AM", sold_out[0].slot)

    page = client.get(response.url)
    says(page, "Done: this is the time we are holding for you now.")
    says(page, "Thursday, April 9 at 11:00 AM")
    says(page, "We are holding it until 10:30 AM.")
    assert str(sold_out[0].slot.pk) in time_buttons(page)  # the time left may be chosen back
    assert str(times.thu_11.pk) not in time_buttons(page)


def test_claiming_after_choosing_books_the_time_chosen(client, offered, times, promotion):
    switch(client, offered, times.thu_10.pk)

    claimed = client.post(claim_path(offered), {"answer": "claim", "held": times.thu_10.pk})
    booking = held(offered)
    assert (claimed.status_code, claimed.url) == (302, f"/booking/{booking.reference}/verify/")  # a discounted spot
    response = type_code(client, booking)

    booking.refresh_from_db()
    assert (response.status_code, response.url) == (302, manage_path(booking))
    assert (booking.status, booking.slot, booking.price_cents, booking.promotion) == (
        Booking.Status.CONFIRMED,
        times.thu_10,
        99_00,
        promotion,
    )
    assert active_discounted(promotion) == promotion.spots


def test_choosing_the_time_already_held_changes_nothing(client, offered):
    before = held(offered)
    response = switch(client, offered, before.slot_id)
    assert response.status_code == 302
    assert held(offered).slot_id == before.slot_id
    assert not BookingEvent.objects.filter(booking=before, note__startswith="Hold moved").exists()


@pytest.mark.parametrize(
    ("time", "refusal"),
    [
        ("taken", SLOT_TAKEN),
        ("blocked", SLOT_UNAVAILABLE),
        ("after_the_window", NOT_IN_THIS_OFFER),  # at the regular rate: not a discounted time
        ("other_service", NOT_IN_THIS_OFFER),
        ("no_such_time", NOT_IN_THIS_OFFER),
    ],
)
def test_a_time_the_place_cannot_move_to_is_refused_and_the_hold_stays(client, offered, times, time, refusal):
    before = held(offered)
    slot_id = getattr(times, time).pk if time != "no_such_time" else 999_999

    response = switch(client, offered, slot_id)

    says(response, refusal, status=409)
    says(response, "A place opened up for you", status=409)  # the offer as it stands, to claim or move again
    after = held(offered)
    assert (after.slot_id, after.status, after.hold_expires_at) == (
        before.slot_id,
        Booking.Status.HELD,
        before.hold_expires_at,
    )
    assert Booking.objects.filter(email="ann@example.com").count() == 1


def test_a_time_too_soon_to_book_online_is_refused(client, offered, times, settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 80  # Thursday 10 AM is 72 hours away
    says(switch(client, offered, times.thu_10.pk), SLOT_UNAVAILABLE, status=409)
    assert held(offered).slot_id != times.thu_10.pk


@pytest.mark.parametrize("slot", ["", "soon", "²", "-1", "1e3", "9" * 12])
def test_a_switch_without_a_time_is_400_and_changes_nothing(client, offered, slot):
    before = held(offered)
    says(switch(client, offered, slot), CHOOSE_A_TIME, status=400)
    assert held(offered).slot_id == before.slot_id


def test_moving_a_place_that_lapsed_is_refused(client, offered, times, clock):
    clock.move_to(NOW + timedelta(minutes=30))

    response = switch(client, offered, times.thu_10.pk)

    says(response, HOLD_LAPSED, status=409)
    says(response, "This offer has ended", status=409)
    assert held(offered).slot_id != times.thu_10.pk
    offers_make()  # the sweep closes it; moving it is still refused
    says(switch(client, offered, times.thu_10.pk), "Sorry, this offer has ended", status=409)
    assert not times.thu_10.bookings.exists()


def test_a_claim_from_a_page_shown_before_a_move_in_another_window_is_refused(client, offered, times, sold_out):
    first_time = held(offered).slot_id
    switch(client, offered, times.thu_11.pk)  # in another window

    response = client.post(claim_path(offered), {"answer": "claim", "held": first_time})

    says(response, HOLD_CHANGED, status=409)
    says(response, "Thursday, April 9 at 11:00 AM", status=409)  # what is held now
    assert held(offered).status == Booking.Status.HELD
    assert not Booking.objects.filter(email="ann@example.com", status=Booking.Status.CONFIRMED).exists()


def test_a_place_being_paid_for_cannot_move(client, stripe_recorder, offered, times):
    assert client.post(claim_path(offered), {"answer": "claim"}).status_code == 303  # on to Stripe Checkout
    assert held(offered).payments.get().status == Payment.Status.OPEN

    response = switch(client, offered, times.thu_10.pk)

    says(response, PAYING, status=409)
    assert held(offered).slot_id != times.thu_10.pk


def test_the_switch_form_posts_are_rate_limited(client, offered, times):
    for _ in range(15):
        switch(client, offered, times.thu_10.pk)
        switch(client, offered, times.thu_11.pk)
    refused = switch(client, offered, times.thu_10.pk)
    says(refused, "Please wait a moment", status=429)
    says(refused, "(619) 268-1397", status=429)  # the clinic's phone
    assert held(offered).slot_id == times.thu_11.pk


# A place on a day's list ------------------------------------------------------------------------------------


def test_a_day_offer_moves_within_its_day_and_the_time_left_goes_to_the_next_person(client, service):
    full = full_day(service, REGULAR_DAY, hours=(9, 10))
    ann, ben, cat = (waitlist_join(service=service, patient=p, day=REGULAR_DAY) for p in (ANN, BEN, CAT))
    noon = slot_at(service, REGULAR_DAY, 12)  # the clinic opened one more time that day
    next_day = slot_at(service, REGULAR_DAY + timedelta(days=1), 9)
    booking_cancel(booking=full[0], reason="Patient called")
    offers_make()
    assert (held(fresh(ann)).slot, held(fresh(ben)).slot) == (full[0].slot, noon)  # each holds one time
    booking_cancel(booking=full[1], reason="Patient called")  # before the next sweep

    ann = fresh(ann)
    assert time_buttons(client.get(claim_path(ann))) == {
        str(full[1].slot.pk): "Hold Monday, April 20 at 10:00 AM instead"
    }
    says(switch(client, ann, next_day.pk), NOT_IN_THIS_OFFER, status=409)  # another day
    assert switch(client, ann, full[1].slot.pk).status_code == 302
    assert (held(ann).slot, held(ann).price_cents) == (full[1].slot, service.regular_price_cents)

    assert offers_make() == 1
    assert held(fresh(cat)).slot == full[0].slot  # the time Ann left went to the next person waiting
    assert [b.slot for b in Booking.objects.filter(email="ann@example.com")] == [full[1].slot]


def test_a_place_booked_in_another_window_shows_as_booked_and_does_not_move(client, offered, times):
    client.post(claim_path(offered), {"answer": "claim"})
    type_code(client, held(offered))  # booked; the sweep has not settled the offer yet
    assert fresh(offered).status == Status.OFFERED

    page = client.get(claim_path(offered))
    says(page, "It’s yours, Ann")
    assert time_buttons(page) == {}
    refused = switch(client, offered, times.thu_10.pk)
    says(refused, BOOKED_ALREADY, status=409)
    says(refused, "It’s yours, Ann", status=409)
    assert held(offered).slot_id != times.thu_10.pk
