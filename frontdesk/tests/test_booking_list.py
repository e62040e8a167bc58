"""The bookings list: from today on by default, soonest first; the visit filter by the clinic's days and weeks
(a week that changes the clocks included); search by reference, mobile, email and name; the slot list's words."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking.links import Purpose, private_token
from booking.models import Booking, DeskPayment, Payment
from booking.rules import Patient
from booking.services import booking_cancel
from booking.tests.factories import BookingFactory, PromotionFactory, SlotFactory, local
from clinic.tests.html import html
from frontdesk.admin import BookingAdmin
from waitlist.models import WaitlistEntry
from waitlist.services import offers_make, waitlist_join

pytestmark = pytest.mark.django_db

BOOKINGS = "/admin/booking/booking/"
SLOTS = "/admin/booking/slot/"
WEDNESDAY = date(2026, 10, 28)  # the week of Monday Oct 26 - Sunday Nov 1, when the clocks go back


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


@pytest.fixture
def clock():
    with time_machine.travel(local(WEDNESDAY, 9), tick=False) as traveller:
        yield traveller


def visit(service, when, **fields) -> Booking:
    return BookingFactory(slot=SlotFactory(service=service, starts_at=when), **fields)


def listed(response) -> list[str]:
    """The references on the page, top to bottom."""
    assert response.status_code == 200, response.status_code
    return [booking.reference for booking in response.context["cl"].result_list]


def refs(*bookings) -> list[str]:
    return [booking.reference for booking in bookings]


def visit_choices(response) -> dict[str, bool]:
    """The visit filter's choices, and which is selected."""
    [details] = [d for d in html(response).find_all("details") if d.attrs.get("data-filter-title") == "visit"]
    return {li.text: li.has_class("selected") for li in details.find_all("li")}


# From today on, soonest first ------------------------------------------------------------------------------


def test_the_list_shows_visits_from_today_on_soonest_first(desk, service, clock):
    yesterday = visit(service, local(date(2026, 10, 27), 18))
    next_week = visit(service, local(date(2026, 11, 3), 9))
    this_morning = visit(service, local(WEDNESDAY, 7))  # already over, still today's
    tomorrow = visit(service, local(date(2026, 10, 29), 8))
    this_afternoon = visit(service, local(WEDNESDAY, 15))

    response = desk.get(BOOKINGS)

    assert listed(response) == refs(this_morning, this_afternoon, tomorrow, next_week)
    assert yesterday.reference not in response.content.decode()
    assert visit_choices(response) == {
        "From today on": True,
        "Today": False,
        "Tomorrow": False,
        "This week": False,
        "Next week": False,
        "Past": False,
        "All": False,
    }


def test_past_and_all_reach_the_rest_newest_first(desk, service, clock):
    last_year = visit(service, local(date(2025, 3, 3), 9))
    yesterday = visit(service, local(date(2026, 10, 27), 18))
    tomorrow = visit(service, local(date(2026, 10, 29), 8))

    assert listed(desk.get(BOOKINGS, {"visit": "past"})) == refs(yesterday, last_year)
    everything = desk.get(BOOKINGS, {"visit": "all"})
    assert listed(everything) == refs(tomorrow, yesterday, last_year)
    assert visit_choices(everything)["All"] is True
    # A visit outside this year says which year it was.
    assert "Mon Mar 3 2025, 9:00 AM" in everything.content.decode()
    assert "Tue Oct 27, 6:00 PM" in everything.content.decode()


def test_a_column_chosen_by_hand_orders_the_list(desk, service, clock):
    cheap = visit(service, local(date(2026, 10, 30), 9), price_cents=99_00)
    dear = visit(service, local(date(2026, 10, 29), 9), price_cents=175_00)

    price_column = 5  # checkbox, reference, patient, visit, status, price
    assert listed(desk.get(BOOKINGS, {"o": f"{price_column}"})) == refs(cheap, dear)
    assert listed(desk.get(BOOKINGS, {"o": f"-{price_column}"})) == refs(dear, cheap)


def test_the_visit_filter_goes_by_the_clinics_days(desk, service, clock):
    late_yesterday = visit(service, local(date(2026, 10, 27), 23, 30))
    today = visit(service, local(WEDNESDAY, 0, 15))
    late_today = visit(service, local(WEDNESDAY, 23, 45))  # Thursday already in UTC
    tomorrow = visit(service, local(date(2026, 10, 29), 7))
    friday = visit(service, local(date(2026, 10, 30), 7))

    assert listed(desk.get(BOOKINGS, {"visit": "today"})) == refs(today, late_today)
    assert listed(desk.get(BOOKINGS, {"visit": "tomorrow"})) == refs(tomorrow)
    week = refs(late_yesterday, today, late_today, tomorrow, friday)
    assert listed(desk.get(BOOKINGS, {"visit": "this_week"})) == week


