"""The waiting list: joining it, offers made down it in order, and claiming or declining an offer.

The clock stops at Monday 2026-04-06, 10:00 AM in San Diego (PDT), outside quiet hours (21:00-08:00).
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16.
"""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail, signing
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking.links import Purpose, manage_path, private_link, private_token
from booking.models import Booking
from booking.rules import Patient
from booking.services import (
    booking_cancel,
    booking_confirm,
    booking_create,
    booking_release_hold,
    booking_reschedule,
)
from booking.tests.factories import BookingFactory, PromotionFactory, ServiceFactory, SlotFactory, local
from booking.tests.pages import does_not_say, hrefs, page, says, type_code
from clinic import cookies
from clinic.tests.factories import ClosureFactory
from notifications.models import Message
from notifications.transports import text_as_sent
from waitlist import tasks
from waitlist.models import WaitlistEntry
from waitlist.services import (
    AlreadyWaiting,
    OfferClosed,
    offer_claim,
    offer_decline,
    offers_make,
    place_in_line,
    waitlist_join,
)
from waitlist.tests.offers import PROMO_DAY, fill
from waitlist.views import JOINED_COOKIE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

TODAY = date(2026, 4, 6)  # a Monday
NOW = local(TODAY, 10)
REGULAR_DAY = date(2026, 4, 20)  # Monday, after the visit window
CLOSED_DAY = date(2026, 4, 14)  # a Tuesday the clinic closes (a closure)

Status = WaitlistEntry.Status
OFFER = Message.Kind.WAITLIST_OFFER
ENDED = "Sorry, this offer has ended and the time has gone to the next person waiting."
ALREADY = "You are already on this waiting list: we will text or email you when a place opens."

ANN = Patient(name="Ann Lee", email="ann@example.com", phone="+16195550101", sms_consent=True)
BEN = Patient(name="Ben Ortiz", email="ben@example.com", phone="+16195550102", sms_consent=False)
CAT = Patient(name="Cat Moss", email="cat@example.com", phone="+16195550103", sms_consent=True)

MICHAEL = {"name": "Michael Green", "email": "michael@example.com", "phone": "(619) 555-0123", "sms_consent": "on"}
DANA = {"name": "Dana Cruz", "email": "dana@example.com", "phone": "(858) 555-0199"}  # no texts

HEALTH_WORDS = re.compile(
    r"\b(pain|painful|numb|sciatica|injury|injured|symptoms?|diagnosis|surgery|knee|hip|spine|back|low-back)\b",
    re.IGNORECASE,
)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def slot_at(service, day: date, hour: int, **kwargs):
    return SlotFactory(service=service, starts_at=local(day, hour), **kwargs)


def wait(promotion, *patients) -> list[WaitlistEntry]:
    return [waitlist_join(service=promotion.service, patient=p, promotion=promotion) for p in patients]


def fresh(entry: WaitlistEntry) -> WaitlistEntry:
    entry.refresh_from_db()
    return entry


def statuses(*entries) -> list[str]:
    return [fresh(e).status for e in entries]


def offers_to(recipient: str) -> list[Message]:
    return list(Message.objects.filter(kind=OFFER, recipient=recipient).order_by("channel"))


def active_discounted(promotion) -> int:
    return promotion.bookings.active(timezone.now()).count()


def claim_token(entry: WaitlistEntry) -> str:
    """The claim link's token for the place offered to `entry` (as the offer's messages carry it)."""
    return private_token(offered_booking(entry), Purpose.CLAIM)


def claim_link(entry: WaitlistEntry) -> str:
    return private_link(offered_booking(entry), Purpose.CLAIM)


def offered_booking(entry: WaitlistEntry) -> Booking:
    return WaitlistEntry.objects.select_related("booking").get(pk=entry.pk).booking


def claim_path(entry: WaitlistEntry) -> str:
    return reverse("waitlist:offer", args=[claim_token(entry)])


# Joining: only when there is nothing free --------------------------------------------------------


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
    says(response, "Please correct the highlighted field below.", status=400)
    assert not WaitlistEntry.objects.exists()


def test_join_form_with_every_field_missing_lists_each_error(client, promotion, sold_out):
    response = client.post(f"/waitlist/offer/{promotion.pk}/", {})
    says(response, "Please correct the highlighted fields below.", status=400)
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


