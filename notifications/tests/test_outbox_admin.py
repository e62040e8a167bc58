"""The outbox in the admin: staff can read it, filter it and send a message again, never edit it."""

from datetime import date

import pytest
import time_machine
from django.contrib import messages as django_messages
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.services import booking_create
from booking.tests.factories import BookingFactory, SlotFactory, local
from notifications.models import Message, OptOut
from notifications.outbox import messages_send_due
from notifications.reminders import reminders_queue
from notifications.transports import text_as_sent

pytestmark = pytest.mark.django_db

OUTBOX = "/admin/notifications/message/"
NOW = local(date(2026, 4, 6), 8)  # Monday 8:00 AM in San Diego
Kind, Channel, Status = Message.Kind, Message.Channel, Message.Status


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def booking(service, patient, django_capture_on_commit_callbacks):
    """A booking made online, with its confirmation text and emails sent."""
    slot = SlotFactory(service=service, starts_at=local(date(2026, 4, 7), 10))
    with django_capture_on_commit_callbacks(execute=True):
        return booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=service.regular_price_cents)


def message(n: int, **fields) -> Message:
    defaults = {
        "booking": BookingFactory(),
        "kind": Kind.CONFIRMATION,
        "channel": Channel.EMAIL,
        "recipient": f"patient{n}@example.org",
        "subject": "You're booked",
        "body": "See you soon.",
        "dedupe_key": f"test:{n}",
        "status": Status.SENT,
    }
    return Message.objects.create(**{**defaults, **fields})


def listed(response) -> set[int]:
    assert response.status_code == 200
    return {m.pk for m in response.context["cl"].result_list}


def notices(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in response.context["messages"]]


# Reading ---------------------------------------------------------------------------------------------


def test_the_outbox_list_takes_the_same_number_of_queries_for_1_or_20_messages(admin_client):
    message(0)
    with CaptureQueriesContext(connection) as one:
        response = admin_client.get(OUTBOX)
    assert len(listed(response)) == 1

    for n in range(1, 20):
        message(n)
    with CaptureQueriesContext(connection) as twenty:
        response = admin_client.get(OUTBOX)
    assert len(listed(response)) == 20
    assert "patient19@example.org" in response.content.decode()

    assert len(twenty) == len(one), "\n".join(q["sql"] for q in twenty.captured_queries)


