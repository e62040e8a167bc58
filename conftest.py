import os

import pytest
from django.conf import settings

from booking.pricing import Patient
from booking.tests.factories import ClinicFactory, PromotionFactory, ServiceFactory


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config):
    # CI proves the suite on the real services: a silent fallback to SQLite would hide that.
    if _ci():
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError(f"CI must run on PostgreSQL (DATABASE_URL), not {engine}.")
        if not settings.REDIS_URL:
            raise pytest.UsageError("CI must run with REDIS_URL set.")


def pytest_collection_modifyitems(config, items):
    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture
def clinic(db):
    return ClinicFactory()


@pytest.fixture
def service(clinic):
    return ServiceFactory(clinic=clinic)


@pytest.fixture
def promotion(service):
    return PromotionFactory(service=service)


@pytest.fixture
def patient():
    return Patient(name="Michael Green", email="michael@example.com", phone="+16195550123", sms_consent=True)
