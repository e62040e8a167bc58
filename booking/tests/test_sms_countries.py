"""Texts only where the clinic texts (SMS_ALLOWED_COUNTRIES, by default the US and Canada).

A patient who types a mobile elsewhere is told so on the form, with the clinic's phone to book by;
a number staff typed is booked, and its texts are held back, never sent to Twilio.
The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
"""

import pytest
from django.core import mail

from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_create
from booking.tests.pages import MICHAEL, REGULAR_DAY, confirm, held_url, page, post_details, slot_at
from notifications.models import Message
from notifications.outbox import message_send
from waitlist.models import WaitlistEntry
from waitlist.tests.offers import fill

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

UK_MOBILE = "+44 7400 123456"
LATVIAN_MOBILE = "+37120000000"
CANADIAN_MOBILE = "+1 416 555 0123"
MEXICAN_MOBILE = "+525512345678"
ABROAD = [UK_MOBILE, LATVIAN_MOBILE]
SMS = Message.Channel.SMS


def phone_error(response) -> str:
    """The form came back (400) with an error on the phone field only; the error's text."""
    assert response.status_code == 400, response.content.decode()
    html = page(response)
    assert [c["name"] for c in html.controls if c.get("aria-invalid")] == ["phone"]
    return html.by_id["id_phone_error"]


def refused_abroad(response, clinic) -> None:
    error = phone_error(response)
    assert "We can text only mobiles in the US and Canada." in error
    assert f"call us at {clinic.phone_display}" in error
    assert clinic.phone_display == "(619) 268-1397"


# The patient's forms ------------------------------------------------------------------------------


@pytest.mark.parametrize("mobile", ABROAD, ids=["uk", "latvia"])
def test_the_details_step_refuses_a_mobile_abroad_and_offers_the_clinics_phone(client, clinic, service, mobile):
    response = post_details(client, slot_at(service, REGULAR_DAY, 10), phone=mobile)

    refused_abroad(response, clinic)


def test_the_details_step_accepts_a_canadian_mobile(client, service):
    response = post_details(client, slot_at(service, REGULAR_DAY, 10), phone=CANADIAN_MOBILE)

    assert response.status_code == 303, response.content.decode()
    assert Booking.objects.get().phone == "+14165550123"  # kept on the time held while the patient reviews


def test_with_only_the_us_allowed_a_canadian_mobile_is_refused(client, clinic, service, settings):
    settings.SMS_ALLOWED_COUNTRIES = ["US"]

    response = post_details(client, slot_at(service, REGULAR_DAY, 10), phone=CANADIAN_MOBILE)

    error = phone_error(response)
    assert "We can text only mobiles in the US." in error
    assert "Canada" not in error
    assert clinic.phone_display in error
    assert post_details(client, slot_at(service, REGULAR_DAY, 11)).status_code == 303  # a US mobile still is fine


@pytest.mark.parametrize("mobile", ABROAD, ids=["uk", "latvia"])
def test_a_confirm_posted_with_a_mobile_abroad_books_nothing(client, clinic, service, mobile):
    slot = slot_at(service, REGULAR_DAY, 10)

    response = confirm(client, slot, {**MICHAEL, "phone": mobile, "quoted_price_cents": "17500"})

    # Confirming takes no details: only the details step does, and it refuses the mobile.
    assert (response.status_code, response.url) == (302, held_url(client, slot))
    assert not Booking.objects.exclude(phone="").exists()
    assert not Booking.objects.filter(requested_at__isnull=False).exists()


@pytest.mark.parametrize("mobile", ABROAD, ids=["uk", "latvia"])
def test_the_waiting_list_refuses_a_mobile_abroad(client, clinic, promotion, mobile):
    fill(promotion)

    response = client.post(f"/waitlist/offer/{promotion.pk}/", {**MICHAEL, "phone": mobile})

    refused_abroad(response, clinic)
    assert not WaitlistEntry.objects.exists()
    assert client.post(f"/waitlist/offer/{promotion.pk}/", {**MICHAEL, "phone": CANADIAN_MOBILE}).status_code == 302


# Nothing is ever sent elsewhere -------------------------------------------------------------------


def desk_books(service, front_desk, phone: str) -> Booking:
    """The front desk books a caller who agrees to texts, through the service its "Book a caller" page calls."""
    caller = Patient(name="Pat Caller", email="pat@example.com", phone=phone, sms_consent=True)
    return booking_create(
        slot_id=slot_at(service, REGULAR_DAY, 10).pk,
        patient=caller,
        quoted_price_cents=service.regular_price_cents,
        user=front_desk,
        online=False,
    )


def test_a_caller_booked_by_staff_with_a_mobile_abroad_gets_no_text_but_the_email(
    django_capture_on_commit_callbacks, twilio_recorder, service, front_desk
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = desk_books(service, front_desk, MEXICAN_MOBILE)

    assert booking.status == Booking.Status.CONFIRMED
    text = Message.objects.get(booking=booking, channel=SMS, kind=Message.Kind.CONFIRMATION)
    assert (text.recipient, text.status) == (MEXICAN_MOBILE, Message.Status.SUPPRESSED)
    assert "SMS_ALLOWED_COUNTRIES" in text.last_error
    assert twilio_recorder.requests == []
    assert [email.to for email in mail.outbox].count(["pat@example.com"]) == 1  # told by email instead


def test_a_caller_booked_by_staff_with_a_canadian_mobile_is_texted(
    django_capture_on_commit_callbacks, twilio_recorder, service, front_desk
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = desk_books(service, front_desk, "+14165550123")

    text = Message.objects.get(booking=booking, channel=SMS, kind=Message.Kind.CONFIRMATION)
    assert text.status == Message.Status.SENT
    assert [request.data["To"] for request in twilio_recorder.texts] == ["+14165550123"]


def test_a_queued_text_to_a_country_no_longer_texted_is_suppressed_without_calling_twilio(
    django_capture_on_commit_callbacks, twilio_recorder, service, front_desk, settings
):
    settings.SMS_ALLOWED_COUNTRIES = ["US", "CA", "GB"]
    with django_capture_on_commit_callbacks(execute=False):  # queued, not sent yet
        booking = desk_books(service, front_desk, "+447400123456")
    text = Message.objects.get(booking=booking, channel=SMS, kind=Message.Kind.CONFIRMATION)
    assert text.status == Message.Status.QUEUED

    settings.SMS_ALLOWED_COUNTRIES = ["US", "CA"]
    message_send(message_id=text.pk)

    text.refresh_from_db()
    assert text.status == Message.Status.SUPPRESSED
    assert "SMS_ALLOWED_COUNTRIES" in text.last_error
    assert twilio_recorder.requests == []