def test_the_week_the_clocks_go_back_runs_monday_to_sunday_midnight(desk, service, clock):
    """Sunday Nov 1, 2026 has 25 hours in San Diego: the week ends at Monday midnight PST, an hour later than
    seven times 24 hours after Monday midnight PDT."""
    sunday_before = visit(service, local(date(2026, 10, 25), 23, 30))
    monday_start = visit(service, local(date(2026, 10, 26), 0, 30))
    sunday_late = visit(service, local(date(2026, 11, 1), 23, 30))  # after the change: 07:30 UTC on Monday
    next_monday = visit(service, local(date(2026, 11, 2), 0, 30))
    next_sunday = visit(service, local(date(2026, 11, 8), 23, 30))
    week_after = visit(service, local(date(2026, 11, 9), 0, 30))

    assert listed(desk.get(BOOKINGS, {"visit": "this_week"})) == refs(monday_start, sunday_late)
    assert listed(desk.get(BOOKINGS, {"visit": "next_week"})) == refs(next_monday, next_sunday)
    assert sunday_before.reference not in desk.get(BOOKINGS, {"visit": "this_week"}).content.decode()
    assert week_after.reference not in desk.get(BOOKINGS, {"visit": "next_week"}).content.decode()


def test_tomorrow_is_the_whole_25_hour_sunday(desk, service, clock):
    clock.move_to(local(date(2026, 10, 31), 10))  # Saturday
    early = visit(service, local(date(2026, 11, 1), 0, 30))
    late = visit(service, local(date(2026, 11, 1), 23, 30))
    monday = visit(service, local(date(2026, 11, 2), 0, 30))

    assert listed(desk.get(BOOKINGS, {"visit": "tomorrow"})) == refs(early, late)
    assert monday.reference not in desk.get(BOOKINGS, {"visit": "tomorrow"}).content.decode()


def test_an_unknown_visit_choice_shows_the_list_again_not_an_error(desk, service, clock):
    response = desk.get(BOOKINGS, {"visit": "someday"})
    assert response.status_code == 302
    assert response["Location"] == f"{BOOKINGS}?e=1"
    assert desk.get(response["Location"]).status_code == 200


def test_the_stock_date_filter_on_creation_is_gone(desk, service, clock):
    visit(service, local(date(2026, 10, 29), 8))
    response = desk.get(BOOKINGS)
    titles = [d.attrs.get("data-filter-title") for d in html(response).find_all("details")]
    assert titles[0] == "visit"
    assert "Past 7 days" not in response.content.decode()
    assert desk.get(BOOKINGS, {"slot__starts_at__gte": "2026-10-01 00:00:00-07:00"}).status_code == 400


# Search ----------------------------------------------------------------------------------------------------


@pytest.fixture
def patients(service, clock):
    """Dana (a past visit and an upcoming one), and two others."""
    dana_past = visit(
        service,
        local(date(2025, 6, 2), 9),
        patient_name="Dana María Cruz",
        email="Dana.Cruz+clinic@Gmail.com",
        phone="+16195550123",
    )
    dana_next = visit(
        service, local(date(2026, 11, 3), 9), patient_name="Dana Cruz", email="danacruz@gmail.com", phone="+16195550123"
    )
    lee = visit(service, local(date(2026, 11, 4), 9), patient_name="Lee Cruzado", email="lee@example.com")
    sam = visit(service, local(date(2026, 11, 5), 9), patient_name="Sam Ortiz", email="sam@example.com")
    return {"dana_past": dana_past, "dana_next": dana_next, "lee": lee, "sam": sam}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("(619) 555-0123", ["dana_next", "dana_past"]),  # as people write it
        ("619.555.0123", ["dana_next", "dana_past"]),
        ("+1 619 555 0123", ["dana_next", "dana_past"]),
        ("0123", []),  # a few digits match no one: a whole number is needed
        ("dana.cruz@gmail.com", ["dana_next", "dana_past"]),  # the same Gmail inbox, however written
        ("DANACRUZ+anything@GMAIL.COM", ["dana_next", "dana_past"]),
        ("lee@example.com", ["lee"]),
        ("nobody@example.com", []),
        ("cruz", ["lee", "dana_next", "dana_past"]),  # part of a name, in any case
        ("cruz dana", ["dana_next", "dana_past"]),  # every word, in any order
        ("maría", ["dana_past"]),
        ("ortiz sam", ["sam"]),
        ("Pat", []),
    ],
)
def test_search_by_mobile_email_or_name_reaches_past_visits_too(desk, patients, typed, expected):
    response = desk.get(BOOKINGS, {"q": typed})
    assert listed(response) == refs(*(patients[name] for name in expected))
    if expected:
        assert visit_choices(response)["All"] is True  # a search looks through every visit unless one is chosen


