"""Twilio's webhooks: delivery reports and texts to the clinic's number, signed with Twilio's real scheme.

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego; the patient's
visit is Wednesday 2026-04-08 at 10:00 AM. Twilio signs against the public URL,
https://book.example.com, whatever host the request reached.
"""

from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from twilio.request_validator import RequestValidator

from booking.links import Purpose, private_link
from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_create
from booking.tests.factories import SlotFactory, local
from clinic.client import TrustedProxies
from notifications.gsm import is_gsm7
from notifications.models import Conversation, InboundText, Message, OptOut
from notifications.outbox import booking_context, message_queue, messages_send_due, sms_opt_out
from notifications.tests.texting import BASE, EMPTY_TWIML, INBOUND, PHONE, inbound_params, post
from notifications.tests.twilio_fakes import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, twilio_post

pytestmark = pytest.mark.django_db

STATUS = "/webhooks/twilio/status/"
NOW = local(date(2026, 4, 6), 8)
VISIT = local(date(2026, 4, 8), 10)
STRANGER = "+17605550142"
SMS = Message.Channel.SMS
ALERT_SUBJECT = "New text to the clinic's number"


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def slot(service):
    return SlotFactory(service=service, starts_at=VISIT)


@pytest.fixture
def booking(django_capture_on_commit_callbacks, twilio_recorder, slot, patient) -> Booking:
    """Michael's confirmed visit; its confirmation text went out through Twilio."""
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    assert len(twilio_recorder.texts) == 1
    mail.outbox.clear()
    return booking


@pytest.fixture
def text(booking) -> Message:
    """The confirmation text Twilio accepted: status "sent", with its SM sid."""
    message = Message.objects.get(booking=booking, channel=SMS)
    assert message.status == Message.Status.SENT
    return message


def status_params(sid: str, status: str, error_code: str | None = None) -> dict:
    """A status callback for one of our texts, as Twilio posts it."""
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": FROM_NUMBER,
        "To": PHONE,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
    }
    if error_code:
        params["ErrorCode"] = error_code
    return params


def auto_replies() -> list[Message]:
    return list(Message.objects.filter(kind=Message.Kind.AUTO_REPLY).order_by("pk"))


def snapshot() -> list:
    return [
        list(Message.objects.order_by("pk").values_list("pk", "status", "last_error", "provider_id")),
        list(OptOut.objects.values_list("phone", flat=True)),
        list(InboundText.objects.values_list("provider_id", flat=True)),
    ]


def text_for(booking: Booking, key: str, *, send_after=None) -> Message:
    """Put a text for the patient's number in the outbox, as any notice does."""
    return message_queue(
        kind=Message.Kind.RESCHEDULE,
        channel=SMS,
        recipient=booking.phone,
        dedupe_key=key,
        context=booking_context(booking),
        booking=booking,
        send_after=send_after,
    )


def queued_text(booking: Booking) -> Message:
    """A text waiting in the outbox for the patient's number (held past quiet hours, say)."""
    message = text_for(booking, "test:queued", send_after=timezone.now() + timedelta(hours=3))
    assert message.status == Message.Status.QUEUED
    return message


def clinic_alerts() -> list:
    return [email for email in mail.outbox if email.subject == ALERT_SUBJECT]


# Delivery reports --------------------------------------------------------------------------------


def test_delivered_report_marks_the_text_delivered(client, text):
    assert post(client, STATUS, status_params(text.provider_id, "sent")).status_code == 200
    text.refresh_from_db()
    assert text.status == Message.Status.SENT

    assert post(client, STATUS, status_params(text.provider_id, "delivered")).status_code == 200

    text.refresh_from_db()
    assert (text.status, text.last_error) == (Message.Status.DELIVERED, "")


