"""A step with mistakes, the GOV.UK way: a summary at the top that takes the focus and links each mistake to its
field, each field marked and its message beside it, every message in the clinic's words."""

import pytest
from django.template.loader import render_to_string

from booking.forms import PatientDetailsForm

from .helpers import ANSWERS, STEP_NAMES, html, post_step, step_url, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

# Django's own words for a mistake: none may reach a patient.
DJANGO_WORDS = [
    "This field is required",
    "Select a valid choice",
    "Enter a valid",
    "Ensure this value",
    "Ensure that there are no more",
    "Enter a whole number",
    "Enter a number.",
    "Null characters are not allowed",
]


def summary_of(response):
    return html(response).find("div", **{"class": "error-summary"})


def test_a_wrong_step_starts_with_a_focused_summary_linking_each_mistake_to_its_field(client, booking):
    data = {**ANSWERS["pain"], "pain_since": "", "pain_now": "", "pain_areas": [], "wakes_at_night": ""}
    response = post_step(client, booking, "pain", {k: v for k, v in data.items() if v not in ("", [])})

    assert response.status_code == 400
    root = html(response)
    summary = root.find("div", **{"class": "error-summary"})
    main = root.find("main")
    assert next(el for el in main.children if not isinstance(el, str)) is summary  # first on the page
    assert summary.attrs["tabindex"] == "-1" and "autofocus" in summary.attrs
    assert summary.find("h2").text == "There is a problem"
    assert summary.find("div", role="alert") is not None
    assert "Nothing from this step was saved yet." in summary.text
    links = [(a.attrs["href"], a.text) for a in summary.find_all("a")]
    assert links == [
        ("#id_pain_areas_0", "Tell us where it hurts: choose at least one place."),
        ("#id_pain_since_0", "Tell us how long it has been hurting."),
        ("#id_pain_now_0", "Tell us how much it hurts now, from 0 to 10."),
        ("#id_wakes_at_night_0", "Choose yes or no."),
    ]
    for href, _ in links:
        assert root.by_id(href[1:]) is not None, f"{href} points at nothing"
    assert root.find("title").text.startswith("Error: Your pain")


def test_each_wrong_field_is_marked_and_described_by_its_message(client, booking):
    response = post_step(client, booking, "pain", {**ANSWERS["pain"], "pain_onset": "x" * 1001, "pain_now": ""})

    root = html(response)
    onset = root.by_id("id_pain_onset")
    assert onset.attrs["aria-invalid"] == "true"
    assert onset.attrs["aria-describedby"] == "id_pain_onset_error"
    assert root.by_id("id_pain_onset_error").text == "Keep this to 1000 characters or fewer (it has 1001)."
    # A question of boxes: the fieldset is described by the message, and every box is marked.
    fieldset = root.by_id("id_pain_now_error").parent
    assert fieldset.tag == "fieldset"
    assert fieldset.attrs["aria-describedby"].split() == ["id_pain_now_helptext", "id_pain_now_error"]
    assert {box.attrs.get("aria-invalid") for box in fieldset.find_all("input")} == {"true"}
    assert "aria-invalid" not in root.by_id("id_worse_with").attrs


def test_a_step_without_mistakes_has_no_summary(client, booking):
    response = client.get(step_url(booking, "pain"))

    assert summary_of(response) is None
    assert "There is a problem" not in text(response)
    assert not html(response).find("title").text.startswith("Error")


@pytest.mark.parametrize("step", STEP_NAMES)
def test_a_step_sent_empty_explains_each_mistake_in_the_clinics_words(client, booking, step):
    response = post_step(client, booking, step, {})

    if step == "history":  # nothing on it is required
        assert response.status_code == 302
        return
    assert response.status_code == 400
    page = text(response)
    for words in DJANGO_WORDS:
        assert words not in page
    assert len(summary_of(response).find_all("a")) == len(response.context["form"].errors)


@pytest.mark.parametrize("step", STEP_NAMES)
def test_nonsense_in_every_box_is_explained_in_the_clinics_words(client, booking, step):
    nonsense = {name: ["\x00", "x" * 3000] for name in (*ANSWERS[step], "date_of_birth_month")}

    response = post_step(client, booking, step, nonsense)

    assert response.status_code == 400
    for words in DJANGO_WORDS:
        assert words not in text(response)


def test_the_summary_serves_any_form_such_as_the_booking_details():
    form = PatientDetailsForm(data={"name": "", "email": "nope", "phone": ""})
    form.is_valid()

    root = html(render_to_string("includes/error_summary.html", {"form": form}))

    assert [a.attrs["href"] for a in root.find_all("a")] == ["#id_name", "#id_email", "#id_phone"]
    assert root.find("p") is None  # no note unless one is given
