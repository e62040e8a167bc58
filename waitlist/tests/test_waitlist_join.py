"""Joining a waiting list: only when there is nothing free, one live entry per person, and the join links on
the offer and day pages.

The clock stops at Monday 2026-04-06, 10:00 AM in San Diego (PDT), outside quiet hours (21:00-08:00).
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16.
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from booking.rules import Patient
from booking.services import booking_cancel
from booking.tests.factories import local
from booking.tests.pages import does_not_say, hrefs, page, says
from clinic import cookies
from clinic.tests.factories import ClosureFactory
from waitlist.models import WaitlistEntry
from waitlist.services import AlreadyWaiting, place_in_line, waitlist_join
from waitlist.tests.helpers import ANN, BEN, CAT, DANA, MICHAEL, REGULAR_DAY, Status, fresh, full_day, slot_at, wait
from waitlist.tests.offers import fill
from waitlist.views import JOINED_COOKIE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

CLOSED_DAY = date(2026, 4, 14)  # a Tuesday the clinic closes (a closure)
ALREADY = "You are already on this waiting list: we will text or email you when a place opens."


def test_offer_list_redirects_to_booking_while_discounted_spots_are_free(client, promotion):
    fill(promotion)[0].delete()  # 7 of 8 taken
    url = f"/waitlist/offer/{promotion.pk}/"
    response = client.get(url)
    assert (response.status_code, response.url) == (302, "/book/")
    response = client.post(url, MICHAEL)
    assert (response.status_code, response.url) == (302, "/book/")
    assert not WaitlistEntry.objects.exists()


def test_offer_list_of_a_closed_offer_redirects_to_booking(client, promotion, clock):
    fill(promotion)
    clock.move_to(promotion.closes_at + timedelta(minutes=1))
    response = client.post(f"/waitlist/offer/{promotion.pk}/", MICHAEL)
    assert (response.status_code, response.url) == (302, "/book/")
    assert not WaitlistEntry.objects.exists()


def test_offer_list_after_the_visit_window_redirects_to_booking(client, promotion, clock):
    """The offer is still open until Monday April 20, but its last visit day was Thursday April 16."""
    fill(promotion)
    clock.move_to(local(date(2026, 4, 17), 10))
    assert promotion.closes_at > timezone.now()
    response = client.post(f"/waitlist/offer/{promotion.pk}/", MICHAEL)
    assert (response.status_code, response.url) == (302, "/book/")
    assert not WaitlistEntry.objects.exists()
    assert f"/waitlist/offer/{promotion.pk}/" not in hrefs(client.get("/"))


def test_offer_list_form_when_sold_out_has_a_label_for_every_field(client, promotion, sold_out):
    response = client.get(f"/waitlist/offer/{promotion.pk}/")
    says(response, "All 8 spots at $99 are taken.")
    says(response, "hold it for you for 30 minutes")
    says(response, "We never send offers between 9 PM and 8 AM.")  # the quiet hours the offers keep to
    says(response, "Text me when a place opens up (and about a booking it leads to)")
    says(response, "Full name")
    says(response, "Mobile phone")
    shown = page(response)
    fields = {c["name"]: c for c in shown.controls if c.get("name") != "csrfmiddlewaretoken"}
    assert set(fields) == {"name", "email", "phone", "sms_consent"}
    assert {c["id"] for c in fields.values()} <= set(shown.label_for)
    assert fields["sms_consent"]["type"] == "checkbox"
    assert "checked" not in fields["sms_consent"]  # texts are opt-in


def test_joining_the_offer_list_saves_the_entry_and_shows_the_place_in_line(client, promotion, sold_out):
    response = client.post(f"/waitlist/offer/{promotion.pk}/", MICHAEL)
    assert (response.status_code, response.url) == (302, "/waitlist/joined/")
    entry = WaitlistEntry.objects.get()
    assert (entry.promotion, entry.day, entry.service) == (promotion, None, promotion.service)
    assert (entry.name, entry.email, entry.phone, entry.sms_consent) == (
        "Michael Green",
        "michael@example.com",
        "+16195550123",
        True,
    )
    assert entry.status == Status.WAITING
    joined = client.get("/waitlist/joined/")
    says(joined, "You are number 1 waiting for a $99 spot (Launch week).")
    says(joined, "we text and email michael@example.com")

    other = Client()
    other.post(f"/waitlist/offer/{promotion.pk}/", DANA)
    joined = other.get("/waitlist/joined/")
    says(joined, "You are number 2 waiting for a $99 spot (Launch week).")
    says(joined, "we email dana@example.com")
    does_not_say(joined, "text and email")


def test_place_in_line_counts_only_live_entries_ahead(promotion, sold_out):
    ann, ben, cat = wait(promotion, ANN, BEN, CAT)
    assert [place_in_line(e) for e in (ann, ben, cat)] == [1, 2, 3]
    WaitlistEntry.objects.filter(pk=ann.pk).update(status=Status.REMOVED)
    assert [place_in_line(fresh(e)) for e in (ben, cat)] == [1, 2]


@pytest.mark.parametrize("cookie", [None, "{pk}", "{pk}:forged"])
def test_joined_page_without_joining_goes_to_the_landing_page(client, promotion, sold_out, cookie):
    [ann] = wait(promotion, ANN)  # someone else's entry: an unsigned or garbled cookie naming it shows nothing
    if cookie:
        client.cookies[JOINED_COOKIE] = cookie.format(pk=ann.pk)
    response = client.get("/waitlist/joined/")
    assert (response.status_code, response.url) == (302, "/")


def test_joined_page_with_a_signed_value_that_is_no_entry_number_goes_to_the_landing_page(client, promotion, sold_out):
    # Signed as the site signs it; "²" counts as a digit but is no number.
    signed = HttpResponse()
    cookies.remember(signed, JOINED_COOKIE, "²")
    client.cookies[JOINED_COOKIE] = signed.cookies[JOINED_COOKIE].value
    response = client.get("/waitlist/joined/")
    assert (response.status_code, response.url) == (302, "/")


def test_joining_keeps_no_session_for_the_patient(client, promotion, sold_out, settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.post(f"/waitlist/offer/{promotion.pk}/", MICHAEL)
        joined = client.get("/waitlist/joined/")
        says(joined, "You are number 1")
        assert "no-store" in joined["Cache-Control"]  # this browser's own place in line
        assert not Session.objects.exists()  # the entry this browser joined is in a signed cookie

        clock.shift(timedelta(minutes=settings.SESSION_IDLE_MINUTES, seconds=1))
        assert client.get("/waitlist/joined/").url == "/"  # the browser has forgotten it


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"name": ""}, "Enter your full name."),
        ({"name": "   "}, "Enter your full name."),
        ({"email": ""}, "Enter your email address."),
        ({"email": "michael@"}, "Enter an email address like name@example.com."),
        ({"phone": ""}, "Enter your mobile number."),
        ({"phone": "not a number"}, "Enter a mobile number such as (619) 555-0123."),
        ({"phone": "(619) 555-01"}, "That number does not look right. Check it and try again."),
    ],
)
def test_join_form_errors_answer_400_and_save_nothing(client, promotion, sold_out, changes, error):
    response = client.post(f"/waitlist/offer/{promotion.pk}/", {**MICHAEL, **changes})
    says(response, error, status=400)
    says(response, "There is a problem", status=400)
    assert not WaitlistEntry.objects.exists()


def test_join_form_with_every_field_missing_lists_each_error(client, promotion, sold_out):
    response = client.post(f"/waitlist/offer/{promotion.pk}/", {})
    says(response, "There is a problem", status=400)
    for error in ("Enter your full name.", "Enter your email address.", "Enter your mobile number."):
        says(response, error, status=400)
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize(
    "same_person",
    [
        {**DANA, "name": "Michael G", "email": "MICHAEL@Example.COM"},  # the same email in another case
        {**DANA, "phone": "619-555-0123"},  # the same phone, typed another way
        {**MICHAEL, "phone": "+1 619 555 0123"},
    ],
    ids=["email-other-case", "phone-other-format", "same-details"],
)
def test_one_live_entry_per_person_on_a_list(client, promotion, sold_out, same_person):
    assert client.post(f"/waitlist/offer/{promotion.pk}/", MICHAEL).status_code == 302
    response = Client().post(f"/waitlist/offer/{promotion.pk}/", same_person)
    says(response, ALREADY, status=409)
    assert WaitlistEntry.objects.count() == 1


def test_the_service_refuses_a_second_live_entry_and_allows_one_after_the_first_ended(promotion, sold_out):
    [ann] = wait(promotion, ANN)
    with pytest.raises(AlreadyWaiting):
        waitlist_join(
            service=promotion.service,
            patient=Patient(name="A Lee", email="ANN@EXAMPLE.COM", phone="+16195550999"),
            promotion=promotion,
        )
    WaitlistEntry.objects.filter(pk=ann.pk).update(status=Status.DECLINED)
    again = waitlist_join(service=promotion.service, patient=ANN, promotion=promotion)
    assert again.pk != ann.pk and again.position > ann.position
    assert WaitlistEntry.objects.filter(status__in=Status.live()).count() == 1


def test_the_same_person_may_wait_on_another_list(service, promotion, sold_out):
    wait(promotion, ANN)
    full_day(service, REGULAR_DAY)
    day_entry = waitlist_join(service=service, patient=ANN, day=REGULAR_DAY)
    assert (day_entry.day, day_entry.promotion, day_entry.position) == (REGULAR_DAY, None, 1)
    assert WaitlistEntry.objects.filter(email="ann@example.com", status=Status.WAITING).count() == 2


def test_landing_shows_the_join_link_only_when_sold_out(client, promotion, django_capture_on_commit_callbacks):
    bookings = fill(promotion)
    join = f"/waitlist/offer/{promotion.pk}/"
    response = client.get("/")
    says(response, "All 8 discounted spots are taken.")
    assert join in hrefs(response)

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=bookings[0], reason="Patient called")
    response = client.get("/")
    says(response, "1 of 8 discounted spots left")
    assert join not in hrefs(response)


def test_landing_has_no_join_link_once_the_offer_closed(client, promotion, clock):
    fill(promotion)
    clock.move_to(promotion.closes_at + timedelta(minutes=1))
    response = client.get("/")
    says(response, "The $99 offer has closed.")
    assert not [h for h in hrefs(response) if h and h.startswith("/waitlist/")]


def test_day_page_shows_the_join_link_only_when_the_day_is_full(client, service, django_capture_on_commit_callbacks):
    bookings = full_day(service, REGULAR_DAY)
    response = client.get("/book/2026-04-20/")
    says(response, "There are no times left to book online on this day.")
    assert "/waitlist/day/2026-04-20/" in hrefs(response)

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=bookings[0], reason="Patient called")
    response = client.get("/book/2026-04-20/")
    assert "/waitlist/day/2026-04-20/" not in hrefs(response)


def test_day_page_of_a_day_without_times_has_no_join_link(client, service):
    slot_at(service, REGULAR_DAY, 9)
    response = client.get("/book/2026-04-21/")  # no slots at all that day
    says(response, "There are no times left to book online on this day.")
    assert not [h for h in hrefs(response) if h and h.startswith("/waitlist/")]


def test_day_list_redirects_to_the_day_while_a_time_is_free(client, service):
    full_day(service, REGULAR_DAY)
    slot_at(service, REGULAR_DAY, 11)  # still free
    response = client.post("/waitlist/day/2026-04-20/", MICHAEL)
    assert (response.status_code, response.url) == (302, "/book/2026-04-20/")
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize(
    "day",
    [date(2026, 4, 21), CLOSED_DAY, date(2026, 6, 1)],
    ids=["no-times", "closed-day", "beyond-the-booking-window"],
)
def test_day_list_only_for_a_day_with_times_all_taken(client, service, day):
    if day == CLOSED_DAY:
        full_day(service, day)  # times made, then the clinic closed that day
        ClosureFactory(clinic=service.clinic, starts_on=day, ends_on=day)
    elif day == date(2026, 6, 1):
        full_day(service, day)  # full, but beyond BOOKING_DAYS_AHEAD
    response = client.post(f"/waitlist/day/{day:%Y-%m-%d}/", MICHAEL)
    assert (response.status_code, response.url) == (302, f"/book/{day:%Y-%m-%d}/")
    assert not WaitlistEntry.objects.exists()


def test_joining_a_full_day_saves_a_day_entry(client, service):
    full_day(service, REGULAR_DAY)
    response = client.get("/waitlist/day/2026-04-20/")
    says(response, "Monday, April 20 is fully booked.")
    response = client.post("/waitlist/day/2026-04-20/", MICHAEL)
    assert (response.status_code, response.url) == (302, "/waitlist/joined/")
    entry = WaitlistEntry.objects.get()
    assert (entry.service, entry.day, entry.promotion) == (service, REGULAR_DAY, None)
    says(client.get("/waitlist/joined/"), "You are number 1 waiting for a time on Mon Apr 20.")
    response = Client().post("/waitlist/day/2026-04-20/", {**DANA, "email": "Michael@example.com"})
    says(response, ALREADY, status=409)
    assert WaitlistEntry.objects.count() == 1
