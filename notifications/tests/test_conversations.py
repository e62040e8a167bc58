"""The text inbox's conversations: threading, unread counts, replies through the outbox and Twilio, opt-outs and the
segment limit. Texts arrive through Twilio's signed webhook; replies leave through the recorded Twilio client.

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego; Michael's visit is Wednesday at 10:00 AM.
"""

import logging
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from booking.services import booking_create
from booking.tests.factories import SlotFactory, local
from clinic.client import Visitor
from notifications.conversations import (
    CannotReply,
    conversation_mark,
    conversation_open,
    conversation_reply,
    conversations_listed,
    reply_prefix,
    thread_of,
    unread_total,
)
from notifications.models import Conversation, ConversationAccess, InboundText, Message
from notifications.tests.test_webhooks import (
    INBOUND,
    PHONE,
    STATUS,
    STRANGER,
    VISIT,
    inbound_params,
    post,
    status_params,
)
from waitlist.services import waitlist_join

pytestmark = pytest.mark.django_db

KEY = "0123456789abcdef0123456789abcdef"
Kind, Status = Message.Kind, Message.Status


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://book.example.com"


@pytest.fixture(autouse=True)
def stopped(clock, clinic, twilio_recorder):
    """The clinic on Monday 8:00 AM, as in the webhook tests (test_webhooks.py), its texts through the recorded
    Twilio client, which signs its webhooks."""
    return clock


@pytest.fixture
def slot(service):
    return SlotFactory(service=service, starts_at=VISIT)


def text_in(client, body: str, *, sender: str = PHONE, sid: str | None = None):
    response = post(client, INBOUND, inbound_params(body, sender=sender, sid=sid))
    assert response.status_code == 200
    return response


def conversation(phone: str = PHONE) -> Conversation:
    return Conversation.objects.get(phone=phone)


def told(thread) -> list[tuple[str, str, str]]:
    return [("in" if entry.incoming else "out", entry.who, entry.text) for entry in thread.entries]


def in_order(found: list, expected: list) -> bool:
    """Each of `expected` is in `found`, in this order (other texts, such as automatic answers, may come between)."""
    rest = iter(found)
    return all(any(item == wanted for item in rest) for wanted in expected)


def visitor(user) -> Visitor:
    return Visitor(user=user, ip="192.0.2.7", user_agent="Desk browser")


# Threading -----------------------------------------------------------------------------------------------


