import pytest

from booking.models import Booking

from .offers import fill


@pytest.fixture
def sold_out(promotion) -> list[Booking]:
    return fill(promotion)
