import pytest
import time_machine

from assessments.models import Intake

from .helpers import NOW, SCREEN, STEP_NAMES, answer_steps, make_booking, post_step


@pytest.fixture
def clock():
    """The clock stopped at NOW (Monday 8:00 AM in San Diego); tests may move it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def booking(service):
    """A confirmed visit on Thursday at 10:00 AM, for Dana Cruz."""
    return make_booking(service)


@pytest.fixture
def intake(client, booking, django_capture_on_commit_callbacks) -> Intake:
    """Dana's finished questionnaire, with a "yes" to a recent fall; the patient's client is then logged out.
    A module may keep an `intake` of its own (test_print_summary.py does)."""
    answer_steps(client, booking, STEP_NAMES[:4])
    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, booking, "screen", {**SCREEN, "flag_fall": "True"})
    post_step(client, booking, "consent")
    client.logout()
    return Intake.objects.get(booking=booking)