def test_a_numbers_texts_and_every_text_sent_to_it_are_one_thread_oldest_first(
    client, clock, django_capture_on_commit_callbacks, twilio_recorder, slot, patient, front_desk
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    clock.shift(timedelta(minutes=5))
    text_in(client, "Is there parking?")
    text_in(client, "Hi, do you have Saturday times?", sender=STRANGER)
    clock.shift(timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=conversation(), text="Yes, in the lot.", key=KEY, user=front_desk)

    thread = told(thread_of(PHONE))

    assert in_order(
        [(direction, who) for direction, who, _ in thread],
        [("out", "Automatic: Booking confirmation"), ("in", "Patient"), ("out", "Staff: frontdesk")],
    )
    assert ("in", "Patient", "Is there parking?") in thread
    assert thread[0][:2] == ("out", "Automatic: Booking confirmation")
    assert thread[-1] == ("out", "Staff: frontdesk", "Project Performance Physical Therapy: Yes, in the lot.")
    assert not any("Saturday" in words for _, _, words in thread)
    stranger = told(thread_of(STRANGER))
    assert ("in", "Patient", "Hi, do you have Saturday times?") in stranger
    assert not any("parking" in words or "lot" in words for _, _, words in stranger)
    assert set(Conversation.objects.values_list("phone", flat=True)) == {PHONE, STRANGER}


def test_the_thread_shows_where_a_private_link_went_never_the_link(
    client, django_capture_on_commit_callbacks, twilio_recorder, slot, patient
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    sent = twilio_recorder.texts[0].data["Body"]
    link = next(word for word in sent.split() if "/manage/" in word)

    text_in(client, "Thanks")

    words = " ".join(entry.text for entry in thread_of(PHONE).entries)
    assert link not in words


def test_an_empty_a_long_and_an_emoji_text_are_each_kept_as_they_came(client):
    for body in ["", "x" * 1600, "🏃‍♀️👍", "¿Tienen citas el sábado?"]:
        text_in(client, body)

    assert [entry.text for entry in thread_of(PHONE).entries if entry.incoming] == [
        "",
        "x" * 1600,
        "🏃‍♀️👍",
        "¿Tienen citas el sábado?",
    ]
    assert conversation().unread == 4


# Unread, done and reopened -------------------------------------------------------------------------------


def test_each_new_text_counts_as_unread_once_and_opening_the_conversation_reads_them(client, front_desk):
    text_in(client, "First", sid="SM" + "1" * 32)
    text_in(client, "First", sid="SM" + "1" * 32)  # Twilio delivered it again
    text_in(client, "Second")
    text_in(client, "Other number", sender=STRANGER)

    assert InboundText.objects.filter(sender=PHONE).count() == 2
    assert conversation().unread == 2
    assert unread_total() == 3

    conversation_open(conversation=conversation(), visitor=visitor(front_desk))

    assert conversation().unread == 0
    assert unread_total() == 1
    text_in(client, "Third")
    assert conversation().unread == 1


def test_a_new_text_opens_a_done_conversation_again(client, clock):
    text_in(client, "Can I move my visit?")
    conversation_mark(conversation=conversation(), status=Conversation.Status.DONE)
    assert not conversations_listed(show="open", user=None).filter(phone=PHONE).exists()

    clock.shift(timedelta(days=2))
    text_in(client, "Actually, one more question")

    assert conversation().status == Conversation.Status.OPEN
    assert conversation().last_activity_at == timezone.now()
    assert conversations_listed(show="open", user=None).filter(phone=PHONE).exists()


def test_each_opening_is_in_the_access_log_with_who_where_and_which_browser(client, front_desk, clinician):
    text_in(client, "Hello")

    conversation_open(conversation=conversation(), visitor=visitor(front_desk))
    conversation_open(conversation=conversation(), visitor=Visitor(user=clinician, ip="2001:db8::5", user_agent="B"))

    rows = list(ConversationAccess.objects.order_by("pk").values_list("user__username", "ip_address", "user_agent"))
    assert rows == [("frontdesk", "192.0.2.7", "Desk browser"), ("clinician", "2001:db8::5", "B")]
    assert all(row.conversation == conversation() for row in ConversationAccess.objects.all())


def test_the_newest_activity_comes_first_an_automatic_text_out_counting_too(
    client, clock, django_capture_on_commit_callbacks, twilio_recorder, slot, patient
):
    text_in(client, "From Michael")  # PHONE, Michael's number
    clock.shift(timedelta(minutes=1))
    text_in(client, "From a stranger", sender=STRANGER)
    assert [c.phone for c in conversations_listed(show="all", user=None)] == [STRANGER, PHONE]

    clock.shift(timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)  # its confirmation text

    assert [c.phone for c in conversations_listed(show="all", user=None)] == [PHONE, STRANGER]


# Replies -------------------------------------------------------------------------------------------------


def test_a_reply_reaches_twilio_once_goes_out_at_night_too_and_its_delivery_is_recorded(
    client, clock, django_capture_on_commit_callbacks, twilio_recorder, front_desk
):
    clock.move_to(local(date(2026, 4, 6), 23))  # in quiet hours
    text_in(client, "Are you open tomorrow?", sender=STRANGER)
    found = conversation(STRANGER)
    expected = "Project Performance Physical Therapy: Yes, from 7 AM."

    with django_capture_on_commit_callbacks(execute=True):
        reply, queued = conversation_reply(conversation=found, text="  Yes,  from 7 AM. ", key=KEY, user=front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        again, queued_again = conversation_reply(conversation=found, text="Yes, from 7 AM.", key=KEY, user=front_desk)

    assert (queued, queued_again) == (True, False)
    assert again.pk == reply.pk
    sent = [request.data for request in twilio_recorder.texts if request.data["To"] == STRANGER]
    assert [data["Body"] for data in sent] == [expected]
    reply.refresh_from_db()
    assert (reply.kind, reply.recipient, reply.status, reply.sent_by) == (
        Kind.STAFF_TEXT,
        STRANGER,
        Status.SENT,
        front_desk,
    )
    assert reply.booking is None and reply.waitlist_entry is None  # someone the clinic does not know yet
    assert reply.send_after <= reply.created_at  # staff replies keep no quiet hours

    assert post(client, STATUS, {**status_params(reply.provider_id, "delivered"), "To": STRANGER}).status_code == 200
    reply.refresh_from_db()
    assert reply.status == Status.DELIVERED
    assert [entry.message.get_status_display() for entry in thread_of(STRANGER).entries if not entry.incoming][-1] == (
        "Delivered"
    )


def test_a_reply_to_someone_the_clinic_knows_is_filed_with_their_latest_booking_or_waiting_list_entry(
    client, django_capture_on_commit_callbacks, twilio_recorder, slot, patient, service, front_desk
):
    entry = waitlist_join(service=service, patient=patient, day=slot.starts_at.date())
    text_in(client, "Any news?")
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = conversation_reply(conversation=conversation(), text="Not yet.", key=KEY, user=front_desk)
        booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
        later, _ = conversation_reply(
            conversation=conversation(), text="You're booked.", key=KEY[::-1], user=front_desk
        )

    assert (first.booking, first.waitlist_entry) == (None, entry)
    assert (later.booking, later.waitlist_entry) == (booking, None)


def test_the_same_form_with_other_words_is_another_reply(client, django_capture_on_commit_callbacks, twilio_recorder):
    text_in(client, "Hello")

    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=conversation(), text="Hello!", key=KEY, user=None)
        conversation_reply(conversation=conversation(), text="Hello again!", key=KEY, user=None)

    assert Message.objects.filter(kind=Kind.STAFF_TEXT).count() == 2


def test_a_number_that_texted_stop_cannot_be_replied_to(client, django_capture_on_commit_callbacks, twilio_recorder):
    text_in(client, "Hello")
    text_in(client, "STOP")

    with pytest.raises(CannotReply, match="This number texted STOP"), django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=conversation(), text="Sorry to see you go", key=KEY, user=None)

    assert not Message.objects.filter(kind=Kind.STAFF_TEXT).exists()
    assert not [r for r in twilio_recorder.texts if "Sorry" in r.data["Body"]]


def test_a_number_abroad_cannot_be_replied_to(client):
    text_in(client, "Hola", sender="+447700900123")

    with pytest.raises(CannotReply, match="does not text this number"):
        conversation_reply(conversation=conversation("+447700900123"), text="Hi", key=KEY, user=None)


@pytest.mark.parametrize("text, why", [("   ", "Write the reply to send."), ("Hi", "This form is out of date")])
def test_an_empty_reply_or_a_made_up_form_key_is_refused(client, text, why):
    text_in(client, "Hello")

    with pytest.raises(CannotReply, match=why):
        conversation_reply(conversation=conversation(), text=text, key="" if text == "Hi" else KEY, user=None)

    assert not Message.objects.filter(kind=Kind.STAFF_TEXT).exists()


def test_a_reply_of_three_segments_goes_and_one_character_more_is_refused(clinic, client, twilio_recorder):
    text_in(client, "Hello")
    room = 3 * 153 - len(reply_prefix(clinic))  # GSM-7: 153 characters a segment once split

    with pytest.raises(CannotReply, match=r"would go as 4 text messages: keep it to 3 \(about 421 characters\)"):
        conversation_reply(conversation=conversation(), text="a" * (room + 1), key=KEY, user=None)
    assert not Message.objects.filter(kind=Kind.STAFF_TEXT).exists()

    reply, _ = conversation_reply(conversation=conversation(), text="a" * room, key=KEY, user=None)
    assert len(reply.body) == 459


def test_a_reply_is_sent_in_gsm_7_as_the_counter_counts_it(clinic, client):
    """The page's counter counts reply_prefix + the words, made GSM-7 (static/js/sms-counter.js): the outbox's
    body is exactly that."""
    text_in(client, "Hello")

    reply, _ = conversation_reply(conversation=conversation(), text="Sí, ¿a qué hora? 👍", key=KEY, user=None)

    assert reply.body == reply_prefix(clinic) + "Si, ¿a qué hora? ?"  # GSM-7 has é, not í; no emoji


def test_no_words_of_a_text_or_a_reply_are_logged_or_emailed(
    client, caplog, django_capture_on_commit_callbacks, twilio_recorder, front_desk
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        text_in(client, "My knee swelled up overnight")
        conversation_open(conversation=conversation(), visitor=visitor(front_desk))
        conversation_reply(conversation=conversation(), text="Sorry about the swelling", key=KEY, user=front_desk)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "swell" not in logged.lower()
    emailed = "\n".join(f"{email.subject}\n{email.body}" for email in mail.outbox)
    assert mail.outbox and "swell" not in emailed.lower()