def full_day(service, day: date, hours=(9, 10), **booking) -> list[Booking]:
    return [BookingFactory(slot=slot_at(service, day, hour), **booking) for hour in hours]


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


# Offers, in order ------------------------------------------------------------------------------


@pytest.fixture
def line(promotion, sold_out) -> list[WaitlistEntry]:
    """Ann (texts), Ben (no texts) and Cat (texts) waiting, in that order, for the sold-out offer."""
    return wait(promotion, ANN, BEN, CAT)


def test_a_freed_spot_is_offered_to_the_first_person_waiting_only(promotion, sold_out, line):
    ann, ben, cat = line
    freed = sold_out[0]
    booking_cancel(booking=freed, reason="Patient called")

    assert offers_make() == 1

    assert statuses(ann, ben, cat) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    held = ann.booking
    assert held.status == Booking.Status.HELD
    assert (held.slot, held.promotion, held.price_cents) == (freed.slot, promotion, 99_00)
    assert (held.patient_name, held.email, held.phone, held.sms_consent) == (
        "Ann Lee",
        "ann@example.com",
        "+16195550101",
        True,
    )
    assert held.hold_expires_at == NOW + timedelta(minutes=30) == ann.offer_expires_at
    assert active_discounted(promotion) == promotion.spots  # the offer takes the freed spot, no more
    assert ben.booking is None and cat.booking is None

    email, sms = offers_to("ann@example.com") + offers_to("+16195550101")
    link = claim_link(ann)
    assert link.startswith(settings.PUBLIC_BASE_URL + "/waitlist/claim/")
    assert email.status == sms.status == Message.Status.QUEUED
    assert email.subject == "A spot opened up: Wed Apr 8, 9:00 AM"
    assert link in text_as_sent(email)
    assert "We are holding it for you until 10:30 AM." in email.body
    assert "$99 (discounted)" in email.body
    assert link in text_as_sent(sms)
    assert "Held for you until 10:30 AM." in sms.body
    assert sms.send_after <= timezone.now()  # an offer is urgent: it does not wait
    assert Message.objects.filter(kind=OFFER).count() == 2  # nobody else was told


def test_an_offer_to_someone_without_text_consent_is_emailed_only(promotion, sold_out, line):
    WaitlistEntry.objects.filter(pk=line[0].pk).update(status=Status.REMOVED)
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    ben = fresh(line[1])
    assert ben.status == Status.OFFERED
    [email] = Message.objects.filter(kind=OFFER)
    assert (email.channel, email.recipient) == (Message.Channel.EMAIL, "ben@example.com")
    assert claim_link(ben) in text_as_sent(email)


def test_offer_messages_carry_no_health_details(service, promotion, sold_out, line):
    service.summary = "For runners whose low-back or hip pain keeps coming back."
    service.save()
    promotion.headline = "Launch week for runners with sciatica or knee pain"
    promotion.save()
    booking_cancel(booking=sold_out[0], reason="Knee injury, numbness and back pain")
    offers_make()
    messages = Message.objects.filter(kind=OFFER)
    assert {m.channel for m in messages} == {Message.Channel.EMAIL, Message.Channel.SMS}
    for message in messages:
        assert HEALTH_WORDS.search(message.subject + "\n" + message.body) is None, message.body
        assert "injury" not in message.body.lower()
    sms = messages.get(channel=Message.Channel.SMS)
    assert "@" not in sms.body and "Lee" not in sms.body  # first name only, no email


def test_the_sweep_leaves_a_sold_out_offers_list_alone_without_trying_a_time(promotion, sold_out, line):
    with CaptureQueriesContext(connection) as queries:
        assert offers_make() == 0
    # Ended offers to settle, the offers with a spot free (none), the days waited for: nothing locked or tried.
    assert len(queries) <= 5, "\n".join(q["sql"] for q in queries.captured_queries)
    assert statuses(*line) == [Status.WAITING] * 3


def test_an_offer_takes_no_capacity_that_is_not_free(promotion, sold_out, line):
    assert offers_make() == 0  # sold out: nobody is offered anything
    assert statuses(*line) == [Status.WAITING] * 3
    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert offers_make() == 1
    assert offers_make() == 0  # running again offers nothing more
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    assert Booking.objects.filter(status=Booking.Status.HELD).count() == 1
    assert active_discounted(promotion) == promotion.spots


