"""Shared answers, bookings and page reading for the intake tests.

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego (PDT) for the view
tests; the visit is Thursday 2026-04-09, 10:00–11:00 AM, so the questionnaire is
open until then and its link works until Thursday 2026-04-16, 11:00 AM.
"""

from datetime import date

from django.forms.models import model_to_dict

from assessments.models import ConsentDocument, Intake
from assessments.services import consent_document_publish
from booking.links import Purpose, private_token
from booking.models import Booking
from booking.tests.factories import BookingFactory, SlotFactory, local
from clinic.tests.html import html

TODAY = date(2026, 4, 6)  # a Monday
NOW = local(TODAY, 8)
VISIT_DAY = date(2026, 4, 9)  # Thursday
VISIT = local(VISIT_DAY, 10)
VISIT_ENDS = local(VISIT_DAY, 11)
FRIENDLY_404 = "We can’t find that page"
STEP_NAMES = ["about", "pain", "running", "history", "screen", "consent"]
RED_FLAGS = list(Intake.RED_FLAGS)

# Valid answers for each step, as a browser posts them. The free text is distinctive so a
# test can look for it anywhere it must never be.
ABOUT = {
    "date_of_birth_month": "3",
    "date_of_birth_day": "14",
    "date_of_birth_year": "1988",
    "sex": "female",
    "emergency_contact_name": "Ottoline Brackwater",
    "emergency_contact_phone": "(619) 555-0177",
    "heard_about": "club",
}
PAIN = {
    "pain_areas": ["low_back", "other"],
    "pain_area_other": "Left calf knot",
    "pain_side": "left",
    "pain_since": "2_6_weeks",
    "pain_onset": "Zebracrossing tumble on a hill repeat",
    "pain_now": "3",
    "pain_worst": "7",
    "worse_with": "Downhill strides",
    "better_with": "Foam rolling",
    "wakes_at_night": "False",
}
RUNNING = {
    "years_running": "9",
    "weekly_miles_now": "32.5",
    "weekly_miles_peak": "48",
    "longest_recent_run": "14",
    "training_phase": "build",
    "next_race_name": "Yellowhammer Marathon",
    "next_race_date": "2026-05-03",
    "next_race_distance": "26.2 miles",
    "other_sports": "Cycling",
    "strength_work": "Kettlebell swings twice a week",
}
HISTORY = {
    "previous_injuries": "Torn meniscus in 2019",
    "medications": "Quixotamol 20mg",
    "imaging": "MRI of the lumbar spine in March",
    "other_conditions": "Pelicanitis",
}
SCREEN = {name: "False" for name in RED_FLAGS}
CONSENT = {
    "goals": "Run the Yellowhammer pain free",
    "consent_treatment": "on",
    "privacy_acknowledged": "on",
    "consent_filming": "True",
    "signature_name": "Dana  Cruz",
    # The versions of the wording the page showed: version 1 of each, published by a migration.
    "treatment_version": "1",
    "privacy_version": "1",
}
ANSWERS = {"about": ABOUT, "pain": PAIN, "running": RUNNING, "history": HISTORY, "screen": SCREEN, "consent": CONSENT}

# Answers that are health details (or private to the intake) and must stay behind the clinicians' login.
SECRETS = [
    "1988-03-14",
    "Ottoline",
    "Left calf knot",
    "Zebracrossing",
    "Downhill strides",
    "Foam rolling",
    "Yellowhammer",
    "Kettlebell",
    "Torn meniscus",
    "Quixotamol",
    "lumbar spine",
    "Pelicanitis",
]


def publish(kind: str, body: str, *, by=None, body_es: str = "") -> ConsentDocument:
    """A new version of the privacy notice ("privacy") or the consent to treatment ("treatment"), published."""
    draft = ConsentDocument.objects.create(kind=kind, body=body, body_es=body_es)
    return consent_document_publish(document_id=draft.pk, user=by)


def make_booking(service, *, starts_at=VISIT, **fields) -> Booking:
    slot = SlotFactory(service=service, starts_at=starts_at)
    fields.setdefault("patient_name", "Dana Cruz")
    fields.setdefault("email", "dana@example.com")
    return BookingFactory(slot=slot, **fields)


def step_url(booking_or_token, step: str) -> str:
    return f"/intake/{_token(booking_or_token)}/{step}/"


def start_url(booking_or_token) -> str:
    return f"/intake/{_token(booking_or_token)}/"


def done_url(booking_or_token) -> str:
    return f"/intake/{_token(booking_or_token)}/done/"


def _token(booking_or_token) -> str:
    return booking_or_token if isinstance(booking_or_token, str) else private_token(booking_or_token, Purpose.INTAKE)


def post_step(client, booking, step: str, data=None, **extra):
    return client.post(step_url(booking, step), ANSWERS[step] if data is None else data, **extra)


def answer_steps(client, booking, steps, **extra) -> None:
    """Save these steps with the valid answers above, as a patient would."""
    for step in steps:
        response = post_step(client, booking, step, **extra)
        assert response.status_code == 302, response.content.decode()


def intake_row(booking) -> dict:
    """Everything stored for the booking's intake, to compare before and after."""
    return model_to_dict(Intake.objects.get(booking=booking)) | {
        "updated_at": Intake.objects.get(booking=booking).updated_at
    }


# Reading pages ------------------------------------------------------------------------------------


def email_text(email) -> str:
    """What a reader sees of an email: its subject, text part, and the words and links of its HTML part."""
    parts = [email.subject, email.body]
    for content, _ in email.alternatives:
        root = html(content)
        parts += [root.find("body").text, *(el.attrs["href"] for el in root.find_all("a") if "href" in el.attrs)]
    return "\n".join(parts)


def text(response) -> str:
    return html(response).find("body").text


def links(response) -> list[str]:
    """Every address a page links to, loads or posts to."""
    root = html(response)
    found = [el.attrs["href"] for el in root.find_all() if "href" in el.attrs]
    found += [el.attrs["src"] for el in root.find_all() if "src" in el.attrs]
    found += [el.attrs["action"] for el in root.find_all("form") if el.attrs.get("action")]
    return found


def error_next_to(response, name: str) -> str:
    """The error shown beside a field: in the same field box as its label and control."""
    root = html(response)
    error = root.by_id(f"id_{name}_error")
    assert error is not None, f"no error next to {name}:\n{root.find('main').text}"
    box = error.parent
    assert box.has_class("field") and box.has_class("field--error")
    if box.tag == "fieldset":  # a yes/no, pick-one or pick-several question, or the date of birth's three boxes
        assert any(el.attrs.get("name", "").startswith(name) for el in box.find_all("input"))
        assert f"id_{name}_error" in box.attrs.get("aria-describedby", "").split()
    else:
        assert box.find("label", **{"for": f"id_{name}"}) is not None
    return error.text