def test_search_by_reference_whole_or_its_beginning(desk, patients):
    reference = patients["sam"].reference
    assert listed(desk.get(BOOKINGS, {"q": reference})) == [reference]
    assert listed(desk.get(BOOKINGS, {"q": reference.lower()})) == [reference]
    assert listed(desk.get(BOOKINGS, {"q": f"{reference[:4]}-{reference[4:8]}"})) == [reference]  # as read out
    assert reference in listed(desk.get(BOOKINGS, {"q": reference[:6]}))
    past = patients["dana_past"].reference
    assert listed(desk.get(BOOKINGS, {"q": past})) == [past]  # a past visit too


def test_a_search_within_a_chosen_visit_filter_stays_in_it(desk, patients):
    assert listed(desk.get(BOOKINGS, {"q": "dana", "visit": "upcoming"})) == refs(patients["dana_next"])
    assert listed(desk.get(BOOKINGS, {"q": "dana", "visit": "past"})) == refs(patients["dana_past"])


@pytest.mark.parametrize("typed", ["", "   ", "%", "_", "' OR 1=1 --", "x" * 500, "@", "+", "\\"])
def test_odd_searches_answer_a_list_never_an_error(desk, patients, typed):
    response = desk.get(BOOKINGS, {"q": typed})
    assert response.status_code == 200
    if typed.strip() in ("%", "_", "\\", "' OR 1=1 --", "@", "+"):
        assert listed(response) == []


def test_the_search_box_says_what_it_finds(desk, patients):
    page = html(desk.get(BOOKINGS))
    assert page.by_id("searchbar") is not None
    help_text = page.by_id("search-help").text
    assert "reference" in help_text and "mobile" in help_text and "email" in help_text and "name" in help_text


# Columns and counts ----------------------------------------------------------------------------------------


def test_the_list_keeps_to_six_columns(desk, service, promotion, clock):
    visit(service, local(date(2026, 10, 29), 8), promotion=promotion, price_cents=99_00)
    page = html(desk.get(BOOKINGS))
    headers = [th.text for th in page.find("table", id="result_list").find("thead").find_all("th")]
    assert headers[1:] == ["Reference", "Patient name", "Visit", "Status", "Price", "Intake"]
    assert "$99 (offer)" in page.find("table", id="result_list").text


def test_no_count_of_every_booking_and_no_filter_counts(desk, service, clock):
    for n in range(3):
        visit(service, local(date(2026, 10, 29), 8 + n))
    with CaptureQueriesContext(connection) as queries:
        response = desk.get(BOOKINGS)
    assert response.status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 1 and "starts_at" in counts[0]  # the filtered rows only
    assert "Show counts" not in response.content.decode()


