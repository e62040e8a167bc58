"""Each step of the questionnaire: its fields, saving a draft, resuming, errors, closing at the visit, signing."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from assessments.forms import STEPS
from assessments.models import Intake, IntakeAccess

from .helpers import (
    ABOUT,
    ANSWERS,
    HISTORY,
    NOW,
    PAIN,
    SCREEN,
    STEP_NAMES,
    VISIT,
    answer_steps,
    done_url,
    error_next_to,
    html,
    intake_row,
    links,
    post_step,
    start_url,
    step_url,
    text,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

CONTROLS = {"input", "select", "textarea"}


def is_group(bound_field) -> bool:
    """Yes/no, pick-one, pick-several and pain questions, and the date of birth: a group of inputs under one
    question."""
    return bound_field.use_fieldset


def ticked(root, name: str) -> list[str]:
    return [el.attrs["value"] for el in root.find_all("input", name=name) if "checked" in el.attrs]


# What each step shows ---------------------------------------------------------------------------------


def test_the_steps_are_the_six_of_the_issue_in_order():
    assert list(STEPS) == STEP_NAMES


@pytest.mark.parametrize("step", STEP_NAMES)
def test_each_step_shows_every_field_with_its_label(client, booking, step):
    response = client.get(step_url(booking, step))

    assert response.status_code == 200
    root = html(response)
    form = root.find("form")
    assert form.attrs["method"] == "post"
    assert "action" not in form.attrs or form.attrs["action"] in ("", step_url(booking, step))
    labels = {label.attrs.get("for"): label for label in form.find_all("label")}
    for bound in STEPS[step]():
        if is_group(bound):
            continue
        field_id = f"id_{bound.name}"
        assert field_id in labels, f"no <label for={field_id}> on {step}"
        assert labels[field_id].text == str(bound.label)
        [control] = [el for el in form.iter() if el.tag in CONTROLS and el.attrs.get("id") == field_id]
        assert control.attrs["name"] == bound.name
    assert response.context["form"].title in root.find("h1").text
    assert f"step {STEP_NAMES.index(step) + 1} of 6" in text(response)


@pytest.mark.parametrize("step", STEP_NAMES)
def test_each_choice_group_is_a_fieldset_with_the_question_as_its_legend(client, booking, step):
    root = html(client.get(step_url(booking, step)))
    groups = [bound for bound in STEPS[step]() if is_group(bound)]
    assert bool(groups) == (step in ("about", "pain", "screen", "consent"))
    for bound in groups:
        if bound.name == "date_of_birth":
            continue  # three boxes, not choices: test_the_date_of_birth_is_three_labelled_boxes_in_a_fieldset
        fieldsets = [
            fieldset
            for fieldset in root.find_all("fieldset")
            if any(el.attrs.get("name") == bound.name for el in fieldset.find_all("input"))
        ]
        assert len(fieldsets) == 1, f"{bound.name} is not in a fieldset of its own"
        assert fieldsets[0].find("legend").text == str(bound.label)
        options = fieldsets[0].find_all("input")
        assert [el.attrs["value"] for el in options] == [str(value) for value, _ in bound.field.choices]
        option_labels = {label.attrs.get("for"): label.text for label in fieldsets[0].find_all("label")}
        for option, (_, choice) in zip(options, bound.field.choices, strict=True):
            assert option_labels[option.attrs["id"]] == str(choice)
        assert root.find("label", **{"for": f"id_{bound.name}"}) is None, "a <label> points at the group's <div>"


def test_the_last_step_signs_and_the_others_can_be_finished_later(client, booking):
    for step in STEP_NAMES:
        buttons = {b.text: b.attrs for b in html(client.get(step_url(booking, step))).find_all("button")}
        if step == "consent":
            assert set(buttons) == {"Sign and send"}
        else:
            assert set(buttons) == {"Save and continue", "Save and finish later"}
            assert buttons["Save and finish later"]["name"] == "finish"


# Saving a step -----------------------------------------------------------------------------------------

STORED = {
    "about": {
        "date_of_birth": datetime(1988, 3, 14).date(),
        "sex": "female",
        "emergency_contact_name": "Ottoline Brackwater",
        "emergency_contact_phone": "+16195550177",
        "heard_about": "club",
    },
    "pain": {
        "pain_areas": ["low_back", "other"],
        "pain_area_other": "Left calf knot",
        "pain_side": "left",
        "pain_since": "2_6_weeks",
        "pain_onset": "Zebracrossing tumble on a hill repeat",
        "pain_now": 3,
        "pain_worst": 7,
        "worse_with": "Downhill strides",
        "better_with": "Foam rolling",
        "wakes_at_night": False,
    },
    "running": {
        "years_running": 9,
        "weekly_miles_now": Decimal("32.5"),
        "weekly_miles_peak": Decimal("48.0"),
        "longest_recent_run": Decimal("14.0"),
        "training_phase": "build",
        "next_race_name": "Yellowhammer Marathon",
        "next_race_date": datetime(2026, 5, 3).date(),
        "next_race_distance": "26.2 miles",
        "other_sports": "Cycling",
        "strength_work": "Kettlebell swings twice a week",
    },
    "history": dict(HISTORY),
    "screen": dict.fromkeys(Intake.RED_FLAGS, False),
    "consent": {
        "goals": "Run the Yellowhammer pain free",
        "consent_treatment": True,
        "privacy_acknowledged": True,
        "consent_filming": True,
        "signature_name": "Dana Cruz",
    },
}
BLANK = {
    "about": {"date_of_birth": None, "emergency_contact_name": "", "heard_about": ""},
    "pain": {"pain_areas": [], "pain_onset": "", "pain_now": None, "wakes_at_night": None},
    "running": {"years_running": None, "weekly_miles_now": None, "next_race_name": "", "next_race_date": None},
    "history": {"previous_injuries": "", "medications": "", "imaging": "", "other_conditions": ""},
    "screen": dict.fromkeys(Intake.RED_FLAGS),
    "consent": {"goals": "", "consent_treatment": False, "consent_filming": None, "signature_name": ""},
}


def stored(intake: Intake, names) -> dict:
    return {name: getattr(intake, name) for name in names}


@pytest.mark.parametrize("position", range(6), ids=STEP_NAMES)
def test_a_valid_step_saves_its_own_answers_and_goes_on_to_the_next(client, booking, position):
    step, before, after = STEP_NAMES[position], STEP_NAMES[:position], STEP_NAMES[position + 1 :]
    answer_steps(client, booking, before)
    # Answers to other steps posted along with this one are ignored.
    others = {name: value for other in after for name, value in ANSWERS[other].items()}

    response = post_step(client, booking, step, {**others, **ANSWERS[step]})

    assert response.status_code == 302
    assert response["Location"] == (step_url(booking, after[0]) if after else done_url(booking))
    intake = Intake.objects.get(booking=booking)
    assert stored(intake, STORED[step]) == STORED[step]
    assert intake.steps_done == [*before, step]
    for later in after:
        assert stored(intake, BLANK[later]) == BLANK[later], f"{later} was saved along with {step}"


def test_saving_a_step_again_changes_only_that_step(client, booking):
    answer_steps(client, booking, ["about", "pain", "running"])

    response = post_step(client, booking, "about", {**ABOUT, "emergency_contact_name": "Rafe Brackwater"})

    assert response["Location"] == step_url(booking, "history")
    intake = Intake.objects.get(booking=booking)
    assert intake.emergency_contact_name == "Rafe Brackwater"
    assert stored(intake, STORED["pain"]) == STORED["pain"]
    assert stored(intake, STORED["running"]) == STORED["running"]
    assert intake.steps_done == ["about", "pain", "running"]


def test_save_and_finish_later_goes_to_the_done_page(client, booking):
    response = post_step(client, booking, "about", {**ABOUT, "finish": "1"})

    assert response.status_code == 302
    assert response["Location"] == done_url(booking)
    assert Intake.objects.get(booking=booking).steps_done == ["about"]
    page = text(client.get(done_url(booking)))
    assert "Before your visit" in page
    assert "Step 1: About you Saved" in page
    assert "Step 2: Your pain Not yet" in page


def test_a_patient_can_stop_after_two_steps_and_come_back_to_the_third(client, booking):
    post_step(client, booking, "about")
    post_step(client, booking, "pain", {**PAIN, "finish": "1"})

    response = client.get(start_url(booking))
    assert response["Location"] == step_url(booking, "running")
    assert "Before your visit · step 3 of 6 Your running" in text(client.get(response["Location"]))

    about = html(client.get(step_url(booking, "about")))
    born = [about.by_id(f"id_date_of_birth_{n}").attrs["value"] for n in range(3)]
    assert born == ["3", "14", "1988"]
    assert about.by_id("id_emergency_contact_name").attrs["value"] == "Ottoline Brackwater"
    assert about.by_id("id_emergency_contact_phone").attrs["value"] == "+16195550177"
    assert about.by_id("id_sex").find("option", value="female").attrs.get("selected") is not None
    pain = html(client.get(step_url(booking, "pain")))
    checked = {el.attrs["value"] for el in pain.find_all("input", name="pain_areas") if "checked" in el.attrs}
    assert checked == {"low_back", "other"}
    assert pain.by_id("id_pain_onset").text == "Zebracrossing tumble on a hill repeat"
    assert ticked(pain, "pain_worst") == ["7"]
    assert ticked(pain, "wakes_at_night") == ["False"]
    running = html(client.get(step_url(booking, "running")))
    assert running.by_id("id_years_running").attrs.get("value") is None


# Errors --------------------------------------------------------------------------------------------------

TOO_LONG = "x" * 1001
BORN = "Enter your date of birth, like 3 14 1985."
MILES = "Enter miles from 0 to 300, like 32.5."
PAIN_NOW = "Tell us how much it hurts now, from 0 to 10."
PAIN_WORST = "Tell us how much it hurts at its worst, from 0 to 10."
YES_OR_NO = "Choose yes or no."


def born(month: str, day: str, year: str) -> dict:
    return {"date_of_birth_month": month, "date_of_birth_day": day, "date_of_birth_year": year}


# Every mistake in the clinic's words, next to its field: never one of Django's own messages.
INVALID = [
    ("about", born("5", "1", "2026"), "date_of_birth", "you need to be between 12 and 110 years old"),
    ("about", born("4", "7", "2014"), "date_of_birth", "you need to be between 12 and 110 years old"),
    ("about", born("", "", ""), "date_of_birth", BORN),
    ("about", born("3", "14", ""), "date_of_birth", BORN),
    ("about", born("3", "14", "88"), "date_of_birth", BORN),
    ("about", born("March", "14", "1988"), "date_of_birth", BORN),
    ("about", born("١", "14", "1988"), "date_of_birth", BORN),
    ("about", born("2", "30", "1988"), "date_of_birth", "Enter a real date of birth, like 3 14 1985"),
    ("about", born("13", "1", "1988"), "date_of_birth", "Enter a real date of birth"),
    ("about", {"emergency_contact_phone": "12"}, "emergency_contact_phone", "Enter a phone number for them, like"),
    ("about", {"emergency_contact_phone": "call me"}, "emergency_contact_phone", "Enter a phone number for them"),
    ("about", {"emergency_contact_phone": ""}, "emergency_contact_phone", "Enter a phone number for them"),
    ("about", {"emergency_contact_name": ""}, "emergency_contact_name", "Tell us who we should call in an emergency."),
    ("about", {"emergency_contact_name": "x" * 121}, "emergency_contact_name", "Keep this to 120 characters or fewer"),
    ("about", {"sex": "robot"}, "sex", "Choose one of the answers shown."),
    ("pain", {"pain_now": ""}, "pain_now", PAIN_NOW),
    ("pain", {"pain_now": "11"}, "pain_now", PAIN_NOW),
    ("pain", {"pain_worst": "11"}, "pain_worst", PAIN_WORST),
    ("pain", {"pain_now": "-1"}, "pain_now", PAIN_NOW),
    ("pain", {"pain_now": "three"}, "pain_now", PAIN_NOW),
    ("pain", {"pain_now": "6", "pain_worst": "4"}, "pain_worst", "cannot be lower than your pain now"),
    ("pain", {"pain_since": ""}, "pain_since", "Tell us how long it has been hurting."),
    ("pain", {"pain_side": "up"}, "pain_side", "Choose one of the answers shown."),
    ("pain", {"pain_areas": ["hip", "other"], "pain_area_other": ""}, "pain_area_other", "where else it hurts"),
    ("pain", {"pain_areas": []}, "pain_areas", "Tell us where it hurts: choose at least one place."),
    ("pain", {"pain_onset": TOO_LONG}, "pain_onset", "Keep this to 1000 characters or fewer (it has 1001)."),
    ("pain", {"pain_onset": "Hill\x00repeats"}, "pain_onset", "Take out the unusual characters"),
    ("running", {"years_running": ""}, "years_running", "Tell us how many years you have been running"),
    ("running", {"years_running": "81"}, "years_running", "Enter years from 0 to 80, like 9."),
    ("running", {"weekly_miles_now": ""}, "weekly_miles_now", "Tell us how many miles a week you run now"),
    ("running", {"weekly_miles_now": "thirty"}, "weekly_miles_now", MILES),
    ("running", {"weekly_miles_now": "-5"}, "weekly_miles_now", MILES),
    ("running", {"weekly_miles_now": "301"}, "weekly_miles_now", MILES),
    ("running", {"weekly_miles_now": "32.25"}, "weekly_miles_now", MILES),
    ("running", {"weekly_miles_peak": "4500"}, "weekly_miles_peak", MILES),
    ("running", {"longest_recent_run": "-1"}, "longest_recent_run", MILES),
    ("running", {"next_race_date": "someday"}, "next_race_date", "Enter the race date, like 5/3/2026."),
    ("running", {"next_race_date": "2026-04-05"}, "next_race_date", "That date has passed"),
    ("running", {"next_race_date": ""}, "next_race_date", "When is your race? Enter its date"),
    ("running", {"strength_work": TOO_LONG}, "strength_work", "Keep this to 1000 characters or fewer"),
    ("history", {"medications": "x" * 2001}, "medications", "Keep this to 2000 characters or fewer (it has 2001)."),
    ("screen", {"flag_fever": ""}, "flag_fever", YES_OR_NO),
    ("screen", {"flag_saddle_numbness": "maybe"}, "flag_saddle_numbness", YES_OR_NO),
    ("consent", {"consent_treatment": ""}, "consent_treatment", "We need your consent to assess and treat you."),
    ("consent", {"privacy_acknowledged": ""}, "privacy_acknowledged", "confirm you have read the Notice of Privacy"),
    ("consent", {"consent_filming": ""}, "consent_filming", YES_OR_NO),
    ("consent", {"signature_name": "Al"}, "signature_name", "Type your full name to sign."),
    ("consent", {"signature_name": " A  "}, "signature_name", "Type your full name to sign."),
    ("consent", {"goals": "x" * 2001}, "goals", "Keep this to 2000 characters or fewer"),
]


def invalid_id(case) -> str:
    step, changes, field, _ = case
    value = "-".join(map(str, changes.values())) if field == "date_of_birth" else next(iter(changes.values()))
    return f"{step}-{field}-{str(value)[:12]}"


def with_changes(step: str, changes: dict) -> dict:
    """The step's valid answers with some changed; an empty string means the box was left empty or unticked."""
    data = {**ANSWERS[step], **changes}
    return {name: value for name, value in data.items() if value not in ("", [])}


