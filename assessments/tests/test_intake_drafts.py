""" "Save and finish later": a half-filled step, even a wrong one, is kept as typed and shown again through the
patient's link; it is not an answer (nothing counts, flags or shows to staff) until the step is sent and checked.

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego; the visit is Thursday 10:00 AM.
"""

import logging
from datetime import timedelta

import pytest
from django.test import Client

from assessments.models import Intake, IntakeAccess
from booking.models import Booking
from booking.tests.factories import local

from .helpers import (
    ABOUT,
    PAIN,
    SCREEN,
    STEP_NAMES,
    TODAY,
    VISIT,
    answer_steps,
    done_url,
    html,
    intake_row,
    make_booking,
    post_step,
    start_url,
    step_url,
    text,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

KEPT = "You kept this step to finish later."
# Half of the pain step, as a patient leaves it: no "since when", and a pain at its worst below the pain now.
HALF_PAIN = {
    "pain_areas": ["hip"],
    "pain_onset": "Zebracrossing tumble on a hill repeat",
    "pain_now": "6",
    "pain_worst": "4",
    "finish": "1",
}


def ticked(root, name: str) -> list[str]:
    return [el.attrs["value"] for el in root.find_all("input", name=name) if "checked" in el.attrs]


def keep_half_the_pain_step(client, booking):
    response = post_step(client, booking, "pain", HALF_PAIN)
    assert (response.status_code, response["Location"]) == (302, done_url(booking))
    return response


def test_a_half_filled_wrong_step_is_kept_as_typed_and_shown_again_through_the_link(client, booking):
    answer_steps(client, booking, ["about"])

    keep_half_the_pain_step(client, booking)

    intake = Intake.objects.get(booking=booking)
    assert intake.steps_done == ["about"]  # not an answer yet
    assert (intake.pain_areas, intake.pain_onset, intake.pain_now, intake.pain_worst) == ([], "", None, None)
    assert intake.drafts["pain"]["pain_onset"] == "Zebracrossing tumble on a hill repeat"
    assert "Step 2: Your pain Kept to finish later" in text(client.get(done_url(booking)))

    start = client.get(start_url(booking))  # the patient comes back through their link
    assert start["Location"] == step_url(booking, "pain")
    page = client.get(start["Location"])
    assert page.status_code == 200
    root = html(page)
    assert KEPT in text(page)
    assert root.find("div", **{"class": "error-summary"}) is None  # checked only when sent
    assert ticked(root, "pain_areas") == ["hip"]
    assert root.by_id("id_pain_onset").text == "Zebracrossing tumble on a hill repeat"
    assert (ticked(root, "pain_now"), ticked(root, "pain_worst"), ticked(root, "pain_since")) == (["6"], ["4"], [])


def test_sending_the_kept_step_checks_it_and_then_saves_it_in_place_of_the_draft(client, booking):
    keep_half_the_pain_step(client, booking)

    wrong = post_step(client, booking, "pain", {k: v for k, v in HALF_PAIN.items() if k != "finish"})
    assert wrong.status_code == 400
    assert "Tell us how long it has been hurting." in text(wrong)
    assert "pain" in Intake.objects.get(booking=booking).drafts  # still kept

    assert post_step(client, booking, "pain", PAIN).status_code == 302

    intake = Intake.objects.get(booking=booking)
    assert intake.steps_done == ["pain"]
    assert intake.drafts == {}
    assert (intake.pain_now, intake.pain_worst) == (3, 7)
    assert KEPT not in text(client.get(step_url(booking, "pain")))


def test_finishing_later_on_a_saved_step_keeps_the_saved_answers_until_the_new_ones_are_sent(client, booking):
    answer_steps(client, booking, STEP_NAMES)
    before = intake_row(booking)

    changed = {**ABOUT, "date_of_birth_year": "19", "emergency_contact_name": "Rafe Brackwater", "finish": "1"}
    assert post_step(client, booking, "about", changed)["Location"] == done_url(booking)

    intake = Intake.objects.get(booking=booking)
    assert intake.emergency_contact_name == "Ottoline Brackwater"  # the checked answer stays the answer
    assert intake.completed_at == before["completed_at"]
    about = html(client.get(step_url(booking, "about")))
    assert about.by_id("id_emergency_contact_name").attrs["value"] == "Rafe Brackwater"
    assert about.by_id("id_date_of_birth_2").attrs["value"] == "19"


def test_a_yes_in_a_kept_safety_screen_flags_nothing_until_it_is_sent(
    client, booking, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        post_step(client, booking, "screen", {"flag_saddle_numbness": "True", "finish": "1"})

    assert callbacks == []
    assert Booking.objects.get(pk=booking.pk).review_before_visit is False
    assert Intake.objects.get(booking=booking).flags_raised == frozenset()


def test_an_urgent_yes_in_a_kept_safety_screen_shows_the_urgent_care_advice_at_once(client, booking):
    post_step(client, booking, "screen", {"flag_saddle_numbness": "True", "finish": "1"})

    page = text(client.get(done_url(booking)))

    assert "go to an emergency department or call 911" in page
    assert "Please send the safety questions when you can" in page
    assert "We will call you" not in page  # nothing is flagged for review until the step is sent


def test_a_kept_safety_screen_without_an_urgent_yes_shows_no_urgent_advice(client, booking):
    post_step(client, booking, "screen", {"flag_fever": "True", "finish": "1"})

    assert "call 911" not in text(client.get(done_url(booking)))


def test_finishing_later_with_nothing_typed_keeps_nothing(client, booking):
    response = post_step(client, booking, "running", {"finish": "1", "next_race_name": "   "})

    assert response["Location"] == done_url(booking)
    assert not Intake.objects.filter(booking=booking).exists()
    assert not IntakeAccess.objects.exists()


def test_emptying_a_kept_step_drops_its_draft(client, booking):
    keep_half_the_pain_step(client, booking)

    post_step(client, booking, "pain", {"finish": "1"})

    assert Intake.objects.get(booking=booking).drafts == {}


def test_the_consent_step_kept_half_done_is_not_signed(client, booking):
    post_step(client, booking, "consent", {"signature_name": "Dana Cruz", "consent_treatment": "on", "finish": "1"})

    intake = Intake.objects.get(booking=booking)
    assert (intake.signed_at, intake.signature_name, intake.consent_treatment) == (None, "", False)
    assert intake.drafts["consent"]["signature_name"] == "Dana Cruz"


def test_a_draft_is_on_record_without_its_answers_and_nowhere_in_an_address_or_a_log(client, booking, caplog):
    caplog.set_level(logging.DEBUG)

    response = keep_half_the_pain_step(client, booking)

    assert "?" not in response["Location"] and "#" not in response["Location"]
    [entry] = IntakeAccess.objects.all()
    assert (entry.action, entry.detail) == (IntakeAccess.Action.PATIENT_DRAFT, "pain")
    for record in caplog.records:
        assert "Zebracrossing" not in record.getMessage()


# Who may read a draft -----------------------------------------------------------------------------------------


def test_another_browser_with_the_link_cannot_read_or_change_a_draft(client, booking):
    keep_half_the_pain_step(client, booking)
    laptop = Client()

    step = laptop.get(step_url(booking, "pain"))
    done = laptop.get(done_url(booking))
    changed = laptop.post(step_url(booking, "pain"), {**HALF_PAIN, "pain_onset": "Someone else"})

    assert step["Location"] == done_url(booking)
    assert "0 of 6 steps saved, 1 kept to finish later" in text(done)
    assert "we will send you a 6-digit code" in text(done)
    assert changed.status_code == 403
    for response in (done, changed):
        assert "Zebracrossing" not in response.content.decode()
    assert Intake.objects.get(booking=booking).drafts["pain"]["pain_onset"].startswith("Zebracrossing")


@pytest.mark.parametrize("role", ["front_desk", "manager"])
def test_staff_who_do_not_read_answers_are_refused_the_kept_step(request, client, booking, role):
    keep_half_the_pain_step(client, booking)
    client.force_login(request.getfixturevalue(role))

    assert client.get(step_url(booking, "pain")).status_code == 403
    assert client.get(done_url(booking)).status_code == 403
    booking_page = client.get(f"/admin/booking/booking/{booking.pk}/change/")
    assert booking_page.status_code == 200
    assert "Zebracrossing" not in booking_page.content.decode()


def test_the_clinicians_answers_and_print_show_no_draft(client, booking, clinician):
    answer_steps(client, booking, ["about"])
    keep_half_the_pain_step(client, booking)
    intake = Intake.objects.get(booking=booking)
    client.force_login(clinician)

    for path in (f"/admin/assessments/intake/{intake.pk}/change/", f"/staff/intakes/{booking.pk}/print/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Zebracrossing" not in response.content.decode()


def test_a_draft_of_one_booking_never_shows_on_another(client, booking, service):
    other = make_booking(service, starts_at=local(TODAY, 15) + timedelta(days=4), email="dana.two@example.com")
    keep_half_the_pain_step(client, booking)

    page = client.get(step_url(other, "pain"))

    assert page.status_code == 200
    assert KEPT not in text(page)
    assert "Zebracrossing" not in page.content.decode()
    assert ticked(html(page), "pain_areas") == []
    assert not Intake.objects.filter(booking=other).exists()


def test_no_draft_is_kept_once_the_visit_has_started(client, booking, clock):
    answer_steps(client, booking, ["about"])
    clock.move_to(VISIT)

    response = post_step(client, booking, "pain", HALF_PAIN)

    assert response.status_code == 403
    assert Intake.objects.get(booking=booking).drafts == {}


# Whatever is posted, a clear page, never a 500 ---------------------------------------------------------------

ODD_POSTS = [
    {"pain_onset": "Hill\x00repeats", "worse_with": "\x00"},  # PostgreSQL refuses NUL in text
    {"pain_onset": "x" * 50_000},
    {"pain_now": ["3", "4"], "pain_areas": ["hip"] * 500},
    {"pain_now": "eleven", "pain_since": "forever", "wakes_at_night": "maybe", "pain_areas": ["elbow"]},
    {"unknown_field": "hello", "pain_areas": ["<script>alert(1)</script>"]},
    {"pain_onset": "😀 café ☕"},
]


@pytest.mark.parametrize("posted", ODD_POSTS, ids=range(len(ODD_POSTS)))
def test_odd_input_kept_for_later_is_stored_safely_and_shown_again(client, booking, posted):
    response = post_step(client, booking, "pain", {**posted, "finish": "1"})

    assert response.status_code == 302
    draft = Intake.objects.get(booking=booking).drafts["pain"]
    assert set(draft) <= set(PAIN)  # only the step's own boxes
    assert "\x00" not in str(draft)
    assert all(len(value) <= 5000 for value in draft.values())
    page = client.get(step_url(booking, "pain"))
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.content.decode()
    sent = post_step(client, booking, "pain", {name: value for name, value in draft.items() if value})
    assert sent.status_code in (302, 400)


def test_a_kept_screen_step_is_shown_again_with_its_answers(client, booking):
    post_step(client, booking, "screen", {**SCREEN, "flag_fever": "True", "flag_cancer": "", "finish": "1"})

    root = html(client.get(step_url(booking, "screen")))

    assert ticked(root, "flag_fever") == ["True"]
    assert ticked(root, "flag_cancer") == []
    assert ticked(root, "flag_fall") == ["False"]
