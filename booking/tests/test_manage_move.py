"""Moving a visit through the private link: its pages, keeping or losing the discount, times it cannot move to,
and what the patient is told.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16.
A visit on PROMO_DAY (Wed April 8) at 10:00 AM may be changed online until Tue April 7, 10:00 AM.
"""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from booking.links import Purpose, manage_path, private_link
from booking.manage import patient_cancel, patient_reschedule
from booking.rules import SLOT_TAKEN, SLOT_UNAVAILABLE, Patient
from booking.selectors import featured_offer
from booking.services import BookingError, booking_create
from booking.signals import capacity_freed
from booking.tests.factories import BookingFactory, ServiceFactory, SlotFactory
from booking.tests.manage_helpers import OTHER_DAY, Kind, booked, fresh, moved_events, unchanged, url
from booking.tests.pages import (
    FRIENDLY_404,
    PROMO_DAY,
    REGULAR_DAY,
    does_not_say,
    hidden_fields,
    hrefs,
    page,
    says,
    slot_at,
)
from notifications.models import Message
from notifications.transports import text_as_sent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "offer")]

LOSES_DISCOUNT = "The discounted price is for visits from April 7 to April 16, so this time is at the regular rate."


# Moving: pages --------------------------------------------------------------------------------------


def test_move_days_page_lists_days_through_the_private_link(service):
    booking = booked(service)
    slot_at(service, OTHER_DAY, 11)
    slot_at(service, REGULAR_DAY, 9)

    response = Client().get(url(booking, "move/"))

    says(response, "Moving your visit of Wednesday, April 8 at 10:00 AM")
    says(response, "Active Back & Hip Reset Assessment, 60 minutes.")
    assert url(booking, f"move/{OTHER_DAY}/") in hrefs(response)
    assert url(booking, f"move/{REGULAR_DAY}/") in hrefs(response)
    assert not any((h or "").startswith("/book/20") for h in hrefs(response))
    assert url(booking) in hrefs(response)


def test_move_day_page_prices_each_time_as_a_move_and_leaves_out_the_current_time(service, promotion):
    booking = booked(service)  # $99, April 8 at 10:00
    same_day = slot_at(service, PROMO_DAY, 12)
    inside = slot_at(service, OTHER_DAY, 11)
    outside = slot_at(service, REGULAR_DAY, 9)

    day = Client().get(url(booking, f"move/{PROMO_DAY}/"))
    choices = [(h, t) for h, t in page(day).links if "/move/time/" in (h or "")]
    assert choices == [(url(booking, f"move/time/{same_day.pk}/"), "12:00 PM $99 · discounted")]

    inside_day = Client().get(url(booking, f"move/{OTHER_DAY}/"))
    assert (url(booking, f"move/time/{inside.pk}/"), "11:00 AM $99 · discounted") in page(inside_day).links
    outside_day = Client().get(url(booking, f"move/{REGULAR_DAY}/"))
    assert (url(booking, f"move/time/{outside.pk}/"), "9:00 AM $175") in page(outside_day).links


def test_move_day_for_an_impossible_date_is_404(service):
    booking = booked(service)
    assert Client().get(url(booking, "move/2026-02-30/")).status_code == 404


# Moving: keeping or losing the discount -------------------------------------------------------------


def test_move_inside_the_visit_window_keeps_the_discount(service, promotion):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)

    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    says(review, "From Wednesday, April 8 at 10:00 AM")
    says(review, "To Thursday, April 9 at 11:00 AM (Pacific time)")
    says(review, "Price $99 discounted")
    does_not_say(review, "regular rate")
    assert hidden_fields(review) == {"quoted_price_cents": "9900"}

    response = Client().post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review))

    moved = fresh(booking)
    assert (response.status_code, response.url) == (302, manage_path(moved))
    assert (moved.slot, moved.price_cents, moved.promotion, moved.status) == (target, 99_00, promotion, "confirmed")
    assert moved_events(booking) == ["Moved from Wed Apr 8, 10:00 AM"]
    says(Client().get(response.url), "Thursday, April 9, 2026 at 11:00 AM")


def test_move_outside_the_visit_window_goes_to_the_regular_price_after_asking(service, promotion):
    booking = booked(service)
    target = slot_at(service, REGULAR_DAY, 9)
    assert featured_offer(now=timezone.now()).spots_left == 7

    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    says(review, "Price $175 (now $99)")
    says(review, LOSES_DISCOUNT)
    says(review, "Move my visit at $175")
    assert hidden_fields(review) == {"quoted_price_cents": "17500"}

    # The old price, posted from a page that showed it, moves nothing and tells the new one.
    stale = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})
    says(stale, LOSES_DISCOUNT, status=409)
    says(stale, "Price $175", status=409)
    assert hidden_fields(stale) == {"quoted_price_cents": "17500"}
    before = fresh(booking)
    assert (before.slot_id, before.price_cents, before.promotion) == (booking.slot_id, 99_00, promotion)
    assert moved_events(booking) == []

    moved = Client().post(url(booking, f"move/time/{target.pk}/"), hidden_fields(stale))

    booking = fresh(booking)
    assert moved.status_code == 302
    assert (booking.slot, booking.price_cents, booking.promotion) == (target, 175_00, None)
    says(Client().get(moved.url), "$175, due at the visit")
    # The discounted spot it gave up is free for someone else.
    assert featured_offer(now=timezone.now()).spots_left == 8
    landing = Client().get("/")
    assert page(landing).by_id["spots-left"] == "8 of 8 discounted spots left"