@pytest.mark.parametrize(("step", "changes", "field", "message"), INVALID, ids=map(invalid_id, INVALID))
def test_a_wrong_answer_is_explained_next_to_its_field_and_nothing_is_saved(
    client, booking, step, changes, field, message
):
    answer_steps(client, booking, STEP_NAMES)
    before = intake_row(booking)
    log_before = IntakeAccess.objects.count()

    response = post_step(client, booking, step, with_changes(step, changes))

    assert response.status_code == 400
    assert message in error_next_to(response, field)
    assert "Nothing from this step was saved yet." in text(response)
    assert intake_row(booking) == before
    assert IntakeAccess.objects.count() == log_before


# A future birth date, no pain area chosen, consent not given: each on a first visit to its step.
FIRST_MISTAKES = [INVALID[0], *(case for case in INVALID if case[2] in ("pain_areas", "consent_treatment"))]


@pytest.mark.parametrize(("step", "changes", "field", "message"), FIRST_MISTAKES, ids=map(invalid_id, FIRST_MISTAKES))
def test_a_wrong_first_answer_leaves_no_draft_behind(client, booking, step, changes, field, message):
    response = post_step(client, booking, step, with_changes(step, changes))

    assert response.status_code == 400
    assert message in error_next_to(response, field)
    assert not Intake.objects.filter(booking=booking).exists()
    assert not IntakeAccess.objects.exists()


