"""Today's calendar, what it lists and how it reads its dates: which visits it shows and what each says, the days
and weeks around it, bad addresses, its queries, daylight saving, and who sees the patients.

The clock is stopped at Monday 2026-04-06, 8:00 AM in San Diego (PDT); the conftest offer is $99 for visits
April 7 to 16, the regular rate $175. The panels, times, takings and sections are tested in test_today.py.
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Intake
from booking.models import Booking, Payment
from booking.tests.factories import BookingFactory, SlotFactory, local
from booking.tests.pages import NOW, page
from clinic.tests.factories import PractitionerFactory
from clinic.tests.html import html

pytestmark = pytest.mark.django_db

TODAY = NOW.date()  # a Monday
TUESDAY, WEDNESDAY, SUNDAY = (TODAY + timedelta(days=n) for n in (1, 2, 6))
HOME = "/admin/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


def notices(response) -> list[str]:
    return [m.message for m in response.context["messages"]]


def names(response) -> list[str]:
    """The patients on the calendar, row by row (time) and column by column."""
    assert response.status_code == 200, response.content.decode()[:3000]
    return [v.booking.patient_name for v in response.context["calendar"].visits()]


def labels(response) -> dict[str, str]:
    """What each visit's box says after the patient's name and mobile: status, price, paid, intake, flag."""
    found = {}
    for box in html(response).find_all("div"):
        if box.has_class("today-visit"):
            name = next(a for a in box.find_all("a") if a.has_class("today-visit-name")).visible_text
            found[name] = next(s for s in box.find_all("span") if s.has_class("today-tags")).visible_text
    return found


def links(response) -> dict[str, str]:
    return {name: href for href, name in page(response).links}


# What the calendar lists ---------------------------------------------------------------------------------------


@pytest.fixture
def tuesday(clinic, service, promotion):
    """Tuesday's bookings in every state, with payments and intakes."""
    nine = SlotFactory(service=service, starts_at=local(TUESDAY, 9), capacity=2)
    ten = SlotFactory(service=service, starts_at=local(TUESDAY, 10), practitioner=PractitionerFactory(clinic=clinic))
    SlotFactory(service=service, starts_at=local(TUESDAY, 11), is_blocked=True, block_reason="Team meeting")
    ana = BookingFactory(slot=nine, patient_name="Ana Promo", promotion=promotion, review_before_visit=True)
    Payment.objects.create(booking=ana, checkout_session_id="cs_ana", amount_cents=99_00, status="paid")
    Intake.objects.create(booking=ana, completed_at=NOW)
    ben = BookingFactory(
        slot=nine, patient_name="Ben Held", status=Booking.Status.HELD, hold_expires_at=NOW + timedelta(minutes=10)
    )
    Payment.objects.create(booking=ben, checkout_session_id="cs_ben", amount_cents=175_00, status="open")
    Intake.objects.create(booking=ben)  # started, not finished
    BookingFactory(slot=ten, patient_name="Cal Attended", status=Booking.Status.ATTENDED)
    # Not on: none of these is listed.
    BookingFactory(slot=ten, patient_name="Dee Cancelled", status=Booking.Status.CANCELLED)
    BookingFactory(slot=ten, patient_name="Eve Lapsed", status=Booking.Status.HELD, hold_expires_at=NOW)
    BookingFactory(slot=ten, patient_name="Fay Expired", status=Booking.Status.EXPIRED)
    # Another day.
    BookingFactory(slot=SlotFactory(service=service, starts_at=local(WEDNESDAY, 9)), patient_name="Gus Wednesday")
    return {"ana": ana, "ben": ben}