def test_a_regular_price_booking_stays_regular_when_it_moves_into_the_window(service, promotion):
    booking = booked(service, REGULAR_DAY, 9)
    assert (booking.price_cents, booking.promotion) == (175_00, None)
    target = slot_at(service, PROMO_DAY, 12)

    day = Client().get(url(booking, f"move/{PROMO_DAY}/"))
    assert (url(booking, f"move/time/{target.pk}/"), "12:00 PM $175") in page(day).links
    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    says(review, "Price $175")
    does_not_say(review, "discounted")

    cheaper = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})
    assert cheaper.status_code == 409
    assert fresh(booking).slot_id == booking.slot_id

    assert Client().post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review)).status_code == 302
    booking = fresh(booking)
    assert (booking.slot, booking.price_cents, booking.promotion) == (target, 175_00, None)
    assert featured_offer(now=timezone.now()).spots_left == 8


@pytest.mark.parametrize(
    "hour, minute, day, price, kept",
    [(23, 30, date(2026, 4, 16), "$99", True), (0, 30, date(2026, 4, 17), "$175", False)],
    ids=["last-evening-of-the-window", "first-minutes-after-it"],
)
def test_the_visit_window_is_counted_in_clinic_days(service, promotion, settings, hour, minute, day, price, kept):
    settings.TIME_ZONE = "UTC"  # April 16, 11:30 PM in San Diego is already April 17 in UTC
    booking = booked(service)
    target = slot_at(service, day, hour, minute)

    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    says(review, f"Price {price}")
    Client().post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review))

    booking = fresh(booking)
    assert booking.slot == target
    assert (booking.promotion == promotion) is kept


def test_a_raised_regular_price_on_a_move_is_asked_for_and_the_visit_does_not_move_meanwhile(service):
    booking = booked(service, REGULAR_DAY, 9)
    target = slot_at(service, REGULAR_DAY, 11)
    service.regular_price_cents = 200_00
    service.save()

    stale = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "17500"})

    says(stale, "The price for this time has changed. This time is $200.", status=409)
    says(stale, "Your visit has not moved", status=409)
    does_not_say(stale, "Nothing is booked yet")
    assert hidden_fields(stale) == {"quoted_price_cents": "20000"}
    assert fresh(booking).slot_id == booking.slot_id


@pytest.mark.parametrize("price", ["", "ninety-nine", "-1", "99.5"])
def test_a_garbled_move_post_is_400_and_moves_nothing(service, price):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    before = fresh(booking)

    response = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": price})

    assert response.status_code == 400
    unchanged(booking, before)


# Moving: times that cannot be had -------------------------------------------------------------------


def test_moving_into_a_full_slot_is_refused_and_changes_nothing(service):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    BookingFactory(slot=target)
    before = fresh(booking)

    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    posted = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})

    says(review, SLOT_TAKEN, status=409)
    says(posted, SLOT_TAKEN, status=409)
    unchanged(booking, before)
    with pytest.raises(BookingError, match=str(SLOT_TAKEN)):
        patient_reschedule(booking=booking, slot_id=target.pk, quoted_price_cents=99_00)
    unchanged(booking, before)


def test_a_slot_taken_between_review_and_move_is_refused(service):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    assert review.status_code == 200
    quick = Patient(name="Quick Runner", email="quick@example.com", phone="+16195550188")
    booking_create(slot_id=target.pk, patient=quick, quoted_price_cents=99_00)
    before = fresh(booking)

    posted = Client().post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review))

    says(posted, SLOT_TAKEN, status=409)
    unchanged(booking, before)


def _blocked(service):
    return slot_at(service, OTHER_DAY, 11, is_blocked=True)


def _too_soon(service):
    return SlotFactory(service=service, starts_at=timezone.now() + timedelta(hours=1))


def _in_the_past(service):
    return SlotFactory(service=service, starts_at=timezone.now() - timedelta(days=1))


def _too_far_ahead(service):
    return SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=60))


def _service_paused(service):
    slot = slot_at(service, OTHER_DAY, 11)
    type(service).objects.filter(pk=service.pk).update(is_active=False)
    return slot


def _other_service(service):
    return slot_at(ServiceFactory(clinic=service.clinic, name="Gait clinic"), OTHER_DAY, 11)


class _Missing:
    pk = 999_999