def test_a_wrong_answer_keeps_what_the_patient_typed(client, booking):
    response = post_step(client, booking, "pain", {**PAIN, "pain_now": "6", "pain_worst": "4"})

    root = html(response)
    assert root.by_id("id_pain_onset").text == PAIN["pain_onset"]
    assert ticked(root, "pain_now") == ["6"]
    assert ticked(root, "pain_worst") == ["4"]


VALID_EDGES = [
    ("about", born("4", "6", "2014")),  # twelve today
    ("about", born("03", "09", "1988")),
    ("about", born(" 3 ", "14 ", "1988")),
    ("about", born("4", "7", "1916")),  # 109
    ("about", {"sex": "", "heard_about": ""}),  # optional
    ("pain", {"pain_now": "0", "pain_worst": "10"}),
    ("pain", {"pain_now": "5", "pain_worst": "5"}),
    ("running", {"weekly_miles_now": "300", "weekly_miles_peak": "0"}),
    ("running", {"next_race_date": "2026-04-06"}),  # race day is today
    ("running", {"next_race_name": "", "next_race_date": "", "next_race_distance": ""}),  # no race planned
    ("history", dict.fromkeys(HISTORY, "")),
    ("consent", {"goals": "", "consent_filming": "False", "signature_name": "Bo Li"}),
]


