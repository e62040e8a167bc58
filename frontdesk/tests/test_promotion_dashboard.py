"""The promotion dashboard reads as the owner speaks: durations in words, each sale with the patient's name, a chart
with a step and a mark per sale, the waiting list, and how many discounted patients came back at the regular rate."""

import itertools
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import Booking
from booking.tests.factories import BookingFactory, SlotFactory
from clinic.tests.html import html
from frontdesk.reports import PLOT_LEFT, PLOT_RIGHT, duration_words, promotion_report
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db

MINUTES = itertools.count(1)  # a slot of its own for each visit: one service, one patient a time
CLOCK_TIME = re.compile(r"\b\d+:\d\d:\d\d")  # how a timedelta prints itself: "17:28:09.400765"


def dashboard(promotion) -> str:
    return f"/admin/booking/promotion/{promotion.pk}/dashboard/"


def sale(promotion, after: timedelta, name: str, **fields) -> Booking:
    """A discounted visit sold `after` the offer opened, for a visit in the offer's window."""
    fields.setdefault("email", f"{name.split()[0].lower()}@example.com")
    slot = SlotFactory(service=promotion.service, starts_at=timezone.now() + timedelta(days=2, minutes=next(MINUTES)))
    return BookingFactory(
        slot=slot, promotion=promotion, patient_name=name, confirmed_at=promotion.opens_at + after, **fields
    )


def regular_visit(service, *, days: int, status=Booking.Status.CONFIRMED, **fields) -> Booking:
    slot = SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=days))
    return BookingFactory(slot=slot, status=status, **fields)


@pytest.fixture
def owner(client, manager):
    client.force_login(manager)
    return client


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(hours=17, minutes=28, seconds=9, microseconds=400765), "17 h 28 min"),
        (timedelta(days=2, hours=3, minutes=59), "2 days 3 h"),
        (timedelta(minutes=45, seconds=59), "45 min"),
        (timedelta(days=1, minutes=30), "1 day"),
        (timedelta(hours=3), "3 h"),
        (timedelta(hours=1, minutes=1), "1 h 1 min"),
        (timedelta(seconds=59), "under a minute"),
        (timedelta(seconds=-5), "under a minute"),
    ],
)
def test_durations_are_in_words(span, words):
    assert duration_words(span) == words


def test_the_page_says_how_fast_it_sold_out_in_words_and_names_each_patient(owner, promotion):
    promotion.spots = 2
    promotion.save()
    first = sale(promotion, timedelta(minutes=45), "Ana Ruiz")
    second = sale(promotion, timedelta(hours=17, minutes=28, seconds=9, microseconds=400765), "Ben Ortiz")

    response = owner.get(dashboard(promotion))

    assert response.status_code == 200
    root = html(response)
    page = root.find("body").text
    assert "Sold out in 17 h 28 min" in page
    assert not CLOCK_TIME.findall(page)
    sales = [[cell.text for cell in row.find_all("td")] for row in root.find_all("tbody")[-1].find_all("tr")]
    assert sales == [
        ["1", "Ana Ruiz", f"{first.reference} (Ana Ruiz)", "45 min", "Confirmed", "No"],
        ["2", "Ben Ortiz", f"{second.reference} (Ben Ortiz)", "17 h 28 min", "Confirmed", "No"],
    ]


def test_the_chart_has_a_step_and_a_mark_for_each_sale(owner, promotion):
    for n, hours in enumerate([1, 5, 6, 30], start=1):
        sale(promotion, timedelta(hours=hours), f"Runner {'ABCD'[n - 1]}")

    root = html(owner.get(dashboard(promotion)))

    marks = root.find_all("circle", **{"class": "chart-sale"})
    assert len(marks) == 4
    xs = [float(mark.attrs["cx"]) for mark in marks]
    ys = [float(mark.attrs["cy"]) for mark in marks]
    assert xs == sorted(xs) and len(set(xs)) == 4  # spread over the time since opening, in order
    assert ys == sorted(ys, reverse=True) and len(set(ys)) == 4  # one step up each
    [line] = root.find_all("polyline", **{"class": "chart-line"})
    assert len(line.attrs["points"].split()) == 2 + 2 * 4
    assert [mark.find("title").text for mark in marks[:2]] == [
        "Spot 1: Runner A, 1 h after the offer opened",
        "Spot 2: Runner B, 5 h after the offer opened",
    ]


def test_a_rush_in_the_first_minute_still_draws_every_step(owner, promotion):
    promotion.spots = 3
    promotion.save()
    for n in range(3):
        sale(promotion, timedelta(seconds=5 + 10 * n), f"Rusher {'XYZ'[n]}")

    root = html(owner.get(dashboard(promotion)))

    xs = [float(mark.attrs["cx"]) for mark in root.find_all("circle", **{"class": "chart-sale"})]
    assert len(xs) == 3 and xs[0] < xs[1] < xs[2] == PLOT_RIGHT  # the chart ends at the sell-out
    assert xs[0] > PLOT_LEFT
    assert "sold out in under a minute" in root.find("body").text


