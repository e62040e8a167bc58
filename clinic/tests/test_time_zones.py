from datetime import UTC, datetime

import pytest

from clinic.tests.factories import ClinicFactory
from clinic.time_zones import time_zone_label

WINTER = datetime(2026, 1, 15, 12, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize("at", [WINTER, SUMMER])
def test_a_us_zone_is_named_as_people_say_it_all_year(at):
    assert time_zone_label("America/Los_Angeles", at=at) == "Pacific time"
    assert time_zone_label("America/New_York", at=at) == "Eastern time"


@pytest.mark.parametrize(
    ("name", "at", "label"),
    [
        ("Europe/Paris", WINTER, "CET"),
        ("Europe/Paris", SUMMER, "CEST"),
        ("Asia/Dubai", SUMMER, "UTC+04"),  # a zone whose abbreviation is only its offset
        ("UTC", SUMMER, "UTC"),
    ],
)
def test_another_zone_falls_back_to_its_abbreviation_at_that_moment(name, at, label):
    assert time_zone_label(name, at=at) == label


@pytest.mark.django_db
def test_the_clinic_names_its_own_zone():
    assert ClinicFactory.build().time_zone_label == "Pacific time"
    assert ClinicFactory.build(time_zone="America/Chicago").time_zone_label == "Central time"
