"""An email's parts (notifications/emails.py): the text, the HTML with its buttons, the calendar file with every
change to the visit; made once when queued, so a retry or a resend sends the same; and nothing about health.

The rendering at phone width is in test_browser_emails.py.
"""

import re
import smtplib
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from icalendar import Calendar

from assessments.models import Intake
from booking.calendar import calendar_links
from booking.links import Purpose, private_link, private_token
from booking.rules import Patient
from booking.services import booking_cancel, booking_create, booking_reschedule
from booking.tests.factories import SlotFactory, local
from booking.tests.pages import REGULAR_DAY
from clinic.tests.html import html
from notifications.emails import html_from_text
from notifications.models import Message
from notifications.outbox import message_resend, message_send, messages_send_due
from notifications.reminders import reminders_queue
from notifications.tests.conftest import HEALTH_WORDS

pytestmark = pytest.mark.django_db

Kind, Status = Message.Kind, Message.Status
PATIENT = Patient(name="Dana Cruz", email="dana@example.com", phone="+18585550199", sms_consent=False)
VISIT = local(REGULAR_DAY, 10)  # Monday, April 20, 2026 at 10:00 AM PDT: 17:00 UTC
# Texts only: what the front desk writes, and the answers to a patient's texts.
PATIENT_KINDS = {
    kind for kind in Kind if not kind.startswith("clinic_") and kind not in (Kind.STAFF_TEXT, Kind.AUTO_REPLY)
}
# A link as a reader would see it spelled out: the scheme, or the site's private paths.
SPELLED_OUT = re.compile(r"https?://|/(manage|intake|waitlist/claim)/")


