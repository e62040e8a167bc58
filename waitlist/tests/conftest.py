import pytest
import time_machine

from booking.models import Booking
from waitlist.models import WaitlistEntry

from .helpers import ANN, BEN, CAT, NOW, wait
from .offers import fill


@pytest.fixture
def sold_out(promotion) -> list[Booking]:
    return fill(promotion)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def line(promotion, sold_out) -> list[WaitlistEntry]:
    """Ann (texts), Ben (no texts) and Cat (texts) waiting, in that order, for the sold-out offer."""
    return wait(promotion, ANN, BEN, CAT)
