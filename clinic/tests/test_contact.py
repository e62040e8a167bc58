"""clinic/contact.py: one inbox's one spelling, kept on bookings and waiting-list entries, and the countries texted."""

import pytest

from booking.services import booking_change_contact
from booking.tests.factories import BookingFactory, PromotionFactory
from clinic.contact import canonical_email, email_suggestion, sms_allowed, sms_countries_named
from waitlist.models import WaitlistEntry

# One inbox's one spelling ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Alice@Example.COM", "alice@example.com"),
        ("  alice@example.com ", "alice@example.com"),
        ("alice+2@example.com", "alice@example.com"),
        ("alice+physio+2026@example.com", "alice@example.com"),
        ("ALICE+Runs@Example.com", "alice@example.com"),
        ("a.lice@gmail.com", "alice@gmail.com"),
        ("A.Li.Ce+runs@Gmail.com", "alice@gmail.com"),
        ("alice@googlemail.com", "alice@gmail.com"),
        ("a.lice+x@GoogleMail.com", "alice@gmail.com"),
    ],
)
def test_one_inbox_has_one_canonical_spelling(typed, canonical):
    assert canonical_email(typed) == canonical


@pytest.mark.parametrize(
    "typed",
    ["a.lice@example.com", "first.last@outlook.com", "a.lice@gmail.example.com", "a.lice@mail.gmail.com"],
)
def test_dots_are_kept_outside_gmail_where_they_name_another_inbox(typed):
    assert canonical_email(typed) == typed


def test_different_people_keep_different_canonical_emails():
    spellings = ["alice@example.com", "alice@example.org", "a.lice@example.com", "alice@gmail.com", "bob@gmail.com"]
    assert len({canonical_email(email) for email in spellings}) == len(spellings)


# Kept by save -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_booking_stores_its_canonical_email_and_keeps_the_email_as_typed():
    booking = BookingFactory(email="A.Lice+2@GoogleMail.com")
    booking.refresh_from_db()
    assert (booking.email, booking.email_canonical) == ("A.Lice+2@GoogleMail.com", "alice@gmail.com")


@pytest.mark.django_db
@pytest.mark.parametrize("update_fields", [None, ["email"], ("email", "updated_at")], ids=["all", "list", "tuple"])
def test_saving_a_new_email_on_a_booking_saves_its_canonical_email_too(update_fields):
    booking = BookingFactory(email="alice@example.com")
    booking.email = "B.O.B+clinic@gmail.com"
    booking.save(update_fields=update_fields)
    booking.refresh_from_db()
    assert booking.email_canonical == "bob@gmail.com"


@pytest.mark.django_db
def test_saving_other_fields_of_a_booking_leaves_its_canonical_email_alone():
    booking = BookingFactory(email="alice+2@example.com", patient_name="Alice Lee")
    booking.patient_name = "Alice Moss"
    booking.save(update_fields=["patient_name"])
    booking.refresh_from_db()
    assert (booking.patient_name, booking.email_canonical) == ("Alice Moss", "alice@example.com")


@pytest.mark.django_db
def test_staff_correcting_a_patients_email_moves_the_canonical_email_with_it():
    booking = BookingFactory(email="alice@example.com", phone="+16195550100")
    booking_change_contact(booking=booking, name=booking.patient_name, email="Bob+2@Example.com", phone=booking.phone)
    booking.refresh_from_db()
    assert (booking.email, booking.email_canonical) == ("Bob+2@Example.com", "bob@example.com")


def _entry(promotion, email: str) -> WaitlistEntry:
    return WaitlistEntry.objects.create(
        service=promotion.service, promotion=promotion, name="Bob Ortiz", email=email, phone="+16195550102"
    )


@pytest.mark.django_db
def test_a_new_waiting_list_entry_stores_its_canonical_email():
    entry = _entry(PromotionFactory(), "B.O.B+x@gmail.com")
    entry.refresh_from_db()
    assert (entry.email, entry.email_canonical) == ("B.O.B+x@gmail.com", "bob@gmail.com")


@pytest.mark.django_db
@pytest.mark.parametrize("update_fields", [None, ["email"]], ids=["all", "email-only"])
def test_saving_a_new_email_on_a_waiting_list_entry_saves_its_canonical_email_too(update_fields):
    entry = _entry(PromotionFactory(), "bob@example.com")
    entry.email = "Carol+list@GoogleMail.com"
    entry.save(update_fields=update_fields)
    entry.refresh_from_db()
    assert entry.email_canonical == "carol@gmail.com"


# The countries texted ---------------------------------------------------------------------------


def test_by_default_texts_go_to_us_and_canadian_numbers_only(settings):
    assert settings.SMS_ALLOWED_COUNTRIES == ["US", "CA"]
    assert sms_allowed("+16195550123")
    assert sms_allowed("+14165550123")
    assert not sms_allowed("+447400123456")
    assert not sms_allowed("+37120000000")
    assert not sms_allowed("+525512345678")
    assert not sms_allowed("not a number")
    assert sms_countries_named() == "the US and Canada"


def test_the_countries_texted_follow_the_setting_at_call_time(settings):
    settings.SMS_ALLOWED_COUNTRIES = ["us"]
    assert sms_allowed("+16195550123")
    assert not sms_allowed("+14165550123")
    assert sms_countries_named() == "the US"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("test@exampel.con", "test@exampel.com"),
        ("dana@gmial.com", "dana@gmail.com"),
        ("Dana@Yaho.com", "Dana@yahoo.com"),
        ("a@hotmial.com", "a@hotmail.com"),
        ("b@comcast.nte", "b@comcast.net"),
        ("f@gmail.co", "f@gmail.com"),
        ("dana@gmail.com", ""),
        ("e@company.com", ""),
        ("c@clinic-example.org", ""),
        ("not an email", ""),
    ],
)
def test_a_likely_typo_in_an_email_domain_gets_a_suggestion(typed, meant):
    assert email_suggestion(typed) == meant