def test_a_lapsed_offer_is_released_and_goes_to_the_next_person(promotion, sold_out, line, clock):
    ann, ben, cat = line
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    first_hold = fresh(ann).booking

    clock.move_to(NOW + timedelta(minutes=29))
    assert offers_make() == 0
    assert statuses(ann, ben, cat) == [Status.OFFERED, Status.WAITING, Status.WAITING]

    clock.move_to(NOW + timedelta(minutes=31))
    assert offers_make() == 1

    assert statuses(ann, ben, cat) == [Status.LAPSED, Status.OFFERED, Status.WAITING]
    first_hold.refresh_from_db()
    assert first_hold.status == Booking.Status.EXPIRED
    second_hold = ben.booking
    assert second_hold.pk != first_hold.pk
    assert (second_hold.slot, second_hold.status, second_hold.price_cents) == (
        first_hold.slot,
        Booking.Status.HELD,
        99_00,
    )
    assert second_hold.hold_expires_at == NOW + timedelta(minutes=61)
    # Ben did not agree to texts: he is emailed only.
    assert [m.channel for m in offers_to("ben@example.com")] == [Message.Channel.EMAIL]
    assert not offers_to("+16195550102")
    assert active_discounted(promotion) == promotion.spots


def test_the_claim_page_shows_the_offer(client, promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    response = client.get(claim_path(line[0]))
    says(response, "A place opened up for you")
    says(response, "We are holding it until 10:30 AM.")
    says(response, "Wednesday, April 8 at 9:00 AM")
    says(response, "$99 discounted paid at the visit")
    says(response, "Claim it: book this time")
    assert response["Cache-Control"].startswith("max-age=0")


def test_claiming_an_offer_books_it_and_goes_to_the_booking_page(client, promotion, sold_out, line):
    ann, ben, cat = line
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    held = fresh(ann).booking

    claimed = client.post(claim_path(ann), {"answer": "claim"})
    assert (claimed.status_code, claimed.url) == (302, f"/booking/{held.reference}/verify/")  # a discounted spot
    response = type_code(client, held)

    held.refresh_from_db()
    assert (response.status_code, response.url) == (302, manage_path(held))
    assert held.status == Booking.Status.CONFIRMED
    assert (held.price_cents, held.promotion) == (99_00, promotion)
    offers_make()  # the sweep settles the offer as booked
    assert statuses(ann, ben, cat) == [Status.BOOKED, Status.WAITING, Status.WAITING]
    assert Message.objects.filter(kind=Message.Kind.CONFIRMATION, booking=held).exists()
    # The link now says it is theirs; later sweeps leave everything as it is.
    says(client.get(claim_path(ann)), "It’s yours, Ann")
    assert offers_make() == 0
    assert statuses(ann, ben, cat) == [Status.BOOKED, Status.WAITING, Status.WAITING]
    assert active_discounted(promotion) == promotion.spots


def test_claiming_twice_changes_nothing(client, promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    first = client.post(claim_path(line[0]), {"answer": "claim"})
    second = client.post(claim_path(line[0]), {"answer": "claim"})
    assert second.status_code == 302 and second.url == first.url
    assert Booking.objects.filter(email="ann@example.com").count() == 1


def test_claiming_after_the_offer_lapsed_is_refused_and_books_nothing(client, promotion, sold_out, line, clock):
    ann = line[0]
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    held = fresh(ann).booking
    clock.move_to(NOW + timedelta(minutes=31))

    response = client.post(claim_path(ann), {"answer": "claim"})

    says(response, ENDED, status=409)
    says(response, "This offer has ended", status=409)
    held.refresh_from_db()
    assert held.status == Booking.Status.HELD  # not confirmed; it no longer counts
    assert not held.is_active(timezone.now())
    assert not Booking.objects.filter(email="ann@example.com", status=Booking.Status.CONFIRMED).exists()
    assert active_discounted(promotion) == promotion.spots - 1  # the freed spot is not taken by Ann

    # The next sweep settles it: lapsed, released, offered to Ben; Ann's link still says it ended.
    assert offers_make() == 1
    assert statuses(*line) == [Status.LAPSED, Status.OFFERED, Status.WAITING]
    response = client.post(claim_path(ann), {"answer": "claim"})
    says(response, ENDED, status=409)
    assert not Booking.objects.filter(email="ann@example.com", status=Booking.Status.CONFIRMED).exists()
    assert active_discounted(promotion) == promotion.spots


def test_the_service_refuses_a_claim_after_the_lapse(promotion, sold_out, line, clock):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    with pytest.raises(OfferClosed, match="offer has ended"):
        offer_claim(entry=line[0], now=NOW + timedelta(minutes=30))  # the hold ends at that instant
    with pytest.raises(OfferClosed):
        offer_claim(entry=line[1])  # Ben was never offered anything
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]


def test_declining_releases_the_hold_and_the_next_person_is_offered_it(client, promotion, sold_out, line):
    ann, ben, cat = line
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    held = fresh(ann).booking

    response = client.post(claim_path(ann), {"answer": "decline"})

    assert (response.status_code, response.url) == (302, claim_path(ann))
    says(client.get(claim_path(ann)), "Thanks for letting us know")
    held.refresh_from_db()
    assert held.status == Booking.Status.EXPIRED
    assert statuses(ann, ben, cat) == [Status.DECLINED, Status.WAITING, Status.WAITING]
    assert active_discounted(promotion) == promotion.spots - 1

    assert offers_make() == 1
    assert statuses(ann, ben, cat) == [Status.DECLINED, Status.OFFERED, Status.WAITING]
    assert fresh(ben).booking.slot == held.slot
    # A claim after declining is refused.
    says(client.post(claim_path(ann), {"answer": "claim"}), ENDED, status=409)
    held.refresh_from_db()
    assert held.status == Booking.Status.EXPIRED


def test_claiming_with_online_payment_extends_the_hold_and_goes_to_checkout(
    client, stripe_recorder, promotion, sold_out, line, clock
):
    ann = line[0]
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    clock.move_to(NOW + timedelta(minutes=20))  # claimed 10 minutes before the offer ends
    says(client.get(claim_path(ann)), "Claim it and pay $99")

    response = client.post(claim_path(ann), {"answer": "claim"})

    held = fresh(ann).booking
    [request] = stripe_recorder.calls("POST", "/v1/checkout/sessions")
    assert response.status_code == 303
    assert response["Location"] == held.payments.get().checkout_url
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/")
    assert held.status == Booking.Status.HELD
    assert held.hold_expires_at >= timezone.now() + timedelta(minutes=31)
    assert fresh(ann).offer_expires_at == held.hold_expires_at
    assert request.params["expires_at"] == str(int(held.hold_expires_at.timestamp()))
    assert request.params["line_items[0][price_data][unit_amount]"] == "9900"
    assert fresh(ann).status == Status.OFFERED

    # Past the offer's first end, the patient is paying: the sweep leaves the hold alone.
    clock.move_to(NOW + timedelta(minutes=45))
    assert offers_make() == 0
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    held.refresh_from_db()
    assert held.is_active(timezone.now())


def test_a_paid_claim_is_settled_as_booked_by_the_next_sweep(client, stripe_recorder, promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    client.post(claim_path(line[0]), {"answer": "claim"})
    booking_confirm(booking=fresh(line[0]).booking)  # what the paid webhook does
    assert offers_make() == 0
    assert statuses(*line) == [Status.BOOKED, Status.WAITING, Status.WAITING]


def test_several_freed_spots_go_to_as_many_people_in_order(promotion, sold_out, line):
    ann, ben, cat = line
    booking_cancel(booking=sold_out[2], reason="Patient called")
    booking_cancel(booking=sold_out[5], reason="Patient called")

    assert offers_make() == 2

    assert statuses(ann, ben, cat) == [Status.OFFERED, Status.OFFERED, Status.WAITING]
    assert {fresh(ann).booking.slot, fresh(ben).booking.slot} == {sold_out[2].slot, sold_out[5].slot}
    assert fresh(ann).booking.slot == sold_out[2].slot  # the first in line gets the earliest time
    assert Booking.objects.filter(status=Booking.Status.HELD, promotion=promotion).count() == 2
    assert active_discounted(promotion) == promotion.spots
    assert offers_make() == 0


def test_free_times_on_a_day_the_clinic_closes_never_hold_up_an_offer(service, promotion, sold_out, line):
    closed = date(2026, 4, 7)  # inside the visit window, before the freed time
    ClosureFactory(clinic=service.clinic, starts_on=closed, ends_on=closed)
    for minute in range(0, 25 * 20, 25):  # more free times that day than an offer tries
        SlotFactory(service=service, starts_at=local(closed, 7) + timedelta(minutes=minute))
    freed = sold_out[0]
    booking_cancel(booking=freed, reason="Patient called")

    assert offers_make() == 1
    assert fresh(line[0]).booking.slot == freed.slot


def test_a_spot_offered_from_a_free_regular_time_when_the_freed_one_is_gone(service, promotion, sold_out, line):
    """The discount freed, not the time: the offer is the earliest free time in the visit window, at $99."""
    booking = sold_out[3]
    BookingFactory(slot=slot_at(service, date(2026, 4, 7), 15))  # a regular-rate booking, no spot
    later = slot_at(service, date(2026, 4, 9), 16)  # free
    other = Patient(name="Zed Park", email="zed@example.com", phone="+16195550177")
    booking_cancel(booking=booking, reason="Patient called")
    booking_create(slot_id=booking.slot_id, patient=other, quoted_price_cents=99_00)  # takes the time and the spot
    assert offers_make() == 0  # no discounted spot is free

    booking_cancel(booking=Booking.objects.get(email="zed@example.com"), reason="Changed plans")
    slot_taken = BookingFactory(slot=booking.slot)  # the time goes at the regular rate
    assert slot_taken.promotion is None
    assert offers_make() == 1
    held = fresh(line[0]).booking
    assert (held.slot, held.price_cents, held.promotion) == (later, 99_00, promotion)


def test_no_offers_in_quiet_hours_until_eight_in_the_morning(promotion, sold_out, line, clock):
    ann = line[0]
    clock.move_to(local(TODAY, 22))
    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert offers_make() == 0
    clock.move_to(local(date(2026, 4, 7), 7, 59))
    assert offers_make() == 0
    assert statuses(*line) == [Status.WAITING] * 3
    assert not Message.objects.filter(kind=OFFER).exists()
    assert not Booking.objects.filter(status=Booking.Status.HELD).exists()

    clock.move_to(local(date(2026, 4, 7), 8))
    assert offers_make() == 1
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    assert fresh(ann).offer_expires_at == local(date(2026, 4, 7), 8, 30)
    assert Message.objects.filter(kind=OFFER, recipient="+16195550101").exists()


def test_an_offer_lapsing_in_quiet_hours_is_released_but_not_offered_on_until_morning(promotion, sold_out, line, clock):
    clock.move_to(local(TODAY, 20, 45))
    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert offers_make() == 1
    clock.move_to(local(TODAY, 21, 16))
    assert offers_make() == 0
    assert statuses(*line) == [Status.LAPSED, Status.WAITING, Status.WAITING]
    assert active_discounted(promotion) == promotion.spots - 1
    clock.move_to(local(date(2026, 4, 7), 8, 1))
    assert offers_make() == 1
    assert statuses(*line) == [Status.LAPSED, Status.OFFERED, Status.WAITING]


@pytest.mark.parametrize(
    ("day", "price_cents", "discounted"),
    [(REGULAR_DAY, 175_00, False), (PROMO_DAY, 99_00, True)],
    ids=["regular-day", "day-inside-the-offer"],
)
def test_a_full_days_freed_time_is_offered_at_the_slots_price(client, service, day, price_cents, discounted):
    promotion = PromotionFactory(service=service)  # spots free: the day list is about times
    bookings = full_day(service, day, hours=(9, 10, 11), promotion=promotion if discounted else None)
    assert {b.price_cents for b in bookings} == {price_cents}
    other_day = full_day(service, date(2026, 4, 21))
    for details in (MICHAEL, DANA):
        assert Client().post(f"/waitlist/day/{day:%Y-%m-%d}/", details).status_code == 302
    michael, dana = WaitlistEntry.objects.order_by("position")
    booking_cancel(booking=other_day[0], reason="Patient called")  # another day's time: not theirs
    assert offers_make() == 0

    booking_cancel(booking=bookings[1], reason="Patient called")
    assert offers_make() == 1

    assert statuses(michael, dana) == [Status.OFFERED, Status.WAITING]
    held = fresh(michael).booking
    assert (held.slot, held.status, held.price_cents) == (bookings[1].slot, Booking.Status.HELD, price_cents)
    assert (held.promotion == promotion) is discounted
    assert held.hold_expires_at == NOW + timedelta(minutes=30)
    assert claim_link(michael) in text_as_sent(Message.objects.get(kind=OFFER, channel=Message.Channel.EMAIL))


def test_someone_who_already_has_a_discount_is_taken_off_the_offer_list(promotion, sold_out, line):
    """One discounted visit a patient: Ann booked one meanwhile (before the offer sold out, say)."""
    ann, ben, cat = line
    Booking.objects.filter(pk=sold_out[7].pk).update(email="ANN@example.com", email_canonical="ann@example.com")
    booking_cancel(booking=sold_out[0], reason="Patient called")

    assert offers_make() == 1  # one offer made: to Ben

    assert statuses(ann, ben, cat) == [Status.REMOVED, Status.OFFERED, Status.WAITING]
    assert fresh(ann).booking is None
    assert not offers_to("ann@example.com")


def test_an_entry_offered_elsewhere_is_not_offered_twice(promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    booking_cancel(booking=sold_out[1], reason="Patient called")
    offers_make()
    assert statuses(*line) == [Status.OFFERED, Status.OFFERED, Status.WAITING]
    assert Booking.objects.filter(email="ann@example.com").count() == 1


# The signal, the task and the schedule ---------------------------------------------------------


def test_a_cancellation_offers_the_spot_once_it_commits(promotion, sold_out, line, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=sold_out[0], reason="Patient called")

    ann = fresh(line[0])
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    assert ann.booking.slot == sold_out[0].slot
    offers = [m for m in mail.outbox if m.subject.startswith("A spot opened up")]
    assert [m.to for m in offers] == [["ann@example.com"]]
    assert claim_link(ann) in offers[0].body


def test_a_cancellation_offers_nothing_before_it_commits(promotion, sold_out, line, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        booking_cancel(booking=sold_out[0], reason="Patient called")
    assert statuses(*line) == [Status.WAITING] * 3
    for callback in callbacks:  # the commit
        callback()
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]


def test_moving_a_discounted_visit_out_of_the_offer_frees_its_spot(
    service, promotion, sold_out, line, django_capture_on_commit_callbacks
):
    later = slot_at(service, REGULAR_DAY, 9)
    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=sold_out[0], slot_id=later.pk, quoted_price_cents=175_00)
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    assert fresh(line[0]).booking.slot == sold_out[0].slot


def test_a_released_hold_is_offered_on_commit(promotion, sold_out, line, django_capture_on_commit_callbacks):
    booking = sold_out[0]
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.HELD)
    with django_capture_on_commit_callbacks(execute=True):
        booking_release_hold(booking=booking)
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]


