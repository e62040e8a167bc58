"""A clinician records that a red flag was reviewed: who, when, the outcome, a short note. Only the roles that read
intake answers may; every review stays on record, the latest holds, and the access log says who did it."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from assessments.models import Intake, IntakeAccess, RedFlagReview
from assessments.services import ReviewRefused, red_flag_review_record
from clinic.client import Visitor
from clinic.tests.html import html

from .helpers import SCREEN, STEP_NAMES, answer_steps, post_step, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

NOTE = "Left a voicemail, called back at 9"


@pytest.fixture
def doctor(clinician):
    clinician.first_name, clinician.last_name = "Ana", "Ruiz"
    clinician.save()
    return clinician


def review_url(intake) -> str:
    return f"/admin/assessments/intake/{intake.pk}/review/"


def change_url(intake) -> str:
    return f"/admin/assessments/intake/{intake.pk}/change/"


def notices(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def nothing_recorded(intake) -> bool:
    intake.refresh_from_db()
    return (
        intake.red_flag_review is None
        and not RedFlagReview.objects.exists()
        and not IntakeAccess.objects.filter(action=IntakeAccess.Action.FLAG_REVIEW).exists()
    )


def test_a_clinician_records_who_when_and_what_came_of_it(client, intake, doctor):
    client.force_login(doctor)

    response = client.post(review_url(intake), {"outcome": "called", "note": NOTE})

    assert response.status_code == 302
    assert response["Location"] == change_url(intake)
    assert notices(response) == ["Red-flag review recorded: called the patient."]
    intake.refresh_from_db()
    review = intake.red_flag_review
    assert (review.reviewed_by, review.outcome, review.note) == (doctor, "called", NOTE)
    assert intake.red_flag_reviewed == "Flag reviewed by Ana Ruiz, Apr 6, 8:00 AM: called the patient"
    [logged] = IntakeAccess.objects.filter(action=IntakeAccess.Action.FLAG_REVIEW)
    assert (logged.user, logged.booking, logged.detail, logged.granted_by) == (
        doctor,
        intake.booking,
        "called",
        "staff",
    )


def test_the_intake_page_shows_the_review_its_history_and_the_form(client, intake, doctor):
    client.force_login(doctor)
    client.post(review_url(intake), {"outcome": "called", "note": NOTE})

    response = client.get(change_url(intake))

    page = text(response)
    assert "Flag reviewed by Ana Ruiz, Apr 6, 8:00 AM: called the patient" in page
    [row] = html(response).find("div", **{"class": "red-flag-reviews"}).find("tbody").find_all("tr")
    assert row.text == f"Apr 6, 2026 8:00 AM Ana Ruiz Called the patient (holds) {NOTE}"
    form = html(response).find("form", **{"class": "red-flag-review-form"})
    assert form.attrs["action"] == review_url(intake)
    labels = [label.text for label in form.find_all("label")]
    assert labels == [
        "Called the patient",
        "Cleared for the visit",
        "Referred to a doctor or urgent care",
        "Note (optional):",
    ]
    assert form.find("legend").text == "What came of the review"


def test_reviewing_again_records_the_latest_and_keeps_the_earlier(client, intake, doctor, clock):
    client.force_login(doctor)
    client.post(review_url(intake), {"outcome": "called", "note": NOTE})
    clock.shift(10 * 60)
    client.post(review_url(intake), {"outcome": "referred", "note": ""})

    intake.refresh_from_db()
    assert intake.red_flag_review.outcome == "referred"
    assert intake.red_flag_reviewed == "Flag reviewed by Ana Ruiz, Apr 6, 8:10 AM: referred to a doctor or urgent care"
    assert [(r.outcome, r.note) for r in intake.red_flag_reviews.all()] == [("referred", ""), ("called", NOTE)]
    logged = IntakeAccess.objects.filter(action=IntakeAccess.Action.FLAG_REVIEW).order_by("at")
    assert [entry.detail for entry in logged] == ["called", "referred"]
    page = text(client.get(change_url(intake)))
    assert "Called the patient" in page and "Referred to a doctor or urgent care (holds)" in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"outcome": "ignored"}, "Choose called the patient, cleared, or referred."),
        ({"outcome": ""}, "Choose what came of the review."),
        ({"outcome": "cleared", "note": "x" * 201}, "Keep the note to 200 characters (it has 201)."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_saves_nothing(client, intake, doctor, data, error):
    client.force_login(doctor)

    response = client.post(review_url(intake), data)

    assert response.status_code == 400
    assert error in text(response)
    assert nothing_recorded(intake)


@pytest.mark.parametrize("role", ["front_desk", "manager"])
def test_roles_that_do_not_read_answers_are_refused_and_save_nothing(client, intake, role, request):
    client.force_login(request.getfixturevalue(role))

    assert client.post(review_url(intake), {"outcome": "cleared"}).status_code == 403
    assert client.get(review_url(intake)).status_code == 403
    assert nothing_recorded(intake)


def test_a_visitor_not_signed_in_is_sent_to_the_login_page(client, intake):
    response = client.post(review_url(intake), {"outcome": "cleared"})

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert nothing_recorded(intake)


def test_an_unknown_intake_is_not_found(client, intake, doctor):
    client.force_login(doctor)

    assert (
        client.post(f"/admin/assessments/intake/{intake.pk + 1000}/review/", {"outcome": "cleared"}).status_code == 404
    )
    assert client.get("/admin/assessments/intake/99999999999999999999/review/").status_code == 404
    assert nothing_recorded(intake)


def test_an_intake_without_a_red_flag_has_nothing_to_review(client, booking, doctor):
    answer_steps(client, booking, STEP_NAMES)
    client.logout()
    intake = Intake.objects.get(booking=booking)
    client.force_login(doctor)

    response = client.post(review_url(intake), {"outcome": "cleared"})

    assert response.status_code == 400
    assert "This intake has no red flag to review." in text(response)
    assert nothing_recorded(intake)
    page = client.get(change_url(intake))
    assert "No red flag." in text(page)
    assert html(page).find("form", **{"class": "red-flag-review-form"}) is None


def test_the_review_page_is_a_form_of_its_own(client, intake, doctor):
    client.force_login(doctor)

    response = client.get(review_url(intake))

    assert response.status_code == 200
    form = html(response).find("form", **{"class": "red-flag-review-form"})
    assert form.attrs["action"] == review_url(intake)
    assert {el.attrs.get("name") for el in form.find_all("input")} == {"csrfmiddlewaretoken", "outcome", "note", None}
    assert client.delete(review_url(intake)).status_code == 405


def test_a_changed_safety_screen_needs_a_new_review_and_keeps_the_old_on_record(client, booking, doctor):
    patient = Client()  # the browser that gives the answers, and may change them until the visit
    answer_steps(patient, booking, STEP_NAMES[:4])
    post_step(patient, booking, "screen", {**SCREEN, "flag_fall": "True"})
    intake = Intake.objects.get(booking=booking)
    client.force_login(doctor)
    client.post(review_url(intake), {"outcome": "cleared"})

    post_step(patient, booking, "screen", {**SCREEN, "flag_fall": "True"})  # the same answers again
    intake.refresh_from_db()
    assert intake.red_flag_reviewed.startswith("Flag reviewed by Ana Ruiz")

    post_step(patient, booking, "screen", {**SCREEN, "flag_fall": "True", "flag_weakness": "True"})
    intake.refresh_from_db()
    assert intake.red_flag_review is None
    assert intake.red_flag_reviewed == ""
    assert [r.outcome for r in intake.red_flag_reviews.all()] == ["cleared"]
    page = text(client.get(change_url(intake)))
    assert "Review before the visit: the safety answers changed since the last review." in page


def test_the_service_refuses_a_user_without_the_role_and_an_unknown_outcome(intake, doctor, front_desk):
    desk = Visitor(user=front_desk, ip="192.0.2.1", user_agent="test")
    with pytest.raises(ReviewRefused, match="Only staff who may read intake answers"):
        red_flag_review_record(intake_id=intake.pk, outcome="cleared", note="", visitor=desk)
    with pytest.raises(ReviewRefused, match="Choose what came of the review"):
        red_flag_review_record(
            intake_id=intake.pk, outcome="maybe", note="", visitor=Visitor(user=doctor, ip="192.0.2.1", user_agent="")
        )
    assert nothing_recorded(intake)


def test_the_summary_for_the_front_desk_never_carries_the_note(client, intake, doctor):
    client.force_login(doctor)
    client.post(review_url(intake), {"outcome": "referred", "note": NOTE})
    response = client.post(review_url(intake), {"outcome": "called", "note": NOTE})

    intake.refresh_from_db()
    assert NOTE not in intake.red_flag_reviewed
    assert NOTE not in response["Location"]
    assert not [message for message in notices(response) if NOTE in message]
    assert not IntakeAccess.objects.filter(detail__contains="voicemail").exists()
