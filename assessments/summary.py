"""The answers as a clinician reads them: by step, in the patient's order, red flags marked."""

from dataclasses import dataclass

from .forms import STEPS
from .models import Intake


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    flagged: bool = False


def _display(intake: Intake, name: str) -> str:
    value = getattr(intake, name)
    field = Intake._meta.get_field(name)
    if name == "pain_areas":
        labels = dict(Intake.PainArea.choices)
        return ", ".join(labels.get(area, area) for area in value) or "–"
    if field.choices:
        return getattr(intake, f"get_{name}_display")() or "–"
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if value in (None, ""):
        return "–"
    return str(value)


def intake_sections(intake: Intake) -> list[tuple[str, list[Answer]]]:
    sections = []
    for form_class in STEPS.values():
        form = form_class(instance=intake)
        answers = [
            Answer(
                question=str(form.fields[name].label),
                answer=_display(intake, name),
                flagged=name in Intake.RED_FLAGS and getattr(intake, name) is True,
            )
            for name in form.fields
        ]
        sections.append((form_class.title, answers))
    return sections