def test_a_decline_offers_the_next_person_on_commit(
    client, promotion, sold_out, line, django_capture_on_commit_callbacks
):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    with django_capture_on_commit_callbacks(execute=True):
        offer_decline(entry=line[0])
    assert statuses(*line) == [Status.DECLINED, Status.OFFERED, Status.WAITING]


def test_the_task_runs_offers_and_is_scheduled_every_minute(promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert tasks.offer_freed_spots.delay().get() == 1
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    schedule = settings.CELERY_BEAT_SCHEDULE["offer-freed-spots"]
    assert schedule == {"task": tasks.offer_freed_spots.name, "schedule": 60.0}
    assert tasks.offer_freed_spots.name == "waitlist.tasks.offer_freed_spots"


# Claim links -----------------------------------------------------------------------------------


def tamper(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.fixture
def offered(promotion, sold_out, line) -> WaitlistEntry:
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    return fresh(line[0])


@pytest.mark.parametrize(
    "forge",
    [
        lambda entry: tamper(claim_token(entry)),
        lambda entry: signing.Signer(salt="another.salt").sign(f"{entry.booking.reference}.1"),
        lambda entry: signing.Signer(salt="booking.link.claim").sign("NOSUCHREFERENCE2.1"),
        lambda entry: f"{entry.booking.reference}.1",  # the value without its signature
        lambda entry: private_token(entry.booking, Purpose.MANAGE),  # a real token, for another purpose
    ],
    ids=["tampered", "other-salt", "made-up-key", "unsigned", "manage-token"],
)
def test_a_forged_claim_link_is_404_and_changes_nothing(client, offered, forge):
    token = forge(offered)
    assert client.get(f"/waitlist/claim/{token}/").status_code == 404
    assert client.post(f"/waitlist/claim/{token}/", {"answer": "claim"}).status_code == 404
    assert client.post(f"/waitlist/claim/{token}/", {"answer": "decline"}).status_code == 404
    assert fresh(offered).status == Status.OFFERED
    assert offered.booking.status == Booking.Status.HELD
    offered.booking.refresh_from_db()
    assert offered.booking.status == Booking.Status.HELD


def test_a_claim_link_for_a_booking_no_one_was_offered_is_404(client, offered, line, sold_out):
    # Signed by us, but for a booking that is not a waiting-list offer: it opens nothing.
    token = private_token(sold_out[1], Purpose.CLAIM)
    assert client.get(f"/waitlist/claim/{token}/").status_code == 404
    assert client.post(f"/waitlist/claim/{token}/", {"answer": "claim"}).status_code == 404
    assert fresh(line[1]).status == Status.WAITING
    assert Booking.objects.get(pk=sold_out[1].pk).status == Booking.Status.CONFIRMED


def test_other_services_lists_are_separate(clinic, promotion, sold_out, line):
    other = ServiceFactory(clinic=clinic, name="Return-to-run session")
    other_promo = PromotionFactory(service=other, spots=1)
    fill(other_promo, first_hour=17)
    [zed] = wait(other_promo, Patient(name="Zed Park", email="zed@example.com", phone="+16195550177"))
    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert offers_make() == 1
    assert fresh(zed).status == Status.WAITING
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]


# Edges -----------------------------------------------------------------------------------------


def test_a_claim_judged_before_the_lapse_is_refused_once_the_seat_was_rebooked(service, promotion, sold_out, line):
    """A claim that waited (for a lock, say) past the offer's end: its seat went meanwhile; it must not book it too."""
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    seat = fresh(line[0]).booking.slot
    later = NOW + timedelta(minutes=31)
    walk_in = Patient(name="Zed Park", email="zed@example.com", phone="+16195550177")
    taken = booking_create(slot_id=seat.pk, patient=walk_in, quoted_price_cents=99_00, now=later, online=False)
    assert taken.promotion == promotion  # the lapsed hold no longer counted: seat and spot were free

    with pytest.raises(OfferClosed):
        offer_claim(entry=line[0], now=NOW + timedelta(minutes=29))

    assert not Booking.objects.filter(email="ann@example.com", status=Booking.Status.CONFIRMED).exists()
    for moment in (NOW + timedelta(minutes=29), later):
        assert seat.bookings.active(moment).exclude(status=Booking.Status.HELD).count() == 1
        assert promotion.bookings.active(later).count() == promotion.spots


def test_people_on_the_same_position_get_distinct_places_in_the_order_offers_follow(promotion, sold_out, line):
    ann, ben, cat = line
    WaitlistEntry.objects.filter(pk__in=[ann.pk, ben.pk, cat.pk]).update(position=5)  # joined in the same instant
    places = [place_in_line(fresh(e)) for e in (ann, ben, cat)]
    assert sorted(places) == [1, 2, 3]
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    first = next(e for e, place in zip((ann, ben, cat), places, strict=True) if place == 1)
    assert fresh(first).status == Status.OFFERED


def test_claiming_twice_with_online_payment_uses_one_checkout(client, stripe_recorder, promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    first = client.post(claim_path(line[0]), {"answer": "claim"})
    second = client.post(claim_path(line[0]), {"answer": "claim"})
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert len(stripe_recorder.calls("POST", "/v1/checkout/sessions")) == 1
    assert Booking.objects.filter(email="ann@example.com").count() == 1


def test_a_payment_outage_during_a_claim_says_so_and_the_place_goes_on(
    client, stripe_recorder, promotion, sold_out, line
):
    ann, ben, _ = line
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    stripe_recorder.fail_next(500, times=3)

    response = client.post(claim_path(ann), {"answer": "claim"})

    says(response, "Nothing was charged, and the place has gone back to the waiting list.", status=503)
    says(response, "This offer has ended", status=503)
    does_not_say(response, "try again")  # the released place cannot be claimed again
    does_not_say(response, "Claim it and pay")
    held = fresh(ann).booking
    assert held.status == Booking.Status.EXPIRED
    assert offers_make() == 1
    assert statuses(ann, ben) == [Status.LAPSED, Status.OFFERED]