@pytest.mark.parametrize("status, code", [("undelivered", "30003"), ("failed", "30006"), ("undelivered", "30007")])
def test_undelivered_or_failed_report_marks_the_text_failed_with_the_error_code(client, text, status, code):
    response = post(client, STATUS, status_params(text.provider_id, status, code))

    assert response.status_code == 200
    text.refresh_from_db()
    assert (text.status, text.last_error) == (Message.Status.FAILED, f"Twilio error {code}")
    assert not OptOut.objects.exists()


def test_late_sent_report_does_not_move_a_delivered_text_back(client, text):
    post(client, STATUS, status_params(text.provider_id, "delivered"))

    response = post(client, STATUS, status_params(text.provider_id, "sent"))

    assert response.status_code == 200
    text.refresh_from_db()
    assert text.status == Message.Status.DELIVERED


def test_report_for_an_unknown_sid_is_acknowledged_and_changes_nothing(client, text):
    before = snapshot()

    response = post(client, STATUS, status_params("SM" + "f" * 32, "failed", "30003"))

    assert response.status_code == 200
    assert snapshot() == before


def test_opted_out_error_code_records_an_opt_out_and_suppresses_queued_texts(client, booking, text):
    waiting = queued_text(booking)

    response = post(client, STATUS, status_params(text.provider_id, "undelivered", "21610"))

    assert response.status_code == 200
    text.refresh_from_db()
    assert (text.status, text.last_error) == (Message.Status.FAILED, "Twilio error 21610")
    assert OptOut.objects.filter(phone=PHONE).exists()
    waiting.refresh_from_db()
    assert waiting.status == Message.Status.SUPPRESSED


