"""Today's intakes, for the clinicians: the day's visits in clinic time, each with its intake's state, its red flag
and review, and links to the intake and its printable summary."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Intake, IntakeAccess
from assessments.services import red_flag_review_record
from booking.models import Booking
from booking.tests.factories import local
from clinic.client import Visitor
from clinic.tests.html import html
from clinic.tests.staff import staff_user

from .helpers import NOW, STEP_NAMES, TODAY, make_booking, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

TODAY_URL = "/admin/assessments/intake/today/"


def visit(service, name: str, hour: int, *, day=TODAY, **fields) -> Booking:
    return make_booking(service, starts_at=local(day, hour), patient_name=name, **fields)


def answered(booking, *, steps=STEP_NAMES, flag=False) -> Intake:
    done = NOW if steps == STEP_NAMES else None
    if flag:
        Booking.objects.filter(pk=booking.pk).update(review_before_visit=True)
    return Intake.objects.create(booking=booking, steps_done=list(steps), completed_at=done, flag_fall=flag)


def reviewed(intake, user, outcome="called") -> None:
    red_flag_review_record(
        intake_id=intake.pk, outcome=outcome, note="", visitor=Visitor(user=user, ip="192.0.2.9", user_agent="")
    )


def rows(response) -> list[list[str]]:
    table = html(response).by_id("intakes-today")
    return [
        [cell.text for cell in tr.children if not isinstance(cell, str)] for tr in table.find("tbody").find_all("tr")
    ]


@pytest.fixture
def day(service, clinician):
    """Monday's visits: Ben (done, flagged, reviewed), Cleo (started, flagged), Ada (nothing yet); around them,
    a cancelled visit and a lapsed hold today, and visits on Sunday and Tuesday, none of which are listed."""
    ben = visit(service, "Ben Ortiz", 11)
    reviewed(answered(ben, flag=True), clinician)
    cleo = visit(service, "Cleo Park", 14)
    answered(cleo, steps=STEP_NAMES[:3], flag=True)
    ada = visit(service, "Ada Lopez", 9)
    visit(service, "Cancelled Carl", 10, status=Booking.Status.CANCELLED)
    visit(service, "Lapsed Lou", 15, status=Booking.Status.HELD, hold_expires_at=NOW - timedelta(minutes=1))
    visit(service, "Sunday Sam", 9, day=TODAY - timedelta(days=1))
    visit(service, "Tuesday Tia", 9, day=TODAY + timedelta(days=1))
    return {"ada": ada, "ben": ben, "cleo": cleo}


def test_a_clinician_sees_todays_visits_in_time_order_with_their_intakes(client, clinician, day):
    client.force_login(clinician)

    response = client.get(TODAY_URL)

    assert response.status_code == 200
    ben_intake, cleo_intake = day["ben"].intake, day["cleo"].intake
    assert rows(response) == [
        ["9:00 AM", "Ada Lopez", "Not started", "–", "No answers yet"],
        [
            "11:00 AM",
            "Ben Ortiz",
            "Done",
            "Flag reviewed by clinician, Apr 6, 8:00 AM: called the patient",
            "Intake of Ben Ortiz · Printable summary of Ben Ortiz",
        ],
        [
            "2:00 PM",
            "Cleo Park",
            "Started: 3 of 6 steps",
            "Review before the visit: not reviewed yet",
            "Intake of Cleo Park · Printable summary of Cleo Park · Record the review for Cleo Park",
        ],
    ]
    hrefs = [a.attrs["href"] for a in html(response).by_id("intakes-today").find_all("a")]
    assert hrefs == [
        f"/admin/assessments/intake/{ben_intake.pk}/change/",
        f"/staff/intakes/{day['ben'].pk}/print/",
        f"/admin/assessments/intake/{cleo_intake.pk}/change/",
        f"/staff/intakes/{day['cleo'].pk}/print/",
        f"/admin/assessments/intake/{cleo_intake.pk}/review/",
    ]
    assert "1 red flag to review" in text(response)
    [logged] = IntakeAccess.objects.filter(action=IntakeAccess.Action.LIST)
    assert (logged.user, logged.detail) == (clinician, "visits on 2026-04-06")


def test_today_is_the_clinics_day_late_in_the_evening_too(client, clinician, service, clock):
    visit(service, "Evening Eve", 18)  # Monday 6 PM in San Diego: Tuesday 1 AM in UTC
    visit(service, "Tuesday Tia", 7, day=TODAY + timedelta(days=1))
    clock.move_to(local(TODAY, 23, 30))
    client.force_login(clinician)

    names = [row[1] for row in rows(client.get(TODAY_URL))]

    assert names == ["Evening Eve"]


def test_another_day_can_be_shown_and_a_bad_day_says_so(client, clinician, day):
    client.force_login(clinician)

    assert [row[1] for row in rows(client.get(TODAY_URL, {"day": "2026-04-07"}))] == ["Tuesday Tia"]
    response = client.get(TODAY_URL, {"day": "04/07/2026"})
    assert response.status_code == 400
    assert "“04/07/2026” is not a day we can show (use YYYY-MM-DD). Showing today." in text(response)
    assert [row[1] for row in rows(response)] == ["Ada Lopez", "Ben Ortiz", "Cleo Park"]
    assert client.get(TODAY_URL, {"day": "9999-12-31"}).status_code == 400


def test_a_day_without_visits_says_so(client, clinician):
    client.force_login(clinician)

    assert rows(client.get(TODAY_URL)) == [["No visits booked this day."]]


@pytest.mark.parametrize("role", ["front_desk", "manager"])
def test_roles_that_do_not_read_answers_are_refused(client, day, role, request):
    client.force_login(request.getfixturevalue(role))

    assert client.get(TODAY_URL).status_code == 403
    assert not IntakeAccess.objects.filter(action=IntakeAccess.Action.LIST).exists()


def test_the_intake_list_links_to_today(client, clinician):
    client.force_login(clinician)

    hrefs = [a.attrs.get("href") for a in html(client.get("/admin/assessments/intake/")).find_all("a")]

    assert TODAY_URL in hrefs


def test_the_page_runs_the_same_queries_for_one_visit_or_many(client, clinician, service, django_user_model):
    client.force_login(clinician)
    first = visit(service, "Ada Lopez", 8)
    reviewed(answered(first, flag=True), clinician)
    client.get(TODAY_URL)  # sessions and permissions cached as they would be

    with CaptureQueriesContext(connection) as one:
        assert client.get(TODAY_URL).status_code == 200
    for hour in range(9, 17):
        other = staff_user(django_user_model, f"clinician{hour}", "Clinician")
        booking = visit(service, f"Runner {hour}", hour)
        if hour % 2:
            reviewed(answered(booking, flag=True), other, outcome="referred")
        elif hour % 3:
            answered(booking, steps=STEP_NAMES[:2])
    with CaptureQueriesContext(connection) as many:
        assert len(rows(client.get(TODAY_URL))) == 9

    assert len(many) == len(one), [q["sql"] for q in many.captured_queries]
    # The page's own reads: the clinic, and every visit with its intake, review and reviewer in one query (the
    # header's count of unread texts aside).
    reads = [q["sql"] for q in many.captured_queries if q["sql"].startswith("SELECT") and "django_" not in q["sql"]]
    reads = [
        sql
        for sql in reads
        if "auth_permission" not in sql
        and "otp_" not in sql
        and '"auth_user"' not in sql[:80]
        and "notifications_conversation" not in sql
    ]
    assert len(reads) == 2, reads


def test_the_page_shows_the_clinics_times_across_a_daylight_saving_change(client, clinician, service):
    sunday = TODAY.replace(month=3, day=8)  # 2026-03-08: clocks go forward at 2 AM in San Diego
    with time_machine.travel(local(sunday, 6), tick=False):
        visit(service, "Early Emma", 9, day=sunday)
        client.force_login(clinician)
        response = client.get(TODAY_URL)
    assert [row[:2] for row in rows(response)] == [["9:00 AM", "Early Emma"]]
