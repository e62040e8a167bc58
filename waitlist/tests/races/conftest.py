"""Waiting-list races on PostgreSQL: a clinic of their own, the clock stopped at T0, an offer of 8 spots."""

import pytest
import time_machine

from booking.tests.factories import PromotionFactory, ServiceFactory
from clinic.tests.factories import ClinicFactory

from .people import T0


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def service():
    return ServiceFactory(clinic=ClinicFactory())


@pytest.fixture
def promotion(service):
    return PromotionFactory(service=service, spots=8)