@pytest.mark.parametrize(
    "make, phrase, status",
    [
        *[
            (make, SLOT_UNAVAILABLE, 409)
            for make in (_blocked, _too_soon, _in_the_past, _too_far_ahead, _service_paused)
        ],
        (_other_service, FRIENDLY_404, 404),
        (lambda service: _Missing(), FRIENDLY_404, 404),
    ],
    ids=["blocked", "too-soon", "in-the-past", "too-far-ahead", "service-paused", "other-service", "missing"],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_moving_to_a_time_it_cannot_move_to_is_refused_and_changes_nothing(service, make, phrase, status, method):
    booking = booked(service)
    target = make(service)
    before = fresh(booking)

    response = getattr(Client(), method)(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})

    says(response, phrase, status=status)
    unchanged(booking, before)


@pytest.mark.parametrize("method", ["get", "post"])
def test_moving_to_the_time_it_is_at_goes_back_to_the_booking(service, method):
    booking = booked(service)
    before = fresh(booking)

    response = getattr(Client(), method)(url(booking, f"move/time/{booking.slot_id}/"), {"quoted_price_cents": "9900"})

    assert (response.status_code, response.url) == (302, url(booking))
    unchanged(booking, before)


def test_a_second_click_on_move_moves_once(service):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    browser = Client()
    review = browser.get(url(booking, f"move/time/{target.pk}/"))

    first = browser.post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review))
    second = browser.post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review))

    assert first.status_code == 302
    assert (second.status_code, second.url) == (302, first.url)  # the booking's page, not an error
    assert fresh(booking).slot == target
    assert len(moved_events(booking)) == 1
    assert Message.objects.filter(booking=booking, kind=Kind.RESCHEDULE).count() == 1


def test_the_service_refuses_a_move_to_the_same_slot(service):
    booking = booked(service)
    with pytest.raises(BookingError, match="already at this time"):
        patient_reschedule(booking=booking, slot_id=booking.slot_id, quoted_price_cents=99_00)


def test_a_cancelled_booking_cannot_be_moved(service):
    booking = booked(service)
    patient_cancel(booking=booking)
    target = slot_at(service, OTHER_DAY, 11)

    response = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})

    assert (response.status_code, response.url) == (302, url(booking))
    assert fresh(booking).slot_id == booking.slot_id
    assert not target.bookings.exists()
    with pytest.raises(BookingError):
        patient_reschedule(booking=fresh(booking), slot_id=target.pk, quoted_price_cents=99_00)


# Moving: what the patient is told, and the old link -------------------------------------------------


def test_a_move_queues_a_reschedule_notice_with_the_new_time_and_link(service, promotion):
    michael = Patient(name="Michael Green", email="michael@example.com", phone="+16195550123", sms_consent=True)
    booking = booked(service, patient=michael)
    target = slot_at(service, OTHER_DAY, 11)
    freed = []
    capacity_freed.connect(lambda sender, booking, **kw: freed.append(booking.pk), weak=False, dispatch_uid="t")
    try:
        Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})
    finally:
        capacity_freed.disconnect(dispatch_uid="t")

    booking = fresh(booking)
    assert freed == [booking.pk]
    notices = {m.channel: m for m in Message.objects.filter(booking=booking, kind=Kind.RESCHEDULE)}
    assert set(notices) == {"email", "sms"}
    email, sms = notices["email"], notices["sms"]
    assert email.subject == "Your visit is now Thu Apr 9, 11:00 AM"
    assert "Your visit has moved from Wednesday, April 8 at 10:00 AM to:" in email.body
    assert "Thursday, April 9, 2026 at 11:00 AM (PDT)" in email.body
    assert "your visit is now Thu Apr 9 at 11:00 AM" in sms.body
    for message in (email, sms):
        assert private_link(booking, Purpose.MANAGE) in text_as_sent(message)


def test_the_old_link_still_opens_the_booking_and_shows_the_new_time(service):
    booking = booked(service)
    old = url(booking)
    target = slot_at(service, OTHER_DAY, 11)
    Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})

    response = Client().get(old)

    says(response, "Thursday, April 9, 2026 at 11:00 AM")
    does_not_say(response, "Wednesday, April 8, 2026")


def test_moving_back_and_forth_tells_the_patient_every_time(service, clock):
    booking = booked(service)
    first, second = booking.slot, slot_at(service, OTHER_DAY, 11)

    for target in (second, first, second):
        clock.shift(timedelta(minutes=5))
        patient_reschedule(booking=fresh(booking), slot_id=target.pk, quoted_price_cents=99_00)

    assert fresh(booking).slot == second
    notices = Message.objects.filter(booking=booking, kind=Kind.RESCHEDULE).order_by("created_at", "pk")
    assert [m.subject for m in notices] == [
        "Your visit is now Thu Apr 9, 11:00 AM",
        "Your visit is now Wed Apr 8, 10:00 AM",
        "Your visit is now Thu Apr 9, 11:00 AM",
    ]
