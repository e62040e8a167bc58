"""The answers as a clinician reads them: by step, in the patient's order, red flags marked."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils.translation import get_language_info

from .forms import STEPS
from .models import Intake


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    flagged: bool = False
    link: str = ""  # the wording agreed to, for a consent


# A consent's box, and the version of the wording it was checked for.
SIGNED = {"consent_treatment": "signed_treatment_consent", "privacy_acknowledged": "signed_privacy_notice"}


def _display(intake: Intake, name: str) -> str:
    value = getattr(intake, name)
    field = Intake._meta.get_field(name)
    if name in SIGNED and value is True:
        document = getattr(intake, SIGNED[name])
        if document is None:
            return "Yes"
        language = document.read_in(intake.signed_language)
        read_in = "" if language == settings.LANGUAGE_CODE else f", read in {get_language_info(language)['name']}"
        return f"Yes (version {document.version}{read_in})"
    if name == "pain_areas":
        labels = dict(Intake.PainArea.choices)
        return ", ".join(str(labels.get(area, area)) for area in value) or "–"
    if field.choices:
        return getattr(intake, f"get_{name}_display")() or "–"
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if value in (None, ""):
        return "–"
    return str(value)


def _link(intake: Intake, name: str) -> str:
    """The wording the patient agreed to, in the language they read it in."""
    document = getattr(intake, SIGNED[name]) if name in SIGNED and getattr(intake, name) else None
    return document.public_path_in(document.read_in(intake.signed_language)) if document else ""


def intake_sections(intake: Intake) -> list[tuple[str, list[Answer]]]:
    """Each step's questions and answers. Fixed cost: select_related("signed_treatment_consent",
    "signed_privacy_notice")."""
    sections = []
    for form_class in STEPS.values():
        form = form_class(instance=intake)
        answers = [
            Answer(
                question=str(form.fields[name].label),
                answer=_display(intake, name),
                flagged=name in Intake.RED_FLAGS and getattr(intake, name) is True,
                link=_link(intake, name),
            )
            for name in form._meta.fields
        ]
        sections.append((form_class.title, answers))
    return sections


def age_on(born: date | None, day: date) -> int | None:
    """Whole years from a date of birth to `day` (a birthday on Feb 29 comes on Mar 1 in other years)."""
    if born is None or born > day:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