def test_the_days_visits_that_are_on_are_listed_with_their_labels(desk, tuesday):
    response = desk.get(HOME, {"day": "2026-04-07"})

    assert response.context["title"] == "Tuesday, April 7, 2026"
    calendar = response.context["calendar"]
    assert calendar.columns == ["Brandon Pascual", "Anyone"]
    assert [f"{row.at:%H:%M}" for row in calendar.rows] == ["09:00", "10:00", "11:00"]
    assert names(response) == ["Ana Promo", "Ben Held", "Cal Attended"]
    assert labels(response) == {
        "Ana Promo": "Confirmed Promo Paid Intake done Red flag",
        "Ben Held": "Held until 8:10 AM Regular Due $175 No intake yet",
        "Cal Attended": "Attended Regular Due $175 No intake yet",
    }
    text = page(response).text
    assert "Tuesday, April 7, 2026 · 3 visits" in text  # the table's caption
    assert "Dee Cancelled" not in text and "Eve Lapsed" not in text and "Fay Expired" not in text
    assert "Gus Wednesday" not in text
    [[], [nine]] = calendar.rows[0].cells
    assert (nine.booked, nine.is_open) == (2, False)
    [[ten], []] = calendar.rows[1].cells
    assert [v.booking.patient_name for v in ten.visits] == ["Cal Attended"]  # not the three that are off
    [[], [eleven]] = calendar.rows[2].cells
    assert eleven.slot.is_blocked and "Blocked (Team meeting)" in text
    markup = response.content.decode()
    # The colour is only a second signal: each badge says its status.
    assert '<span class="agenda-badge agenda-badge--confirmed">Confirmed</span>' in markup
    assert '<span class="agenda-badge agenda-badge--held">Held until 8:10 AM</span>' in markup
    # Each name opens the visit's panel, for the front desk.
    ana = links(response)["Ana Promo"]
    assert ana == f"/admin/today/visit/{tuesday['ana'].pk}/"
    assert desk.get(ana).status_code == 200


def test_a_lapsed_hold_leaves_the_calendar_when_it_lapses(desk, tuesday, clock):
    clock.move_to(NOW + timedelta(minutes=10))
    response = desk.get(HOME, {"day": "2026-04-07"})
    assert names(response) == ["Ana Promo", "Cal Attended"]
    [[], [nine]] = response.context["calendar"].rows[0].cells
    assert (nine.booked, nine.is_open) == (1, True)
    assert "Open, 1 of 2 booked" in page(response).text


def test_the_calendar_is_a_real_table_with_headers_and_a_caption(desk, tuesday):
    response = desk.get(HOME, {"day": "2026-04-07", "span": "week"})
    main = html(response).by_id("content-main")
    [table] = main.find_all("table")
    assert table.find("caption").visible_text == "Week of Monday, April 6, 2026 · 4 visits"
    assert len(table.find_all("th", scope="col")) == 1 + 7  # the time, then a column per day
    assert len(table.find_all("th", scope="row")) == 3  # 9, 10 and 11 AM: Tuesday's three and Wednesday's nine
    # Every link is a real link (keyboard-focusable), none taken out of the tab order.
    assert all(el.attrs.get("href") for el in main.find_all("a"))
    assert not [el for el in main.iter() if el.attrs.get("tabindex") == "-1"]


# The days around ---------------------------------------------------------------------------------------------


@pytest.fixture
def week(service):
    """A visit on Monday, Tuesday, Saturday and Sunday, and one on each side of the week."""
    for day, hour, name in [
        (TODAY - timedelta(days=1), 9, "Before Week"),
        (TODAY, 7, "Mon Morning"),
        (TUESDAY, 12, "Tue Noon"),
        (TODAY + timedelta(days=5), 14, "Sat Afternoon"),
        (SUNDAY, 23, "Sun Late"),
        (SUNDAY + timedelta(days=1), 0, "After Week"),
    ]:
        BookingFactory(slot=SlotFactory(service=service, starts_at=local(day, hour)), patient_name=name)


def test_the_day_shows_today_by_default_with_links_to_the_days_around(desk, week):
    response = desk.get(HOME)
    assert response.context["title"] == "Today, Monday, April 6, 2026"
    assert names(response) == ["Mon Morning"]
    found = links(response)
    assert found["← Previous day"] == f"{HOME}?day=2026-04-05&span=day"
    assert found["Next day →"] == f"{HOME}?day=2026-04-07&span=day"
    assert found["Today"] == f"{HOME}?day=2026-04-06&span=day"
    assert found["The week"] == f"{HOME}?day=2026-04-06&span=week"
    shown = page(response)
    day_input = next(c for c in shown.controls if c.get("name") == "day")
    assert (day_input["type"], day_input["value"], day_input["id"]) == ("date", "2026-04-06", "today-day")
    assert "today-day" in shown.label_for

    sunday = desk.get(found["← Previous day"])
    assert (sunday.context["title"], names(sunday)) == ("Sunday, April 5, 2026", ["Before Week"])


