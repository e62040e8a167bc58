"""The printable intake summary: whether the visit is on, the patient's phone and age, ahead of the answers."""

from datetime import date

import pytest

from assessments.models import Intake
from assessments.summary import age_on
from booking.models import Booking
from clinic.tests.html import html

from .helpers import NOW, STEP_NAMES, answer_steps, make_booking, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def visit(service):
    return make_booking(service, phone="+16195550142")


@pytest.fixture
def intake(client, visit) -> Intake:
    """Dana's finished questionnaire (born March 14, 1988; the visit is Thursday April 9, 2026)."""
    answer_steps(client, visit, STEP_NAMES)
    client.logout()
    return Intake.objects.get(booking=visit)


def printed(client, clinician, booking):
    client.force_login(clinician)
    response = client.get(f"/staff/intakes/{booking.pk}/print/")
    assert response.status_code == 200
    return response


def banners(response) -> list[str]:
    return [p.text for p in html(response).find_all("p") if p.has_class("banner--not-on")]


def test_a_confirmed_visit_has_no_banner_and_shows_its_status_phone_and_age(client, clinician, intake, visit):
    response = printed(client, clinician, visit)

    assert banners(response) == []
    page = text(response)
    assert "Status: Confirmed" in page
    assert "Phone: (619) 555-0142" in page
    assert "Age: 38 (born Mar 14, 1988)" in page


def test_a_cancelled_visit_says_so_in_a_banner_before_anything_else(client, clinician, intake, visit):
    Booking.objects.filter(pk=visit.pk).update(
        status=Booking.Status.CANCELLED, cancelled_at=NOW, cancel_reason="Patient called"
    )

    response = printed(client, clinician, visit)

    [banner] = banners(response)  # (the text reader spaces out the <strong>)
    assert banner == "CANCELLED : this visit is not on (cancelled Apr 6, 8:00 AM: Patient called)."
    root = html(response)
    first = next(el for el in root.find("body").children if not isinstance(el, str) and not el.has_class("no-print"))
    assert first.has_class("banner--not-on") and first.attrs["role"] == "alert"
    assert "Status: Cancelled" in text(response)


@pytest.mark.parametrize(("status", "word"), [("expired", "EXPIRED"), ("no_show", "NO-SHOW")])
def test_an_expired_hold_or_a_no_show_has_its_banner_too(client, clinician, intake, visit, status, word):
    Booking.objects.filter(pk=visit.pk).update(status=status)

    [banner] = banners(printed(client, clinician, visit))

    assert banner.startswith(f"{word} : this visit is not on")


@pytest.mark.parametrize("status", ["held", "attended"])
def test_a_held_or_attended_visit_has_no_banner(client, clinician, intake, visit, status):
    Booking.objects.filter(pk=visit.pk).update(status=status)

    assert banners(printed(client, clinician, visit)) == []


def test_without_a_date_of_birth_the_age_says_not_given(client, clinician, visit):
    Intake.objects.create(booking=visit, steps_done=[])

    page = text(printed(client, clinician, visit))

    assert "Age: not given" in page
    assert "Phone: (619) 555-0142" in page


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1988, 3, 14), date(2026, 3, 13), 37),
        (date(1988, 3, 14), date(2026, 3, 14), 38),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
        (date(2000, 2, 29), date(2026, 3, 1), 26),
        (None, date(2026, 3, 1), None),
        (date(2027, 1, 1), date(2026, 3, 1), None),
    ],
)
def test_age_is_whole_years_on_the_visit_day(born, on, age):
    assert age_on(born, on) == age
