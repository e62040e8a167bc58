"""A "yes" on the safety screen: the booking is marked for review, the clinic hears once, the patient is told calmly."""

import re

import pytest
from django.core import mail

from assessments.models import Intake
from booking.models import Booking
from clinic.models import display_phone
from notifications.models import Message

from .helpers import (
    RED_FLAGS,
    SCREEN,
    SECRETS,
    STEP_NAMES,
    answer_steps,
    done_url,
    email_text,
    post_step,
    step_url,
    text,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

URGENT = {"flag_saddle_numbness", "flag_bladder_bowel"}
CALM = "We will call you before your appointment to talk it through; there is nothing you need to do now."
URGENT_ADVICE = "go to an emergency department or call 911"
HEALTH_WORDS = [
    "numb",
    "tingl",
    "saddle",
    "weak",
    "bladder",
    "bowel",
    "weight",
    "fever",
    "unwell",
    "cancer",
    "fall",
    "accident",
    "pain",
    "constant",
    "injur",
    "medic",
    "red flag",
    "red-flag",
    "symptom",
]


def screen_with(*yes: str) -> dict:
    return {**SCREEN, **dict.fromkeys(yes, "True")}


def save_screen(client, booking, capture, *yes, **extra):
    with capture(execute=True):
        return post_step(client, booking, "screen", screen_with(*yes), **extra)


@pytest.mark.parametrize("flag", RED_FLAGS)
def test_any_yes_marks_the_booking_for_review_and_emails_the_clinic_once(
    client, booking, django_capture_on_commit_callbacks, flag
):
    answer_steps(client, booking, STEP_NAMES[:4])

    response = save_screen(client, booking, django_capture_on_commit_callbacks, flag)

    assert response["Location"] == step_url(booking, "consent")
    booking.refresh_from_db()
    assert booking.review_before_visit is True
    [email] = mail.outbox
    assert email.to == [booking.slot.service.clinic.email]
    [message] = Message.objects.filter(kind=Message.Kind.CLINIC_INTAKE_REVIEW)
    assert (message.booking, message.channel, message.status) == (booking, "email", "sent")


@pytest.mark.parametrize("flag", RED_FLAGS)
def test_the_patient_sees_the_calm_message_and_urgent_advice_only_for_saddle_or_bladder_and_bowel(
    client, booking, django_capture_on_commit_callbacks, flag
):
    answer_steps(client, booking, STEP_NAMES[:4])
    save_screen(client, booking, django_capture_on_commit_callbacks, flag)

    consent_page = text(client.get(step_url(booking, "consent")))
    post_step(client, booking, "consent")
    done_page = text(client.get(done_url(booking)))

    for page in (consent_page, done_page):
        assert CALM in page
        assert (URGENT_ADVICE in page) is (flag in URGENT)
        assert ("emergency" in page.lower()) is (flag in URGENT)


def test_a_patient_who_stops_after_the_screen_sees_the_calm_message(
    client, booking, django_capture_on_commit_callbacks
):
    answer_steps(client, booking, STEP_NAMES[:4])

    with django_capture_on_commit_callbacks(execute=True):
        response = post_step(client, booking, "screen", {**screen_with("flag_bladder_bowel"), "finish": "1"})

    assert response["Location"] == done_url(booking)
    page = text(client.get(done_url(booking)))
    assert CALM in page
    assert URGENT_ADVICE in page


def test_the_clinic_email_names_the_booking_and_links_to_the_admin_with_no_health_details(
    client, booking, django_capture_on_commit_callbacks, settings
):
    answer_steps(client, booking, STEP_NAMES[:4])

    save_screen(client, booking, django_capture_on_commit_callbacks, "flag_saddle_numbness", "flag_cancer")

    [email] = mail.outbox
    admin_link = f"{settings.PUBLIC_BASE_URL}/admin/booking/booking/{booking.pk}/change/"
    assert email.subject == "Review before the visit: Thu Apr 9, 10:00 AM"
    assert email.body.startswith(
        f"Booking {booking.reference} (Dana Cruz, {display_phone(booking.phone)}, Thursday, April 9 at 10:00 AM) "
        "needs review before the visit"
    )
    assert admin_link in email.body
    assert set(re.findall(r"https?://\S+", email.body)) == {admin_link}
    everything = email_text(email)
    for word in HEALTH_WORDS:
        assert word not in everything.lower(), f"{word!r} is in the clinic's email"
    for secret in SECRETS:
        assert secret not in everything
    assert "Yes" not in everything and "True" not in everything
    message = Message.objects.get(kind=Message.Kind.CLINIC_INTAKE_REVIEW)
    assert (message.subject, message.body) == (email.subject, email.body)


def test_saving_the_screen_again_with_another_yes_sends_no_second_email(
    client, booking, django_capture_on_commit_callbacks
):
    answer_steps(client, booking, STEP_NAMES[:4])
    save_screen(client, booking, django_capture_on_commit_callbacks, "flag_fever")

    save_screen(client, booking, django_capture_on_commit_callbacks, "flag_fever", "flag_weight_loss")
    save_screen(client, booking, django_capture_on_commit_callbacks)
    save_screen(client, booking, django_capture_on_commit_callbacks, "flag_fall")

    assert len(mail.outbox) == 1
    assert Message.objects.filter(kind=Message.Kind.CLINIC_INTAKE_REVIEW).count() == 1
    assert Booking.objects.get(pk=booking.pk).review_before_visit is True


def test_all_no_on_the_screen_flags_nothing_and_emails_nobody(client, booking, django_capture_on_commit_callbacks):
    answer_steps(client, booking, STEP_NAMES[:4])

    save_screen(client, booking, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, booking, "consent")

    assert Booking.objects.get(pk=booking.pk).review_before_visit is False
    assert mail.outbox == []
    assert not Message.objects.exists()
    assert Intake.objects.get(booking=booking).has_red_flag is False
    for page in (text(client.get(step_url(booking, "consent"))), text(client.get(done_url(booking)))):
        assert CALM not in page
        assert "emergency" not in page.lower()


def test_a_yes_saved_with_another_step_does_not_flag_the_booking(client, booking, django_capture_on_commit_callbacks):
    """Only the screen step's own answers count: a flag posted along with another step is ignored."""
    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, booking, "history", {**screen_with("flag_cancer"), "medications": "None"})

    assert Booking.objects.get(pk=booking.pk).review_before_visit is False
    assert mail.outbox == []