@pytest.mark.parametrize(("step", "changes"), VALID_EDGES, ids=[invalid_id((*case, "", "")) for case in VALID_EDGES])
def test_answers_at_the_edges_of_the_rules_are_accepted(client, booking, step, changes):
    response = post_step(client, booking, step, {**ANSWERS[step], **changes})

    assert response.status_code == 302, response.content.decode()
    assert Intake.objects.get(booking=booking).steps_done == [step]


# Read-only once the visit starts -----------------------------------------------------------------------------


def test_the_steps_can_still_be_changed_a_minute_before_the_visit(client, booking, clock):
    clock.move_to(VISIT - timedelta(minutes=10))  # the same browser, within its session
    answer_steps(client, booking, ["about"])
    clock.move_to(VISIT - timedelta(minutes=1))

    response = post_step(client, booking, "about", {**ABOUT, "emergency_contact_name": "Rafe Brackwater"})

    assert response.status_code == 302
    assert Intake.objects.get(booking=booking).emergency_contact_name == "Rafe Brackwater"


@pytest.mark.parametrize("step", STEP_NAMES)
def test_once_the_visit_starts_a_step_redirects_to_the_done_page_which_says_it_closed(client, booking, clock, step):
    answer_steps(client, booking, ["about"])
    clock.move_to(VISIT)

    response = client.get(step_url(booking, step))

    assert response.status_code == 302
    assert response["Location"] == done_url(booking)
    done = client.get(done_url(booking))
    assert "The questionnaire has closed" in text(done)
    assert not [url for url in links(done) if url.startswith(step_url(booking, ""))]
    assert client.get(start_url(booking))["Location"] == done_url(booking)


