"""What the front desk types, read as a reference, a mobile, an email or a name, each matched through an index."""

import pytest
from django.db import connection

from booking.models import Booking
from booking.search import booking_search_q, typed_phone
from booking.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("(619) 555-0123", "+16195550123"),
        ("619-555-0123", "+16195550123"),
        ("6195550123", "+16195550123"),
        ("+1 619 555 0123", "+16195550123"),
        ("+44 20 7946 0958", "+442079460958"),
        ("555-0123", None),  # no area code: not a whole number
        ("0123", None),
        ("619 555 012", None),
        ("Dana 619", None),
        ("+", None),
    ],
)
def test_a_typed_phone_is_read_as_its_e164_number(typed, e164):
    assert typed_phone(typed) == e164


def found(typed: str) -> set[str]:
    match = booking_search_q(typed)
    return set() if match is None else set(Booking.objects.filter(match).values_list("patient_name", flat=True))


@pytest.fixture
def bookings(service):
    BookingFactory(patient_name="Dana Cruz", email="Dana.Cruz+runs@gmail.com", phone="+16195550123")
    BookingFactory(patient_name="Lee Cruzado", email="lee@example.com", phone="+18585550199")
    return {b.patient_name: b for b in Booking.objects.all()}


def test_names_match_every_word_anywhere_in_any_case(bookings):
    assert found("cruz") == {"Dana Cruz", "Lee Cruzado"}
    assert found("CRUZ lee") == {"Lee Cruzado"}
    assert found("  dana   cruz ") == {"Dana Cruz"}
    assert found("dana lee") == set()


def test_emails_match_by_inbox(bookings):
    assert found("danacruz@gmail.com") == {"Dana Cruz"}
    assert found("DANA.CRUZ@GOOGLEMAIL.COM") == {"Dana Cruz"}
    assert found("lee@example.com") == {"Lee Cruzado"}
    assert found("lee@example") == set()  # an address is matched whole


def test_mobiles_match_whole(bookings):
    assert found("858.555.0199") == {"Lee Cruzado"}
    assert found("0199") == set()


def test_references_match_whole_or_from_six_characters(bookings):
    reference = bookings["Dana Cruz"].reference
    assert found(reference) == {"Dana Cruz"}
    assert found(f"{reference[:4]} {reference[4:8]}".lower()) == {"Dana Cruz"}
    assert found(reference[:6]) >= {"Dana Cruz"}
    assert found(reference[:5]) == set()  # too short to be read as a reference
    assert found(reference[1:]) == set()  # a reference is matched from its start


@pytest.mark.parametrize("typed", ["", "   ", "%", "_", "\\", "--"])
def test_nothing_to_search_for_matches_nothing(typed, bookings):
    assert booking_search_q(typed) is None


@pytest.mark.postgres
def test_each_kind_of_search_is_answered_by_an_index(bookings):
    """With sequential scans priced out, each search still finds a plan: through the index meant for it."""
    expected = {
        "Dana Cruz": "booking_name_trgm",
        "dana.cruz@gmail.com": "email_canonical",
        "(619) 555-0123": "phone",
        bookings["Dana Cruz"].reference[:8]: "reference",
    }
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    for typed, index in expected.items():
        plan = Booking.objects.filter(booking_search_q(typed)).explain()
        assert "Seq Scan" not in plan, (typed, plan)
        assert index in plan, (typed, plan)
