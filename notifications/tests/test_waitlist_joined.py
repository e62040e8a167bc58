"""Joining a waiting list is confirmed by email (and a short text, to a patient who agreed to texts), with the
private link that takes them off the list: made as the message leaves, for the entry's own email or mobile only.
"""

import re
from datetime import date

import pytest
import time_machine
from django.core import mail
from django.test import Client

from booking.rules import Patient
from booking.tests.factories import BookingFactory, PromotionFactory, SlotFactory, local
from notifications.admin import MessageAdmin
from notifications.models import Message
from notifications.outbox import message_resend
from notifications.transports import text_as_sent, text_for_staff
from waitlist.links import leave_link
from waitlist.models import WaitlistEntry
from waitlist.services import AlreadyWaiting, waitlist_join

pytestmark = pytest.mark.django_db

NOW = local(date(2026, 4, 6), 10)  # Monday 10:00 AM in San Diego, outside quiet hours
LATE = local(date(2026, 4, 6), 22)  # 10 PM: quiet hours
ANN = Patient(name="Ann Lee", email="ann@example.com", phone="+16195550101", sms_consent=True)
BEN = Patient(name="Ben Ortiz", email="ben@example.com", phone="+16195550102")
Kind, Status = Message.Kind, Message.Status
LEAVE = re.compile(r"https?://\S+/waitlist/leave/[^/\s]+/")


@pytest.fixture
def sold_out(service):
    with time_machine.travel(NOW, tick=False):
        promotion = PromotionFactory(service=service, spots=1)
        BookingFactory(slot=SlotFactory(service=service, starts_at=local(date(2026, 4, 8), 9)), promotion=promotion)
    return promotion


def join(promotion, patient, capture, *, at=NOW) -> WaitlistEntry:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return waitlist_join(service=promotion.service, patient=patient, promotion=promotion)


def test_joining_emails_the_place_in_line_and_a_link_to_leave(sold_out, django_capture_on_commit_callbacks):
    join(sold_out, BEN, django_capture_on_commit_callbacks)
    ann = join(sold_out, ANN, django_capture_on_commit_callbacks)

    [email] = [e for e in mail.outbox if e.to == ["ann@example.com"]]
    assert email.subject == "You're on the waiting list at Project Performance Physical Therapy"
    assert "Hi Ann," in email.body
    assert "You're on our waiting list for a $99 spot (Launch week): number 2 in line." in email.body
    assert "we text and email you straight away with a link to claim it" in email.body
    assert "We never send offers between 9 PM and 8 AM." in email.body
    [link] = LEAVE.findall(email.body)
    assert link == leave_link(ann)
    assert Client().get(link.removeprefix("http://127.0.0.1:8000")).status_code == 200
    assert "(619) 268-1397" in email.body  # the clinic's signature


def test_a_patient_who_agreed_to_texts_gets_a_short_one_too(
    sold_out, twilio_recorder, django_capture_on_commit_callbacks
):
    ann = join(sold_out, ANN, django_capture_on_commit_callbacks)
    join(sold_out, BEN, django_capture_on_commit_callbacks)

    [text] = twilio_recorder.texts  # none to Ben, who did not agree to texts
    assert text.data["To"] == "+16195550101"
    body = text.data["Body"]
    assert body.startswith("Project Performance Physical Therapy: Ann, you're number 1 on our waiting list.")
    assert leave_link(ann) in body and body.endswith("Reply STOP to opt out.")
    assert len(mail.outbox) == 2


def test_a_text_to_someone_who_joined_at_night_waits_for_the_morning(sold_out, django_capture_on_commit_callbacks):
    join(sold_out, ANN, django_capture_on_commit_callbacks, at=LATE)
    sms = Message.objects.get(kind=Kind.WAITLIST_JOINED, channel="sms")
    email = Message.objects.get(kind=Kind.WAITLIST_JOINED, channel="email")
    assert sms.send_after == local(date(2026, 4, 7), 8) and sms.status == Status.QUEUED
    assert email.status == Status.SENT


def test_the_outbox_keeps_a_placeholder_and_staff_never_see_the_link(sold_out, django_capture_on_commit_callbacks):
    ann = join(sold_out, ANN, django_capture_on_commit_callbacks)
    for message in Message.objects.filter(kind=Kind.WAITLIST_JOINED):
        assert message.waitlist_entry == ann and message.booking is None
        assert "[[link:leave]]" in message.body
        assert "/waitlist/leave/" not in message.body
        shown = MessageAdmin(Message, None).text(message)
        assert "[private link: leave]" in shown and "/waitlist/leave/" not in shown
        assert "/waitlist/leave/" not in text_for_staff(message)
        assert leave_link(ann) in text_as_sent(message)


def test_a_message_to_an_address_the_entry_no_longer_has_carries_no_link(sold_out, django_capture_on_commit_callbacks):
    ann = join(sold_out, ANN, django_capture_on_commit_callbacks)
    email = Message.objects.get(kind=Kind.WAITLIST_JOINED, channel="email")
    WaitlistEntry.objects.filter(pk=ann.pk).update(email="ann.new@example.com")  # staff corrected it
    email.refresh_from_db()

    assert "/waitlist/leave/" not in text_as_sent(email)
    assert "[private link: leave]" in text_as_sent(email)

    copy = message_resend(message=email)  # staff send it again: to the email the entry has now, with the link
    assert copy.recipient == "ann.new@example.com" and copy.waitlist_entry_id == ann.pk
    assert leave_link(ann) in text_as_sent(copy)


def test_a_join_refused_as_already_waiting_sends_nothing_more(sold_out, django_capture_on_commit_callbacks):
    join(sold_out, ANN, django_capture_on_commit_callbacks)
    with pytest.raises(AlreadyWaiting):
        join(sold_out, ANN, django_capture_on_commit_callbacks)
    assert Message.objects.filter(kind=Kind.WAITLIST_JOINED).count() == 2  # the first join's email and text