@pytest.mark.parametrize("query", [{}, {"visit": "all"}, {"visit": "past"}, {"q": "runner"}, {"visit": "this_week"}])
def test_the_list_takes_as_many_queries_for_6_bookings_as_for_50(desk, service, clock, query):
    def add(count: int, start: int):
        for n in range(start, start + count):
            visit(service, local(WEDNESDAY + timedelta(days=n % 5), 7 + n // 5, n % 60))  # to Sunday
            visit(service, local(date(2025, 1 + n % 12, 2), 7 + n // 12))

    add(3, 0)
    with CaptureQueriesContext(connection) as queries:
        assert desk.get(BOOKINGS, query).status_code == 200
    few = [q["sql"] for q in queries.captured_queries]  # read now: the next request clears the connection's log
    add(22, 3)
    with CaptureQueriesContext(connection) as queries:
        response = desk.get(BOOKINGS, query)
    many = [q["sql"] for q in queries.captured_queries]
    assert len(response.context["cl"].result_list) >= 22
    assert len(many) == len(few), "\n".join(many)


# The slot list ---------------------------------------------------------------------------------------------


def test_the_slot_list_says_blocked_or_open_in_words(desk, service, clock):
    blocked = SlotFactory(service=service, starts_at=local(date(2026, 10, 29), 9), is_blocked=True)
    open_slot = SlotFactory(service=service, starts_at=local(date(2026, 10, 29), 10))
    page = html(desk.get(SLOTS))
    rows = page.find("table", id="result_list").find("tbody").find_all("tr")
    cells = {}
    for row in rows:
        [cell] = [td for td in row.find_all("td") if td.has_class("field-blocked")]
        assert cell.find("img") is None  # no tick or cross to decode
        cells[row.find("input").attrs["value"]] = cell.text
    assert cells == {str(blocked.pk): "Blocked", str(open_slot.pk): "Open"}


# Paid or due ----------------------------------------------------------------------------------------------------


def test_each_booking_says_paid_or_what_is_due_online_and_desk_payments_together(desk, service, clock, promotion):
    at_desk = visit(service, local(WEDNESDAY, 10), promotion=promotion, price_cents=99_00)
    online = visit(service, local(WEDNESDAY, 11))
    part = visit(service, local(WEDNESDAY, 12))
    due = visit(service, local(WEDNESDAY, 13))
    cancelled = visit(service, local(WEDNESDAY, 14), status=Booking.Status.CANCELLED)
    DeskPayment.objects.create(booking=at_desk, method="card", amount_cents=99_00)
    Payment.objects.create(booking=online, checkout_session_id="cs_1", amount_cents=175_00, status="paid")
    DeskPayment.objects.create(booking=part, method="cash", amount_cents=75_00)

    response = desk.get(BOOKINGS)

    shown = {row.reference: BookingAdmin.price_paid(None, row) for row in response.context["cl"].result_list}
    assert shown == {
        at_desk.reference: "$99 (offer) · paid",
        online.reference: "$175 · paid",
        part.reference: "$175 · $100 due",
        due.reference: "$175 · $175 due",
        cancelled.reference: "$175",
    }
    assert listed(desk.get(BOOKINGS, {"paid": "yes"})) == refs(at_desk, online)
    assert listed(desk.get(BOOKINGS, {"paid": "no"})) == refs(part, due)


def test_lapsed_holds_and_declined_offers_are_listed_only_when_asked_for(desk, service, clock):
    kept = visit(service, local(WEDNESDAY, 10))
    lapsed = visit(service, local(WEDNESDAY, 11), status=Booking.Status.EXPIRED)

    assert listed(desk.get(BOOKINGS)) == refs(kept)
    assert listed(desk.get(BOOKINGS, {"visit": "all"})) == refs(kept)
    assert listed(desk.get(BOOKINGS, {"status__exact": "expired"})) == refs(lapsed)


def test_a_waiting_list_offer_declined_or_lapsed_is_listed_only_when_asked_for(desk, service, clock):
    thursday = WEDNESDAY + timedelta(days=1)
    promotion = PromotionFactory(service=service, spots=1, visit_starts_on=thursday, visit_ends_on=thursday)
    taken = visit(service, local(thursday, 10), promotion=promotion)
    ann, ben = (
        waitlist_join(service=service, patient=Patient(name, f"{name}@example.com", phone), promotion=promotion)
        for name, phone in (("Ann Lee", "+16195550101"), ("Ben Ortiz", "+16195550102"))
    )
    booking_cancel(booking=taken, reason="Patient called")
    offers_make()
    offered = WaitlistEntry.objects.get(pk=ann.pk).booking
    assert offered.reference in listed(desk.get(BOOKINGS))  # a live offer is a held visit

    declined = Client().post(reverse("waitlist:decline", args=[private_token(offered, Purpose.CLAIM)]))
    assert declined.status_code == 302
    offers_make()  # Ben is offered it; he lets it lapse
    lapsed = WaitlistEntry.objects.get(pk=ben.pk).booking
    offers_make(now=lapsed.hold_expires_at)

    assert Booking.objects.get(pk=offered.pk).status == Booking.Status.EXPIRED
    assert Booking.objects.get(pk=lapsed.pk).status == Booking.Status.EXPIRED
    for shown in (desk.get(BOOKINGS), desk.get(BOOKINGS, {"visit": "all"}), desk.get(BOOKINGS, {"q": "Ann Lee"})):
        assert offered.reference not in listed(shown) and lapsed.reference not in listed(shown)
    assert set(refs(offered, lapsed)) <= set(listed(desk.get(BOOKINGS, {"status__exact": "expired"})))