def test_the_week_runs_monday_to_sunday(desk, week):
    response = desk.get(HOME, {"day": "2026-04-09", "span": "week"})  # a Thursday
    assert response.context["title"] == "Week of Monday, April 6, 2026"
    calendar = response.context["calendar"]
    assert calendar.columns[0] == "Mon Apr 6" and calendar.columns[-1] == "Sun Apr 12"
    by_day = [
        [v.booking.patient_name for row in calendar.rows for t in row.cells[column] for v in t.visits]
        for column in range(7)
    ]
    assert by_day == [["Mon Morning"], ["Tue Noon"], [], [], [], ["Sat Afternoon"], ["Sun Late"]]
    assert "Before Week" not in page(response).text and "After Week" not in page(response).text
    found = links(response)
    assert found["← Previous week"] == f"{HOME}?day=2026-03-30&span=week"
    assert found["Next week →"] == f"{HOME}?day=2026-04-13&span=week"
    assert found["Today"] == f"{HOME}?day=2026-04-06&span=week"
    assert found["The day"] == f"{HOME}?day=2026-04-09&span=day"


def test_today_is_the_clinics_today_late_in_the_evening(desk, front_desk, week, clock):
    clock.move_to(local(TODAY, 23, 30))  # already Tuesday in UTC
    desk.force_login(front_desk)  # the idle session has ended
    response = desk.get(HOME)
    assert response.context["day"] == TODAY
    assert response.context["title"] == "Today, Monday, April 6, 2026"
    assert names(response) == ["Mon Morning"]
    assert links(response)["Today"] == f"{HOME}?day=2026-04-06&span=day"


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"day": "2026-02-30"}, "“2026-02-30” is not a day we can show (use YYYY-MM-DD). Showing today."),
        ({"day": "04/07/2026"}, "“04/07/2026” is not a day we can show (use YYYY-MM-DD). Showing today."),
        ({"day": "0001-01-01", "span": "week"}, "“0001-01-01” is not a day we can show"),
        ({"day": "9999-12-31", "span": "week"}, "“9999-12-31” is not a day we can show"),
        ({"day": "2026-04-07<script>"}, "“2026-04-07<script>” is not a day we can show"),
        ({"span": "fortnight"}, "“fortnight” is not a view we know (day or week). Showing one day."),
        ({"span": "<script>alert(1)</script>"}, "“<script>alert(1)</sc” is not a view we know"),
    ],
)
def test_bad_values_show_today_with_a_message(desk, week, query, error):
    response = desk.get(HOME, query)
    assert response.status_code == 200
    assert any(m.startswith(error) for m in notices(response)), notices(response)
    assert "<script>" not in response.content.decode().split('id="content"')[1]
    assert response.context["day"] == TODAY
    assert names(response)[0] == "Mon Morning"


def test_an_empty_value_is_today_without_a_message(desk, week):
    response = desk.get(HOME, {"day": "", "span": ""})
    assert (response.context["day"], response.context["span"]) == (TODAY, "day")
    assert notices(response) == []
    assert names(response) == ["Mon Morning"]