@pytest.mark.parametrize("step", STEP_NAMES)
def test_once_the_visit_starts_a_post_is_refused_and_nothing_changes(client, booking, clock, step):
    answer_steps(client, booking, STEP_NAMES)
    before = intake_row(booking)
    log_before = IntakeAccess.objects.count()
    clock.move_to(VISIT + timedelta(minutes=5))

    changed = {**ANSWERS[step], "emergency_contact_name": "Rafe", "pain_now": "1", "medications": "None"}
    response = post_step(client, booking, step, changed)

    assert response.status_code == 403
    assert "The questionnaire has closed" in text(response)
    assert intake_row(booking) == before
    assert IntakeAccess.objects.count() == log_before


def test_the_done_page_of_a_finished_intake_no_longer_offers_changes_after_the_visit_starts(client, booking, clock):
    clock.move_to(VISIT - timedelta(minutes=10))
    answer_steps(client, booking, STEP_NAMES)
    assert "You can change your answers until the visit starts." in text(client.get(done_url(booking)))

    clock.move_to(VISIT)
    page = text(client.get(done_url(booking)))

    assert "Thank you, Dana" in page
    assert "You can change your answers" not in page
    assert "Step 1" not in page
    elsewhere = text(Client().get(done_url(booking)))  # another browser: how it stands, and no code to ask for
    assert "The questionnaire has closed" in elsewhere
    assert "We received yours on Thursday, April 9, thank you." in elsewhere
    assert "Send me a code" not in elsewhere