def html_of(email) -> str:
    [(content, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return content


def buttons(email) -> dict[str, str]:
    """The HTML part's buttons: label -> where it goes."""
    tree = html(html_of(email))
    return {a.text: a.attrs["href"] for a in tree.find_all("a") if "display:block" in a.attrs.get("style", "")}


def reference_of(email) -> str:
    return Message.objects.get(provider_id=email.extra_headers["Message-ID"]).booking.reference


def calendar_of(email, method: str):
    [attachment] = email.attachments
    assert (attachment.filename, attachment.mimetype) == (f"visit-{reference_of(email)}.ics", "text/calendar")
    calendar = Calendar.from_ical(attachment.content)
    assert str(calendar["METHOD"]) == method
    [event] = calendar.walk("VEVENT")
    return event


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run an action, sending what it queues on commit: what it returned, and the emails sent to the patient."""

    def send(action, *args, **kwargs):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = action(*args, **kwargs)
        return result, [email for email in mail.outbox[before:] if email.to == [PATIENT.email]]

    return send


@pytest.fixture
def booked(clock, service, send):
    """Dana's visit, booked at the regular price: the booking and its confirmation email."""
    slot = SlotFactory(service=service, starts_at=VISIT)
    booking, [confirmation] = send(
        booking_create, slot_id=slot.pk, patient=PATIENT, quoted_price_cents=service.regular_price_cents
    )
    return booking, confirmation


# Every patient email: a text part, an HTML part, the same words -----------------------------------------------


def test_every_patient_email_is_sent_as_text_and_html(patient_emails):
    assert set(patient_emails) == PATIENT_KINDS

    for kind, email in patient_emails.items():
        sent = message_from_bytes(email.message().as_bytes())
        alternative = sent if sent.get_content_type() == "multipart/alternative" else sent.get_payload(0)
        assert alternative.get_content_type() == "multipart/alternative", kind
        text, page = alternative.get_payload()
        assert (text.get_content_type(), page.get_content_type()) == ("text/plain", "text/html"), kind
        assert text.get_payload(decode=True).decode() == email.body
        assert "<" not in email.body, kind  # plain text, with nothing of the HTML in it
        tree = html(page.get_payload(decode=True).decode())
        assert tree.find("title").text == email.subject
        # What the text says, the HTML says: its first words, and the signature.
        first_line = email.body.splitlines()[2]
        assert " ".join(first_line.split()) in tree.find("body").visible_text, kind
        assert "(call or text)" in tree.find("body").visible_text, kind


def test_no_link_is_spelled_out_in_the_html_and_each_private_link_of_the_text_is_a_button(patient_emails):
    for kind, email in patient_emails.items():
        tree = html(html_of(email))
        assert not SPELLED_OUT.search(tree.find("body").visible_text), kind
        hrefs = {a.attrs["href"] for a in tree.find_all("a")}
        for link in re.findall(r"https?://\S+", email.body):
            assert link in hrefs, (kind, link)
            assert email.body.splitlines().count(link) == 1, (kind, link)
            # In the text, the link stands on a line of its own, under the label of its button.
            label = email.body.split(f"\n{link}")[0].splitlines()[-1]
            assert label.endswith(":") and buttons(email)[label[:-1]] == link, (kind, label)


def test_the_confirmation_has_the_questionnaire_first_then_manage_and_the_calendars(booked):
    booking, email = booked

    assert list(buttons(email).items()) == [
        ("Answer the questionnaire", private_link(booking, Purpose.INTAKE)),
        ("Manage your visit", private_link(booking, Purpose.MANAGE)),
        ("Add to Google Calendar", calendar_links(booking)["google"]),
        ("Add to Outlook", calendar_links(booking)["outlook"]),
    ]
    button = html(html_of(email)).find("a", href=private_link(booking, Purpose.INTAKE))
    assert "background:#a3161a" in button.parent.attrs["style"]  # the main action stands out
    assert f"Answer the questionnaire:\n{private_link(booking, Purpose.INTAKE)}\n" in email.body
    assert f"Manage your visit:\n{private_link(booking, Purpose.MANAGE)}\n" in email.body
    assert "calendar.google.com" not in email.body  # too long for the text: the attached file is there


def test_the_visits_details_are_a_table_in_the_html(booked):
    _, email = booked

    rows = [(th.text, th.parent.find("td").text) for th in html(html_of(email)).find_all("th")]
    assert rows == [
        ("When", "Monday, April 20, 2026 at 10:00 AM (PDT)"),
        ("Where", "4901 Morena Blvd, Suite 501, San Diego, CA 92117"),
        ("What", "Active Back & Hip Reset Assessment, 60 minutes"),
        ("Price", "$175, due at the visit"),
    ]
    assert "When:  Monday, April 20, 2026 at 10:00 AM (PDT)\nWhere: 4901 Morena Blvd" in email.body


def test_the_calendar_buttons_carry_no_private_link(patient_emails):
    reference = reference_of(patient_emails[Kind.CONFIRMATION])
    with_calendars = {kind for kind, email in patient_emails.items() if "Add to Google Calendar" in buttons(email)}

    assert with_calendars == {Kind.CONFIRMATION, Kind.RESCHEDULE, Kind.REMINDER_24H}
    for kind in with_calendars:
        found = buttons(patient_emails[kind])
        for href in (found["Add to Google Calendar"], found["Add to Outlook"]):
            assert href.startswith(("https://calendar.google.com/", "https://outlook.live.com/")), kind
            assert not re.search(r"/(manage|intake|waitlist/claim)/|[A-Za-z0-9_-]{43}", href), kind
            assert reference not in href


def test_the_day_before_reminder_asks_for_the_questionnaire_only_until_it_is_answered(booked, clock, send):
    booking, _ = booked
    clock.move_to(VISIT - timedelta(hours=24))
    _, [unanswered] = send(reminders_queue)
    assert buttons(unanswered)["Answer the questionnaire"] == private_link(booking, Purpose.INTAKE)

    Intake.objects.create(booking=booking, completed_at=timezone.now())
    Message.objects.filter(kind=Kind.REMINDER_24H).delete()
    _, [answered] = send(reminders_queue)
    assert "Answer the questionnaire" not in buttons(answered)
    assert "/intake/" not in answered.body + html_of(answered)
    assert buttons(answered)["Manage your visit"] == private_link(booking, Purpose.MANAGE)


def test_a_waiting_list_offer_has_one_button_to_claim_the_place(patient_emails):
    offer = patient_emails[Kind.WAITLIST_OFFER]

    [(label, href)] = buttons(offer).items()
    assert label == "Claim this place"
    assert "/waitlist/claim/" in href and f"Claim this place:\n{href}\n" in offer.body


def test_the_cancellation_offers_another_time_and_the_booking(patient_emails, settings):
    cancellation = patient_emails[Kind.CANCELLATION]

    found = buttons(cancellation)
    assert list(found) == ["Book another time", "See your booking"]
    assert found["Book another time"] == f"{settings.PUBLIC_BASE_URL}/"
    assert "/manage/" in found["See your booking"]


def test_emails_that_carry_no_link_have_no_button(patient_emails):
    for kind in (Kind.CONTACT_CHANGED, Kind.ACCESS_CODE):
        email = patient_emails[kind]
        assert buttons(email) == {}
        assert html(html_of(email)).find_all("a") == []
    assert "482913" in html_of(patient_emails[Kind.ACCESS_CODE])  # the code, filled in as it was sent
    assert "482913" not in Message.objects.get(kind=Kind.ACCESS_CODE).html  # and kept nowhere


# The calendar file: booked, moved, cancelled --------------------------------------------------------------------


def test_the_reschedule_email_carries_the_same_event_with_the_new_times_and_a_higher_sequence(booked, service, send):
    booking, confirmation = booked
    booked_event = calendar_of(confirmation, "PUBLISH")
    first, later = booking.slot, SlotFactory(service=service, starts_at=local(REGULAR_DAY + timedelta(days=2), 15))

    moved_booking, [moved] = send(booking_reschedule, booking=booking, slot_id=later.pk, quoted_price_cents=17500)

    event = calendar_of(moved, "PUBLISH")
    assert event["UID"] == booked_event["UID"]
    assert event["SEQUENCE"] > booked_event["SEQUENCE"]
    assert event.decoded("DTSTART") == datetime(2026, 4, 22, 22, 0, tzinfo=UTC) == later.starts_at
    assert event.decoded("DTEND") == later.ends_at
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "Wednesday, April 22, 2026 at 3:00 PM (PDT)" in moved.body
    assert "The attached calendar file moves the visit to its new time" in moved.body

    # Moved back: the same event once more, newer again.
    _, [back] = send(booking_reschedule, booking=moved_booking, slot_id=first.pk, quoted_price_cents=17500)
    again = calendar_of(back, "PUBLISH")
    assert again["UID"] == booked_event["UID"] and again["SEQUENCE"] > event["SEQUENCE"]
    assert again.decoded("DTSTART") == VISIT


def test_the_cancellation_email_carries_a_file_that_takes_the_visit_out_of_the_calendar(booked, send):
    booking, confirmation = booked
    booked_event = calendar_of(confirmation, "PUBLISH")

    _, [cancelled] = send(booking_cancel, booking=booking, reason="Cancelled by the front desk")

    event = calendar_of(cancelled, "CANCEL")
    assert event["UID"] == booked_event["UID"]
    assert event["SEQUENCE"] > booked_event["SEQUENCE"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("DTSTART") == VISIT
    assert str(event["ORGANIZER"]) == "mailto:admin@projectperformancept.com"


def test_only_changes_to_the_visit_carry_a_calendar_file(patient_emails):
    with_file = {kind for kind, email in patient_emails.items() if email.attachments}

    assert with_file == {Kind.CONFIRMATION, Kind.RESCHEDULE, Kind.CANCELLATION}


# Made once, sent the same ---------------------------------------------------------------------------------------

TRIED: list = []


class DeferringBackend(BaseEmailBackend):
    """A mail server that is busy: it sees each email, then answers "try later"."""

    def send_messages(self, email_messages):
        TRIED.extend(email_messages)
        raise smtplib.SMTPResponseException(451, b"try later")


def test_a_retry_sends_the_same_html_and_calendar_file_whatever_changed_since(clock, service, settings, send):
    TRIED.clear()
    settings.EMAIL_BACKEND = f"{__name__}.DeferringBackend"
    slot = SlotFactory(service=service, starts_at=VISIT)
    booking, _ = send(booking_create, slot_id=slot.pk, patient=PATIENT, quoted_price_cents=service.regular_price_cents)
    [first] = [email for email in TRIED if email.to == [PATIENT.email]]

    # Later, the clinic's details change and the visit's intake is answered: the waiting email is not remade.
    clinic = service.clinic
    clinic.phone = "+16195550000"
    clinic.save()
    Intake.objects.create(booking=booking, completed_at=VISIT - timedelta(days=1))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.shift(timedelta(minutes=5))
    send(messages_send_due)

    [retried] = [email for email in mail.outbox if email.to == [PATIENT.email]]
    assert html_of(retried) == html_of(first)
    assert "(619) 268-1397" in html_of(retried)  # the phone as it was when the email was made
    assert retried.body == first.body
    assert retried.attachments == first.attachments
    row = Message.objects.get(kind=Kind.CONFIRMATION, channel=Message.Channel.EMAIL)
    assert (row.status, row.attempts) == (Status.SENT, 2)


def test_a_staff_resend_sends_the_same_html_with_the_links_as_they_are_now(booked, send):
    _, confirmation = booked
    row = Message.objects.get(kind=Kind.CONFIRMATION, channel=Message.Channel.EMAIL)

    copy, [resent] = send(message_resend, message=row)

    assert (copy.html, copy.calendar) == (row.html, row.calendar)
    assert html_of(resent) == html_of(confirmation)
    assert resent.attachments == confirmation.attachments


def test_the_outbox_keeps_placeholders_in_the_html_never_a_link(booked):
    booking, _ = booked

    for row in Message.objects.filter(channel=Message.Channel.EMAIL):
        assert "[[link:" in row.html or row.kind.startswith("clinic_")
        for purpose in Purpose:
            assert private_token(booking, purpose) not in row.html + row.calendar


def test_an_email_queued_before_html_parts_were_kept_gets_one_from_its_text(booked, send):
    booking, _ = booked
    row = Message.objects.create(
        booking=booking,
        kind=Kind.NEW_LINK,
        channel=Message.Channel.EMAIL,
        recipient=booking.email,
        subject="Your new link",
        body="Hi Dana,\n\nYour booking:\n[[link:manage]]\n\nOr the questionnaire: [[link:intake]]",
        dedupe_key="test:before-html",
    )

    _, [email] = send(messages_send_due, now=row.send_after + timedelta(minutes=1))

    assert buttons(email) == {"Manage your visit": private_link(booking, Purpose.MANAGE)}
    tree = html(html_of(email))
    assert tree.find("a", href=private_link(booking, Purpose.INTAKE)).text == "Answer the questionnaire"
    assert not SPELLED_OUT.search(tree.find("body").visible_text)
    assert email.attachments == []


def test_a_notice_written_as_plain_text_gets_the_html_treatment(settings):
    settings.PUBLIC_BASE_URL = "https://book.example.com"
    text = "Hi D'Andre <b>,\n\nYou have left the list. To join again:\n[[link:manage]]\n\nhttps://book.example.com/"

    tree = html(html_from_text(text, subject="You left the waiting list", clinic=None))

    paragraphs = [p.text for p in tree.find_all("p")]
    assert paragraphs[:2] == ["Hi D'Andre <b>,", "You have left the list. To join again:"]
    assert tree.find("b") is None  # escaped, never markup
    [button] = [a for a in tree.find_all("a") if "display:block" in a.attrs.get("style", "")]
    assert (button.text, button.attrs["href"]) == ("Manage your visit", "[[link:manage]]")
    assert tree.find("a", href="https://book.example.com/").text == "book.example.com/"


# Nothing about health ----------------------------------------------------------------------------------------


def test_no_patient_email_says_anything_about_health_in_any_part(patient_emails):
    for kind, email in patient_emails.items():
        parts = [email.subject, email.body, html_of(email)]
        parts += [a.content if isinstance(a.content, str) else a.content.decode() for a in email.attachments]
        tree = html(html_of(email))
        parts += [a.attrs["href"] for a in tree.find_all("a")]  # the calendar links' words too
        seen = "\n".join(parts).lower()
        for word in HEALTH_WORDS:
            assert word not in seen and word.replace("-", "+") not in seen, (kind, word)


# make run's console, and the outbox's page in the admin ---------------------------------------------------------


def test_the_console_backend_of_make_run_prints_both_parts_and_the_calendar_file(clock, service, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    slot = SlotFactory(service=service, starts_at=VISIT)

    booking = booking_create(slot_id=slot.pk, patient=PATIENT, quoted_price_cents=service.regular_price_cents)
    row = Message.objects.get(kind=Kind.CONFIRMATION, channel=Message.Channel.EMAIL)  # queued, sent below

    message_send(message_id=row.pk)

    printed = capsys.readouterr().out
    assert "Content-Type: multipart/alternative" in printed
    assert "Content-Type: text/html" in printed
    assert "Content-Type: text/calendar" in printed
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert booking.reference in printed