# Its cost and its clock --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("span", "busy_visits"), [("day", 1 + 3 * 3), ("week", 1 + 7 * 3 * 3)])
def test_the_same_number_of_queries_for_one_visit_or_a_busy_week(
    admin_client, clinic, service, promotion, span, busy_visits
):
    BookingFactory(slot=SlotFactory(service=service, starts_at=local(TODAY, 9)))
    with CaptureQueriesContext(connection) as one:
        response = admin_client.get(HOME, {"day": "2026-04-06", "span": span})
    assert len(names(response)) == 1

    # Every day of the week: three practitioners' times, three patients each, paid online, some intakes done.
    practitioners = [PractitionerFactory(clinic=clinic, name=f"PT {n}") for n in range(3)]
    for n in range(7):
        for hour, practitioner in zip((10, 11, 12), practitioners, strict=True):
            slot = SlotFactory(
                service=service, starts_at=local(TODAY + timedelta(days=n), hour), capacity=3, practitioner=practitioner
            )
            for seat in range(3):
                booking = BookingFactory(slot=slot, promotion=promotion if seat == 0 else None)
                Intake.objects.create(booking=booking, completed_at=NOW if seat == 1 else None)
                Payment.objects.create(
                    booking=booking, checkout_session_id=f"cs_{slot.pk}_{seat}", amount_cents=99_00, status="paid"
                )
    with CaptureQueriesContext(connection) as busy:
        response = admin_client.get(HOME, {"day": "2026-04-06", "span": span})
    assert len(names(response)) == busy_visits

    assert len(busy) == len(one), "\n".join(q["sql"] for q in busy.captured_queries)


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "America/New_York"])
def test_the_daylight_saving_week_keeps_the_clinics_local_times(admin_client, clinic, service, zone, settings):
    # US daylight saving time ends on Sunday 2026-11-01. The site's default zone stays Los Angeles:
    # Today must show the clinic's zone, whatever the server's.
    settings.TIME_ZONE = "America/Los_Angeles"
    clinic.time_zone = zone
    clinic.save()
    for day, hour, minute, name in [
        (date(2026, 10, 30), 7, 0, "Friday Seven"),
        (date(2026, 11, 1), 23, 30, "Sunday Late"),
        (date(2026, 11, 2), 7, 0, "Monday Seven"),
    ]:
        slot = SlotFactory(service=service, starts_at=local(day, hour, minute, tz=zone))
        BookingFactory(slot=slot, patient_name=name)

    dst_week = admin_client.get(HOME, {"day": "2026-10-30", "span": "week"})
    calendar = dst_week.context["calendar"]
    assert (calendar.columns[0], calendar.columns[4], calendar.columns[6]) == ("Mon Oct 26", "Fri Oct 30", "Sun Nov 1")
    seven, late = calendar.rows
    assert f"{seven.at:%H:%M}" == "07:00"
    assert [[v.booking.patient_name for t in cell for v in t.visits] for cell in seven.cells][4] == ["Friday Seven"]
    assert f"{late.at:%H:%M}" == "23:30"  # after the change, still on Sunday
    assert [[v.booking.patient_name for t in cell for v in t.visits] for cell in late.cells][6] == ["Sunday Late"]
    assert names(dst_week) == ["Friday Seven", "Sunday Late"]
    text = page(dst_week).text
    assert "7:00 AM" in text and "11:30 PM" in text

    next_week = admin_client.get(HOME, {"day": "2026-11-02", "span": "week"})
    [seven] = next_week.context["calendar"].rows
    assert f"{seven.at:%H:%M}" == "07:00"
    assert [v.booking.patient_name for v in seven.cells[0][0].visits] == ["Monday Seven"]
    assert names(next_week) == ["Monday Seven"]

    monday = admin_client.get(HOME, {"day": "2026-11-02"})
    assert monday.context["title"] == "Monday, November 2, 2026"
    assert [f"{row.at:%H:%M}" for row in monday.context["calendar"].rows] == ["07:00"]


# Who sees the patients ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["front_desk", "clinician"])
@pytest.mark.parametrize(
    ("span", "patients"),
    [
        ("day", ["Ana Promo", "Ben Held", "Cal Attended"]),
        ("week", ["Ana Promo", "Ben Held", "Gus Wednesday", "Cal Attended"]),  # 9 AM Tuesday and Wednesday, then 10
    ],
)
def test_the_front_desk_and_clinicians_see_the_patients(client, request, tuesday, who, span, patients):
    client.force_login(request.getfixturevalue(who))
    response = client.get(HOME, {"day": "2026-04-07", "span": span})
    assert names(response) == patients
    assert "Ana Promo" in page(response).text


def test_staff_without_view_slot_get_the_list_of_sections(client, django_user_model, tuesday):
    user = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    client.force_login(user)
    response = client.get(HOME, {"day": "not-a-day", "span": "week"})
    assert response.status_code == 200  # the admin's index, not a refusal
    assert response.templates[0].name == "admin/index.html"
    assert "calendar" not in response.context
    assert notices(response) == []  # the calendar's values are not read at all
    text = page(response).text
    assert "You don’t have permission to view or edit anything." in text
    assert "Ana Promo" not in text


def test_staff_who_may_see_times_but_not_bookings_see_no_patients(client, django_user_model, tuesday):
    user = django_user_model.objects.create_user("slots", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_slot"))
    client.force_login(user)
    response = client.get(HOME, {"day": "2026-04-07"})
    assert names(response) == []
    calendar = response.context["calendar"]
    assert [f"{row.at:%H:%M}" for row in calendar.rows] == ["09:00", "10:00", "11:00"]
    [[], [nine]] = calendar.rows[0].cells
    assert (nine.booked, nine.is_open) == (2, False)  # full, without saying who
    text = page(response).text
    assert "Full" in text
    assert "Ana Promo" not in text and "Ben Held" not in text and "Cal Attended" not in text
    assert "Tuesday, April 7, 2026 ·" not in text  # no count of visits either