# Completion ----------------------------------------------------------------------------------------------


def test_the_intake_is_complete_and_signed_once_the_consent_step_is_saved(client, booking, clock):
    answer_steps(client, booking, STEP_NAMES[:-1])
    assert Intake.objects.get(booking=booking).completed_at is None
    clock.move_to(NOW + timedelta(minutes=12))

    response = post_step(client, booking, "consent", REMOTE_ADDR="203.0.113.9")

    assert response["Location"] == done_url(booking)
    intake = Intake.objects.get(booking=booking)
    assert intake.completed_at == NOW + timedelta(minutes=12)
    assert intake.signature_name == "Dana Cruz"
    assert intake.signed_at == NOW + timedelta(minutes=12)
    assert intake.signed_ip == "203.0.113.9"
    assert intake.steps_done == STEP_NAMES


def test_the_done_page_thanks_the_patient(client, booking):
    answer_steps(client, booking, STEP_NAMES)

    response = client.get(done_url(booking))

    page = text(response)
    assert "Thank you, Dana" in page
    assert "Your questionnaire is with us. See you Thursday, April 9 at 10:00 AM." in page
    assert "will call you" not in page  # no red flag


def test_signing_before_the_other_steps_records_the_signature_but_does_not_complete(client, booking):
    response = post_step(client, booking, "consent", REMOTE_ADDR="198.51.100.4")

    assert response["Location"] == step_url(booking, "about")
    intake = Intake.objects.get(booking=booking)
    assert (intake.signed_at, intake.signed_ip, intake.completed_at) == (NOW, "198.51.100.4", None)


def test_the_first_completion_time_is_kept_when_a_step_is_changed_later(client, booking, clock):
    answer_steps(client, booking, STEP_NAMES)
    clock.move_to(NOW + timedelta(hours=3))

    post_step(client, booking, "screen", SCREEN)

    assert Intake.objects.get(booking=booking).completed_at == NOW
