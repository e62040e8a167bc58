"""Health details never leave the intake pages and the clinicians' admin: not in a URL, a log, an email or a text."""

import logging
import re
from datetime import timedelta

import pytest
from django.core import mail

from assessments.models import Intake, IntakeAccess
from booking.links import Purpose, manage_path, private_token
from booking.models import Booking
from booking.services import booking_create
from booking.tests.factories import SlotFactory
from notifications.models import Message
from notifications.reminders import reminders_queue

from .helpers import ANSWERS, PAIN, SECRETS, STEP_NAMES, VISIT, email_text, links

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def assert_private(where: str, content: str) -> None:
    for secret in SECRETS:
        assert secret.lower() not in content.lower(), f"{secret!r} is in {where}: {content}"


CALENDARS = ("https://calendar.google.com/calendar/render?", "https://outlook.live.com/calendar/0/deeplink/compose?")


def allowed_url(url: str, token: str, reference: str) -> bool:
    """Where an intake page may point: the intake's own steps and fields, the booking's pages, the wording the patient
    agrees to, the clinic's contact links."""
    steps = "|".join([*STEP_NAMES, "done"])
    return bool(
        re.fullmatch(rf"(/es)?/intake/{re.escape(token)}/(({steps})/)?(\?lang=(en|es))?", url)  # or in Spanish
        or re.fullmatch(
            rf"(/es)?/manage/{re.escape(reference)}\.[\w]+:[\w-]+/(calendar\.ics|move/|cancel/)?(\?lang=(en|es))?", url
        )
        or url in ("/", "#main", f"/booking/{reference}/")
        or re.fullmatch(r"#id_[a-z_]+?(_\d)?", url)  # the error summary's links to the fields
        or re.fullmatch(r"/(privacy-practices|consent-to-treatment)/(\d+/)?", url)  # the wording agreed to
        or re.fullmatch(r"/static/[\w./-]+", url)
        or re.fullmatch(r"(tel|sms):\+\d+|mailto:[\w.@-]+", url)
        or url.startswith("https://maps.google.com/?q=4901")
        # Add to Google Calendar or Outlook: the visit's time and the clinic's address, nothing of the patient's.
        or (url.startswith(CALENDARS) and token not in url and reference not in url and "/manage/" not in url)
    )


@pytest.fixture
def confirmed(service, patient, django_capture_on_commit_callbacks) -> Booking:
    """A patient who booked online and agreed to texts: a confirmation email and text have gone out."""
    slot = SlotFactory(service=service, starts_at=VISIT)
    with django_capture_on_commit_callbacks(execute=True):
        return booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=service.regular_price_cents)


def test_a_full_questionnaire_leaves_no_answer_in_a_url_a_log_line_an_email_or_a_text(
    client, confirmed, clinician, caplog, clock, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    booking, token = confirmed, private_token(confirmed, Purpose.INTAKE)
    urls: list[str] = []  # every address on the patient's pages, and every redirect
    staff_urls: list[str] = []

    def visit(path: str):
        response = client.get(path)
        urls.extend(links(response))
        if response.status_code == 302:
            urls.append(response["Location"])
        return response

    booking_page = visit(manage_path(booking))  # the patient's private link
    [start] = [url for url in links(booking_page) if url.startswith("/intake/")]
    location = visit(start)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        for step in STEP_NAMES:
            assert location.endswith(f"/{step}/")
            visit(location)
            if step == "pain":  # a mistake first, shown back with the answers typed
                wrong = client.post(location, {**PAIN, "pain_now": "8"})
                assert wrong.status_code == 400
                urls.extend(links(wrong))
            answers = ANSWERS[step]
            if step == "screen":
                answers = {**answers, "flag_saddle_numbness": "True", "flag_cancer": "True"}
            response = client.post(location, answers)
            assert response.status_code == 302
            location = response["Location"]
            urls.append(location)
    visit(location)
    assert Intake.objects.get(booking=booking).completed_at is not None

    # A clinician reads it; the day before, the reminders go out.
    client.force_login(clinician)
    intake = Intake.objects.get(booking=booking)
    for path in (f"/admin/assessments/intake/{intake.pk}/change/", f"/staff/intakes/{booking.pk}/print/"):
        response = client.get(path)
        assert response.status_code == 200
        staff_urls.extend(links(response))
    clock.move_to(VISIT - timedelta(hours=24))
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_queue() == 2  # a text and an email

    intake_urls = [url for url in urls if url.startswith("/intake/")]
    assert {f"/intake/{token}/{step}/" for step in [*STEP_NAMES, "done"]} <= set(intake_urls)
    for url in urls:
        assert allowed_url(url, token, booking.reference), url
    for url in intake_urls:
        assert "?" not in url and "#" not in url
    for url in urls + staff_urls:
        assert_private("a URL", url)

    messages = [record.getMessage() for record in caplog.records]
    assert any(message.startswith("Bad Request: /intake/") for message in messages), "the log was not captured"
    for record in caplog.records:
        assert_private(f"a log line from {record.name}", record.getMessage())
        assert_private(f"a log line's traceback from {record.name}", record.exc_text or "")

    kinds = sorted(Message.objects.values_list("kind", "channel"))
    assert kinds == [
        ("clinic_intake_review", "email"),
        ("clinic_new_booking", "email"),
        ("confirmation", "email"),
        ("confirmation", "sms"),
        ("reminder_24h", "email"),
        ("reminder_24h", "sms"),
    ]
    for message in Message.objects.all():
        assert_private(f"the {message.kind} {message.channel}", f"{message.subject}\n{message.body}")
    assert len(mail.outbox) == 4
    for email in mail.outbox:
        assert_private(f"the email {email.subject!r}", email_text(email))
    assert set(IntakeAccess.objects.values_list("detail", flat=True)) == {"", *STEP_NAMES}