def test_only_staff_with_access_see_the_outbox(client, django_user_model):
    message(0)
    assert client.get(OUTBOX).status_code == 302  # to the login page
    staff = django_user_model.objects.create_user("desk", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(OUTBOX).status_code == 403


def test_the_outbox_filters_by_status_and_channel(admin_client):
    sent_email = message(0)
    failed_email = message(1, status=Status.FAILED)
    failed_text = message(2, status=Status.FAILED, channel=Channel.SMS, recipient="+16195550100")
    queued_text = message(3, status=Status.QUEUED, channel=Channel.SMS, recipient="+16195550101")

    assert listed(admin_client.get(OUTBOX)) == {sent_email.pk, failed_email.pk, failed_text.pk, queued_text.pk}
    assert listed(admin_client.get(OUTBOX, {"status__exact": "failed"})) == {failed_email.pk, failed_text.pk}
    assert listed(admin_client.get(OUTBOX, {"channel__exact": "sms"})) == {failed_text.pk, queued_text.pk}
    assert listed(admin_client.get(OUTBOX, {"channel__exact": "sms", "status__exact": "failed"})) == {failed_text.pk}
    assert listed(admin_client.get(OUTBOX, {"status__exact": "delivered"})) == set()


def test_the_booking_page_shows_its_messages_inline(admin_client, booking, patient):
    other = message(9)  # about another booking

    response = admin_client.get(f"/admin/booking/booking/{booking.pk}/change/")

    assert response.status_code == 200
    [inline] = [f for f in response.context["inline_admin_formsets"] if f.opts.model is Message]
    shown = {form.original.pk for form in inline}
    assert shown == set(Message.objects.filter(booking=booking).values_list("pk", flat=True))
    assert len(shown) == 3  # the confirmation by email and by text, and the clinic's new-booking email
    assert other.pk not in shown
    page = response.content.decode()
    assert "Booking confirmation" in page
    assert "New booking (to the clinic)" in page
    assert patient.phone in page
    # Read only: no blank form to add one, no box to delete one.
    assert inline.formset.total_form_count() == 3
    assert "DELETE" not in inline.formset.forms[0].fields
    assert not inline.has_add_permission


# Sending again -------------------------------------------------------------------------------------


def test_resend_queues_a_new_row_with_a_new_dedupe_key_and_sends_it_once(
    admin_client, booking, patient, twilio_recorder, clock, django_capture_on_commit_callbacks
):
    original = Message.objects.get(booking=booking, kind=Kind.CONFIRMATION, channel=Channel.SMS)
    assert original.status == Status.SENT
    clock.move_to(NOW.replace(minute=10))  # within the staff session's 15 idle minutes
    texts_before = len(twilio_recorder.texts)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(OUTBOX, {"action": "resend", "_selected_action": [original.pk]}, follow=True)

    assert len(callbacks) == 1
    assert notices(response) == [(django_messages.SUCCESS, f"{original}: queued.")]
    copy = Message.objects.exclude(pk=original.pk).get(booking=booking, kind=Kind.CONFIRMATION, channel=Channel.SMS)
    assert copy.dedupe_key != original.dedupe_key
    assert copy.dedupe_key.startswith(original.dedupe_key + ":resend:")
    assert (copy.recipient, copy.body, copy.status, copy.attempts) == (patient.phone, original.body, Status.SENT, 1)
    assert copy.provider_id.startswith("SM") and copy.provider_id != original.provider_id
    [text] = twilio_recorder.texts[texts_before:]
    assert (text.data["To"], text.data["Body"]) == (patient.phone, text_as_sent(original))
    original.refresh_from_db()
    assert original.status == Status.SENT  # the original row is left as it was

    # The sweep does not send the copy a second time.
    clock.move_to(NOW.replace(minute=45))
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_send_due() == 0
    assert len(twilio_recorder.texts) == texts_before + 1


def test_resend_of_an_email_sends_a_second_email(
    admin_client, booking, patient, clock, django_capture_on_commit_callbacks
):
    original = Message.objects.get(booking=booking, kind=Kind.CONFIRMATION, channel=Channel.EMAIL)
    mail.outbox.clear()
    clock.move_to(NOW.replace(minute=10))  # within the staff session's 15 idle minutes

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(OUTBOX, {"action": "resend", "_selected_action": [original.pk]})

    [email] = mail.outbox
    assert (email.to, email.subject) == ([patient.email], original.subject)
    assert Message.objects.filter(booking=booking, kind=Kind.CONFIRMATION, channel=Channel.EMAIL).count() == 2


def test_resend_to_an_opted_out_number_is_suppressed_with_a_warning(
    admin_client, booking, patient, twilio_recorder, clock, django_capture_on_commit_callbacks
):
    original = Message.objects.get(booking=booking, kind=Kind.CONFIRMATION, channel=Channel.SMS)
    OptOut.objects.create(phone=patient.phone, keyword="STOP")
    clock.move_to(NOW.replace(minute=10))  # within the staff session's 15 idle minutes
    texts_before = len(twilio_recorder.texts)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(OUTBOX, {"action": "resend", "_selected_action": [original.pk]}, follow=True)

    assert callbacks == []
    assert notices(response) == [(django_messages.WARNING, f"{original}: not sent, the number texted STOP.")]
    copy = Message.objects.exclude(pk=original.pk).get(booking=booking, kind=Kind.CONFIRMATION, channel=Channel.SMS)
    assert (copy.status, copy.attempts) == (Status.SUPPRESSED, 0)
    assert len(twilio_recorder.texts) == texts_before


# Never edited --------------------------------------------------------------------------------------


def test_nobody_can_add_a_message(admin_client):
    assert admin_client.get(f"{OUTBOX}add/").status_code == 403
    response = admin_client.post(
        f"{OUTBOX}add/", {"channel": "sms", "kind": "confirmation", "recipient": "+16195550100", "body": "Hi"}
    )
    assert response.status_code == 403
    assert not Message.objects.exists()
    assert f'href="{OUTBOX}add/"' not in admin_client.get(OUTBOX).content.decode()


def test_the_message_page_is_read_only_and_refuses_a_post(admin_client):
    row = message(0, body="See you soon.", status=Status.FAILED)

    response = admin_client.get(f"{OUTBOX}{row.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "See you soon." in page
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert f"{OUTBOX}{row.pk}/delete/" not in page
    assert "<textarea" not in page

    response = admin_client.post(
        f"{OUTBOX}{row.pk}/change/", {"body": "Edited", "status": "sent", "recipient": "x@example.org", "_save": "Save"}
    )
    assert response.status_code == 403
    row.refresh_from_db()
    assert (row.body, row.status, row.recipient) == ("See you soon.", Status.FAILED, "patient0@example.org")


def test_nobody_can_delete_a_message(admin_client):
    row = message(0)

    assert admin_client.get(f"{OUTBOX}{row.pk}/delete/").status_code == 403
    assert admin_client.post(f"{OUTBOX}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    response = admin_client.get(OUTBOX)
    assert "delete_selected" not in response.content.decode()
    admin_client.post(OUTBOX, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert Message.objects.filter(pk=row.pk).exists()


def test_resending_a_reminder_for_an_unchanged_visit_sends_it(
    admin_client, admin_user, booking, clock, django_capture_on_commit_callbacks
):
    # The booking's visit is Tuesday 10:00; the day-before email goes out Monday 10:00.
    clock.move_to(NOW.replace(hour=10, minute=1))
    admin_client.force_login(admin_user)  # staff sessions end after 15 idle minutes
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_queue() >= 1
    reminder = Message.objects.get(booking=booking, kind=Kind.REMINDER_24H, channel=Channel.EMAIL)
    assert reminder.status == Status.SENT

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(OUTBOX, {"action": "resend", "_selected_action": [reminder.pk]})

    copy = Message.objects.exclude(pk=reminder.pk).get(booking=booking, kind=Kind.REMINDER_24H, channel=Channel.EMAIL)
    assert (copy.status, copy.last_error) == (Status.SENT, "")
