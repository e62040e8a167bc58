import pytest
import time_machine

from booking.tests.pages import NOW


@pytest.fixture
def clock():
    """The clock stopped at NOW (a Monday morning in San Diego); tests may move it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