def sign_for(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


FORGERIES = {
    "made-up-signature": lambda client, path, params: post(client, path, params, signature="bm90LWEtc2lnbmF0dXJl"),
    "empty-signature": lambda client, path, params: post(client, path, params, signature=""),
    "no-signature-header": lambda client, path, params: client.post(
        path, urlencode(params), content_type="application/x-www-form-urlencoded"
    ),
    "another-token": lambda client, path, params: post(client, path, params, token="someone-elses-auth-token"),
    "another-host": lambda client, path, params: twilio_post(client, path, params, base_url="https://evil.example"),
    "http-not-https": lambda client, path, params: twilio_post(
        client, path, params, base_url="http://book.example.com"
    ),
    "another-path": lambda client, path, params: post(
        client, path, params, signature=sign_for(f"{BASE}/webhooks/twilio/other/", params)
    ),
    "params-changed-after-signing": lambda client, path, params: post(
        client, path, params, signature=sign_for(BASE + path, {**params, "To": "+15005550006"})
    ),
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_status_report_without_a_valid_signature_is_refused_and_changes_nothing(client, text, forge):
    before = snapshot()

    response = forge(client, STATUS, status_params(text.provider_id, "undelivered", "21610"))

    assert response.status_code == 403
    assert snapshot() == before


def test_status_report_is_refused_when_no_auth_token_is_configured(client, text, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    before = snapshot()

    response = post(client, STATUS, status_params(text.provider_id, "delivered"))

    assert response.status_code == 403
    assert snapshot() == before


def test_the_signature_counts_only_over_the_public_address_whatever_the_request_says_its_address_was(
    client, text, settings
):
    """Behind the clinic's proxy the request reaches the app over plain HTTP under another name, and its Host and
    X-Forwarded-* headers (the proxy's, or anyone's) may say anything: Twilio signed the public address."""
    settings.TRUSTED_PROXIES = TrustedProxies.parse("1")
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    params = status_params(text.provider_id, "delivered")
    claims = {"HTTP_HOST": "localhost", "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "evil.example"}

    def signed_over(url):
        signature = sign_for(url, params)
        body = urlencode(params)
        return client.post(
            STATUS, body, "application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE=signature, **claims
        )

    before = snapshot()
    # The address as the request describes itself (request.build_absolute_uri()), and as the headers claim it.
    for claimed in ("https://localhost", "http://localhost", "https://evil.example"):
        assert signed_over(claimed + STATUS).status_code == 403
    assert snapshot() == before

    assert signed_over(BASE + STATUS).status_code == 200
    text.refresh_from_db()
    assert text.status == Message.Status.DELIVERED


@pytest.mark.parametrize("path", [STATUS, INBOUND])
def test_get_is_not_allowed(client, path):
    assert client.get(path).status_code == 405


# Texts in: opting out and back in ----------------------------------------------------------------

STOP_TEXTS = [
    pytest.param("STOP", {}, id="STOP"),
    pytest.param("stop", {}, id="stop"),
    pytest.param(" Stop. ", {}, id="Stop."),
    pytest.param("STOPALL", {}, id="STOPALL"),
    pytest.param("UNSUBSCRIBE", {}, id="UNSUBSCRIBE"),
    pytest.param("CANCEL", {}, id="CANCEL"),
    pytest.param("END", {}, id="END"),
    pytest.param("QUIT", {}, id="QUIT"),
    pytest.param("REVOKE", {}, id="REVOKE"),
    pytest.param("OPTOUT", {}, id="OPTOUT"),
    pytest.param("Arret", {"OptOutType": "STOP"}, id="OptOutType=STOP"),
]


@pytest.mark.parametrize("body, extra", STOP_TEXTS)
def test_stop_keyword_opts_out_suppresses_queued_texts_and_answers_nothing(
    texting, twilio_recorder, booking, body, extra
):
    waiting = queued_text(booking)

    answer = texting(body, **extra)

    assert answer.text is None
    assert OptOut.objects.filter(phone=PHONE).exists()
    waiting.refresh_from_db()
    assert waiting.status == Message.Status.SUPPRESSED
    assert clinic_alerts() == []
    assert auto_replies() == []
    assert len(twilio_recorder.texts) == 1  # only the confirmation, before STOP


def test_text_queued_after_stop_is_suppressed(client, django_capture_on_commit_callbacks, twilio_recorder, booking):
    post(client, INBOUND, inbound_params("STOP"))

    with django_capture_on_commit_callbacks(execute=True):
        later = text_for(booking, "test:after-stop")

    assert later.status == Message.Status.SUPPRESSED
    assert len(twilio_recorder.texts) == 1


@pytest.mark.parametrize("keyword", ["START", "unstop", "Start"])
def test_start_opts_back_in_and_answers(texting, clinic, keyword):
    sms_opt_out(phone=PHONE, keyword="STOP")

    reply = texting(keyword).text

    assert not OptOut.objects.filter(phone=PHONE).exists()
    assert reply is not None
    assert clinic.name in reply
    assert "texts about your bookings again" in reply
    assert "Reply STOP to opt out" in reply


def test_start_that_twilio_already_answered_opts_in_and_answers_nothing(texting):
    sms_opt_out(phone=PHONE, keyword="STOP")

    answer = texting("START", OptOutType="START")

    assert answer.text is None
    assert not OptOut.objects.filter(phone=PHONE).exists()


def test_opted_back_in_number_gets_texts_again(client, django_capture_on_commit_callbacks, twilio_recorder, booking):
    post(client, INBOUND, inbound_params("STOP"))
    post(client, INBOUND, inbound_params("START"))

    with django_capture_on_commit_callbacks(execute=True):
        message = text_for(booking, "test:after-start")

    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_a_number_that_opted_out_gets_no_answer_and_its_text_still_reaches_the_front_desk(texting, promotion):
    sms_opt_out(phone=STRANGER, keyword="STOP")

    answer = texting(WORDS, sender=STRANGER)

    assert answer.text is None
    assert auto_replies() == []
    assert InboundText.objects.get().body == WORDS
    assert len(clinic_alerts()) == 1


def test_a_number_that_opted_out_gets_no_help_text(texting, clinic):
    sms_opt_out(phone=STRANGER, keyword="STOP")

    answer = texting("HELP", sender=STRANGER)

    assert answer.text is None
    [kept] = auto_replies()
    assert kept.status == Message.Status.SUPPRESSED  # kept in its conversation, never sent


# Texts in: help and YES --------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["HELP", "help", "INFO"])
def test_help_answers_with_the_clinics_name_phone_and_hours(texting, clinic, keyword):
    reply = texting(keyword, sender=STRANGER).text

    assert reply is not None
    assert clinic.name in reply
    assert "(619) 268-1397" in reply
    assert "Mon 7 AM-7 PM" in reply
    assert "Sat 7 AM-3 PM" in reply
    assert "Sun" not in reply  # closed on Sundays
    assert not OptOut.objects.exists()


def test_help_that_twilio_already_answered_gets_no_second_answer(texting, clinic):
    assert texting("HELP", sender=STRANGER, OptOutType="HELP").text is None
    assert auto_replies() == []


@pytest.mark.parametrize("word", ["Y", "yes", "Yes!"])
def test_yes_from_a_patient_with_an_upcoming_visit_confirms_it(texting, booking, clinic, word):
    reply = texting(word).text

    booking.refresh_from_db()
    assert booking.patient_confirmed_at == NOW
    assert reply == f"Thanks Michael, see you Wed Apr 8 at 10:00 AM. {clinic.name}"


def test_yes_twice_keeps_the_first_confirmation_time(texting, booking, clock):
    texting("YES")
    clock.shift(timedelta(hours=1))

    reply = texting("YES").text

    booking.refresh_from_db()
    assert booking.patient_confirmed_at == NOW
    assert reply.startswith("Thanks Michael, see you Wed Apr 8 at 10:00 AM.")


# Every automatic answer is a text in the outbox ---------------------------------------------------------------


@pytest.mark.parametrize("body", ["HELP", "START", "YES", "Can I park on the street?"])
def test_each_automatic_answer_goes_through_the_outbox_to_twilio_once_and_is_kept_as_an_auto_reply(
    client, texting, twilio_recorder, booking, clinic, body
):
    answer = texting(body)

    assert answer.twiml is None  # the webhook's own response is empty
    [sent] = answer.sent
    [reply] = auto_replies()
    assert (reply.channel, reply.recipient, reply.booking) == (Message.Channel.SMS, PHONE, booking)
    assert reply.status == Message.Status.SENT
    assert reply.provider_id.startswith("SM")
    [request] = [r for r in twilio_recorder.texts if r.data["Body"] == sent]
    assert request.data["StatusCallback"] == f"{BASE}{STATUS}"
    assert reply.send_after <= timezone.now()

    # Twilio's status callback reaches it like any other text.
    assert post(client, STATUS, status_params(reply.provider_id, "delivered")).status_code == 200
    reply.refresh_from_db()
    assert reply.status == Message.Status.DELIVERED


def test_an_answer_goes_at_once_in_the_quiet_hours_too(texting, clock, booking, clinic):
    clock.move_to(local(date(2026, 4, 6), 23, 30))

    assert texting("HELP").text is not None

    [reply] = auto_replies()
    assert reply.sent_at == local(date(2026, 4, 6), 23, 30)


def test_an_answer_twilio_cannot_take_now_is_sent_again_later(
    texting, twilio_recorder, django_capture_on_commit_callbacks, clock, clinic
):
    twilio_recorder.fail_next(503, 20500, "Service unavailable")

    texting("HELP", sender=STRANGER)

    [reply] = auto_replies()
    assert (reply.status, reply.attempts) == (Message.Status.QUEUED, 1)
    clock.shift(timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        messages_send_due()
    reply.refresh_from_db()
    assert (reply.status, reply.attempts) == (Message.Status.SENT, 2)
    assert [r.data["To"] for r in twilio_recorder.texts] == [STRANGER, STRANGER]  # refused once, then taken


# Texts in: anything else -------------------------------------------------------------------------

WORDS = "Hi, my knee pain got worse since Friday, should I still come in?"


def test_other_text_from_a_patient_is_stored_answered_with_the_booking_link_and_alerts_the_clinic(
    texting, booking, clinic
):
    params = inbound_params(WORDS)

    reply = texting(params=params).text

    assert private_link(booking, Purpose.MANAGE) in reply
    assert clinic.name in reply
    inbound = InboundText.objects.get()
    assert (inbound.sender, inbound.body, inbound.provider_id) == (PHONE, WORDS, params["MessageSid"])
    assert inbound.booking == booking
    [kept] = auto_replies()
    assert "[[link:manage]]" in kept.body  # the outbox keeps where the link goes, never the link

    [alert] = clinic_alerts()
    assert alert.to == [clinic.email]
    admin_link = f"{BASE}/admin/texts/{Conversation.objects.get(phone=inbound.sender).pk}/"
    assert admin_link in alert.body
    [(html, _)] = alert.alternatives
    for part in (alert.subject, alert.body, html):
        assert "knee" not in part
        assert "pain" not in part
        assert "Friday" not in part
    assert Message.objects.get(kind=Message.Kind.CLINIC_INBOUND_TEXT).body == alert.body


def test_other_text_when_no_discount_is_open_points_to_the_booking_page_without_spots(texting, clinic):
    reply = texting("Do you take insurance?", sender=STRANGER).text

    assert "spots left" not in reply
    assert "WAIT" not in reply
    assert f"{BASE}/book/texted/" in reply


def test_twilio_retry_of_the_same_text_is_handled_once(texting, twilio_recorder, booking, clinic):
    params = inbound_params(WORDS)

    first = texting(params=params)
    second = texting(params=params)

    assert first.text is not None
    assert second.text is None
    assert second.response.content.decode() == EMPTY_TWIML
    assert InboundText.objects.count() == 1
    assert len(auto_replies()) == 1
    assert len(clinic_alerts()) == 1
    assert Message.objects.filter(kind=Message.Kind.CLINIC_INBOUND_TEXT).count() == 1


def test_retried_stop_is_harmless(texting):
    params = inbound_params("STOP")

    assert texting(params=params).text is None
    assert texting(params=params).text is None

    assert OptOut.objects.filter(phone=PHONE).count() == 1
    assert InboundText.objects.count() == 1


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
@pytest.mark.parametrize("body", ["STOP", WORDS])
def test_inbound_text_without_a_valid_signature_is_refused_and_nothing_is_stored(
    client, django_capture_on_commit_callbacks, twilio_recorder, clinic, forge, body
):
    with django_capture_on_commit_callbacks(execute=True):
        response = forge(client, INBOUND, inbound_params(body))

    assert response.status_code == 403
    assert b"<Response" not in response.content
    assert not InboundText.objects.exists()
    assert not OptOut.objects.exists()
    assert not Message.objects.exists()
    assert twilio_recorder.texts == []
    assert mail.outbox == []


@pytest.mark.parametrize("body", ["HELP", "START", "YES", WORDS])
def test_replies_are_gsm7_even_when_the_clinics_details_are_not(texting, booking, clinic, body):
    clinic.name = "O’Brien – Performance Physio"
    clinic.save()

    reply = texting(body).text

    assert reply is not None
    assert is_gsm7(reply), reply
    assert "O'Brien - Performance Physio" in reply


def test_reply_is_gsm7_when_the_patients_name_is_not(django_capture_on_commit_callbacks, texting, slot):
    zoe = Patient(name="Zoë Łukasz", email="zoe@example.com", phone=PHONE, sms_consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        booking_create(slot_id=slot.pk, patient=zoe, quoted_price_cents=175_00)

    reply = texting("yes").text

    assert is_gsm7(reply), reply
    assert reply.startswith("Thanks Zoe, see you Wed Apr 8 at 10:00 AM.")
