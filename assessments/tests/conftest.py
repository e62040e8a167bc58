import pytest
import time_machine

from .helpers import NOW, make_booking


@pytest.fixture
def clock():
    """The clock stopped at NOW (Monday 8:00 AM in San Diego); tests may move it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def booking(service):
    """A confirmed visit on Thursday at 10:00 AM, for Dana Cruz."""
    return make_booking(service)