def test_the_waiting_list_counts_who_is_waiting_now(owner, promotion):
    statuses = ["waiting", "waiting", "offered", "removed", "booked"]
    for n, status in enumerate(statuses):
        WaitlistEntry.objects.create(
            service=promotion.service,
            promotion=promotion,
            name=f"Waiter {'ABCDE'[n]}",
            email=f"waiter{n}@example.com",
            phone=f"+1619555{n:04d}",
            status=status,
        )
    WaitlistEntry.objects.create(
        service=promotion.service, day=timezone.localdate(), name="Day Dee", email="d@example.com", phone="+16195559999"
    )

    response = owner.get(dashboard(promotion))

    report = response.context["report"]
    assert (report.waiting, report.joined_waitlist) == (3, 5)
    assert "3 waiting now (5 joined in all)" in html(response).find("body").text
    assert [bar.count for bar in report.chart.bars if bar.label == "On the waiting list now"] == [3]


def test_it_counts_the_discounted_patients_who_booked_again_at_the_regular_rate(owner, promotion):
    service = promotion.service
    ana = sale(promotion, timedelta(hours=1), "Ana Ruiz", email="Ana.Ruiz+run@example.com")
    regular_visit(service, days=20, email="ana.ruiz@example.com")  # the same inbox, a later visit
    ben = sale(promotion, timedelta(hours=2), "Ben Ortiz", phone="+16195550101")
    regular_visit(service, days=21, email="benny@example.net", phone="+16195550101")  # the same mobile
    cleo = sale(promotion, timedelta(hours=3), "Cleo Park")
    regular_visit(service, days=22, email=cleo.email, status=Booking.Status.CANCELLED)  # cancelled: not a visit
    dev = sale(promotion, timedelta(hours=4), "Dev Shah")
    regular_visit(service, days=1, email=dev.email, status=Booking.Status.ATTENDED)  # before the offer's visit
    sale(promotion, timedelta(hours=5), "Eve Stone")
    regular_visit(service, days=23, email="someone.else@example.com")  # another patient

    response = owner.get(dashboard(promotion))

    report = response.context["report"]
    assert report.booked_again == 2
    assert [s.booking for s in report.sales if s.booked_again] == [ana, ben]
    assert "2 of 5 patients" in html(response).find("body").text
    assert [bar.count for bar in report.chart.bars] == [5, 0, 2, 0]


def test_an_offer_with_no_sales_shows_an_empty_but_working_page(owner, promotion):
    response = owner.get(dashboard(promotion))

    assert response.status_code == 200
    root = html(response)
    assert "No sales yet." in root.find("body").text
    assert root.find_all("circle", **{"class": "chart-sale"}) == []
    assert "0 of 8 spots sold; no sales yet." in root.find("desc").text


def test_an_offer_not_open_yet_or_closed_long_ago_does_not_break_the_page(owner, promotion):
    now = timezone.now()
    promotion.opens_at, promotion.closes_at = now + timedelta(days=1), now + timedelta(days=5)
    promotion.save()
    early = sale(promotion, -timedelta(hours=2), "Desk Early")  # booked at the desk before the offer opened
    response = owner.get(dashboard(promotion))
    assert response.status_code == 200
    [mark] = html(response).find_all("circle", **{"class": "chart-sale"})
    assert mark.find("title").text == "Spot 1: Desk Early, before the offer opened"
    assert "opens " in html(response).find("desc").text
    early.delete()

    promotion.opens_at, promotion.closes_at = now - timedelta(days=40), now - timedelta(days=30)
    promotion.save()
    sale(promotion, timedelta(days=2, hours=3), "Late Lu")
    response = owner.get(dashboard(promotion))
    assert response.status_code == 200
    assert "closed after 10 days" in html(response).find("body").text


def test_an_unknown_offer_is_not_found(owner, promotion):
    assert owner.get(f"/admin/booking/promotion/{promotion.pk + 1000}/dashboard/").status_code == 404
    assert owner.get("/admin/booking/promotion/99999999999999999999/dashboard/").status_code == 404


def test_the_report_runs_a_fixed_number_of_queries(promotion, django_assert_num_queries):
    for n in range(6):
        sale(promotion, timedelta(hours=n + 1), f"Runner {'ABCDEF'[n]}")
    promotion.refresh_from_db()
    with django_assert_num_queries(5):  # service and clinic, the bookings, the payments, the waiting list
        promotion_report(promotion=promotion)
