"""The questionnaire's controls, made for a thumb on a phone: pain as eleven boxes, yes/no as two large options,
the date of birth as three number boxes, dropdowns with a real prompt, and the phone keypad for phone numbers."""

import pytest

from assessments.forms import STEPS
from booking.forms import PatientDetailsForm

from .helpers import html, step_url, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

PAIN_QUESTIONS = {"pain_now": "How much does it hurt now?", "pain_worst": "How much does it hurt at its worst?"}


def fieldset_of(root, name: str):
    [fieldset] = [
        fieldset
        for fieldset in root.find_all("fieldset")
        if any(el.attrs.get("name") == name for el in fieldset.find_all("input"))
    ]
    return fieldset


@pytest.mark.parametrize("name", PAIN_QUESTIONS)
def test_pain_is_eleven_boxes_from_0_to_10_in_a_fieldset_with_its_hint(client, booking, name):
    root = html(client.get(step_url(booking, "pain")))

    fieldset = fieldset_of(root, name)
    assert fieldset.find("legend").text == PAIN_QUESTIONS[name]
    hint = root.by_id(f"id_{name}_helptext")
    assert hint.text == "0 = no pain, 10 = worst imaginable"
    assert hint.attrs["id"] in fieldset.attrs["aria-describedby"].split()
    boxes = fieldset.find_all("input")
    assert [(box.attrs["type"], box.attrs["value"]) for box in boxes] == [("radio", str(n)) for n in range(11)]
    labels = [label.text for label in fieldset.find_all("label")]
    assert labels == [str(n) for n in range(11)]
    assert root.by_id(f"id_{name}").has_class("q-scale")


def test_every_yes_or_no_is_two_large_options_in_a_fieldset_of_its_own(client, booking):
    for step in ("pain", "screen", "consent"):
        root = html(client.get(step_url(booking, step)))
        for bound in STEPS[step]():
            if [value for value, _ in getattr(bound.field, "choices", [])] != [True, False]:
                continue
            fieldset = fieldset_of(root, bound.name)
            assert root.by_id(f"id_{bound.name}").has_class("q-yesno")
            assert [label.text for label in fieldset.find_all("label")] == ["Yes", "No"]


def test_the_safety_screen_is_nine_questions_each_with_its_own_yes_and_no(client, booking):
    root = html(client.get(step_url(booking, "screen")))

    fieldsets = root.find("form").find_all("fieldset")
    assert len(fieldsets) == 9
    assert all(len(fieldset.find_all("input", type="radio")) == 2 for fieldset in fieldsets)
    assert all(fieldset.find("div", **{"class": "q-yesno"}) is not None for fieldset in fieldsets)


@pytest.mark.parametrize("step", ["about", "pain", "running", "history", "screen", "consent"])
def test_no_dropdown_or_choice_shows_dashes(client, booking, step):
    response = client.get(step_url(booking, step))

    assert "---" not in response.content.decode()
    for select in html(response).find_all("select"):
        first = select.find("option")
        assert (first.attrs["value"], first.text) == ("", "Choose one")


def test_how_long_it_hurts_and_which_side_are_choices_to_tap(client, booking):
    root = html(client.get(step_url(booking, "pain")))

    since = fieldset_of(root, "pain_since")
    assert since.find("legend").text == "How long has it been hurting?"
    assert since.find("label").text == "Less than 2 weeks"
    assert fieldset_of(root, "pain_side").find("legend").text == "Which side? (optional)"
    assert root.find("select", name="pain_since") is None


def test_the_date_of_birth_is_three_labelled_number_boxes_in_a_fieldset(client, booking):
    root = html(client.get(step_url(booking, "about")))

    fieldset = fieldset_of(root, "date_of_birth_month")
    assert fieldset.find("legend").text == "Date of birth"
    assert root.by_id("id_date_of_birth_helptext").text == "For example, 3 14 1985"
    boxes = fieldset.find_all("input")
    assert [box.attrs["name"] for box in boxes] == ["date_of_birth_month", "date_of_birth_day", "date_of_birth_year"]
    assert [box.attrs["autocomplete"] for box in boxes] == ["bday-month", "bday-day", "bday-year"]
    assert {box.attrs["inputmode"] for box in boxes} == {"numeric"}
    labels = {label.attrs["for"]: label.text for label in fieldset.find_all("label")}
    assert [labels[box.attrs["id"]] for box in boxes] == ["Month", "Day", "Year"]


def test_the_emergency_contacts_phone_opens_the_phone_keypad_and_is_not_filled_with_the_patients_own(client, booking):
    phone = html(client.get(step_url(booking, "about"))).by_id("id_emergency_contact_phone")

    assert (phone.attrs["type"], phone.attrs["inputmode"]) == ("tel", "tel")
    # autocomplete="tel" would fill in the patient's own number: the one an emergency contact's must not be.
    assert phone.attrs["autocomplete"] == "off"


def test_the_patients_own_mobile_on_the_booking_form_opens_the_phone_keypad():
    phone = html(str(PatientDetailsForm()["phone"])).find("input")

    assert (phone.attrs["type"], phone.attrs["inputmode"], phone.attrs["autocomplete"]) == ("tel", "tel", "tel")


def test_the_steps_say_what_save_and_finish_later_keeps(client, booking):
    page = text(client.get(step_url(booking, "pain")))

    assert "“Save and finish later” keeps what you typed, even half done" in page
