"""Saved answers behind a second step: the browser that gave them keeps them while it is in use; anyone else
with the link sees how far the questionnaire is, and opens the answers only with a code sent to the booking.

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego; the visit is Thursday 10:00 AM.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from assessments.access import ACCESS_COOKIE
from assessments.models import IntakeAccess
from booking.links import manage_path
from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_change_contact, booking_create
from booking.tests.factories import SlotFactory, local
from clinic.client import TrustedProxies
from notifications.models import Message, OptOut
from notifications.outbox import message_send

from .helpers import (
    ABOUT,
    SECRETS,
    STEP_NAMES,
    TODAY,
    answer_steps,
    done_url,
    intake_row,
    make_booking,
    start_url,
    step_url,
    text,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

WRONG = "That code is not right, or it has expired."
LOCKED = "Too many wrong codes."
PHONE = "(619) 268-1397"
Action = IntakeAccess.Action


def code_url(booking) -> str:
    return done_url(booking).replace("/done/", "/code/")


def send_url(booking) -> str:
    return done_url(booking).replace("/done/", "/code/send/")


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """Ask for a code from `browser`: the message leaves as the request's transaction commits."""

    def ask_for_code(browser, booking, channel="email", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return browser.post(send_url(booking), {"channel": channel}, **extra)

    return ask_for_code


@pytest.fixture
def booking(service):
    """Dana's visit on Thursday at 10:00 AM, booked online: she typed her email and mobile, and agreed to texts."""
    return make_booking(service, sms_consent=True)


@pytest.fixture
def answered(client, booking):
    """Dana answered three steps on her phone (`client`)."""
    answer_steps(client, booking, STEP_NAMES[:3])
    return booking


def assert_no_answers(response) -> None:
    page = response.content.decode()
    for secret in SECRETS:
        assert secret not in page, f"{secret!r} is shown"


def latest_code() -> str:
    """The code in the latest email, as the patient reads it."""
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body)[1]


def assert_no_code_kept() -> None:
    """The outbox holds where a code went, never the code."""
    for message in Message.objects.filter(kind=Message.Kind.ACCESS_CODE):
        assert not re.search(r"\d{6}", message.body), message.body


# Anyone else with the link ---------------------------------------------------------------------------


def test_another_browser_sees_how_far_the_questionnaire_is_and_no_answer(answered):
    laptop = Client()

    start = laptop.get(start_url(answered))
    step = laptop.get(step_url(answered, "about"))
    done = laptop.get(done_url(answered))

    assert start["Location"] == step["Location"] == done_url(answered)
    assert done.status_code == 200
    page = text(done)
    assert "3 of 6 steps saved, the latest on Monday, April 6." in page
    assert "we will send you a 6-digit code" in page
    assert "Email to d•••@example.com" in page and "Text to my mobile, •••-" in page
    assert "Step 1" not in page
    assert_no_answers(done)
    assert not IntakeAccess.objects.filter(action=Action.PATIENT_VIEW).exists()


def test_another_browser_cannot_change_saved_answers(answered):
    before = intake_row(answered)

    response = Client().post(step_url(answered, "about"), {**ABOUT, "emergency_contact_name": "Someone Else"})

    assert response.status_code == 403
    assert intake_row(answered) == before
    assert_no_answers(response)


def test_the_booking_page_in_another_browser_says_when_the_questionnaire_came_in(client, booking):
    answer_steps(client, booking, STEP_NAMES)

    page = Client().get(manage_path(booking))

    assert "Your questionnaire was received on Monday, April 6, thank you." in text(page)
    assert_no_answers(page)


def test_a_forged_access_cookie_lets_no_one_in(answered):
    forger = Client()
    forger.cookies[ACCESS_COOKIE] = f"{answered.reference}-1~browser@9999999999"  # not signed by us

    assert forger.get(step_url(answered, "about"))["Location"] == done_url(answered)


def test_the_browser_that_answered_keeps_them_while_in_use_and_not_after_fifteen_idle_minutes(client, answered, clock):
    for _ in range(3):  # 42 minutes, never 15 idle
        clock.shift(timedelta(minutes=14))
        assert client.get(step_url(answered, "about")).status_code == 200

    clock.shift(timedelta(minutes=15, seconds=1))
    assert client.get(step_url(answered, "about"))["Location"] == done_url(answered)


# A code to the email or mobile on the booking ---------------------------------------------------------


def test_a_code_by_email_lets_this_browser_open_and_change_the_answers(ask, answered, settings):
    settings.TRUSTED_PROXIES = TrustedProxies(count=1)
    laptop = Client(HTTP_USER_AGENT="Laptop browser", REMOTE_ADDR="10.0.0.2")
    proxied = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.7"}  # the proxy appended the real address
    mail.outbox.clear()

    sent = ask(laptop, answered, **proxied)

    assert (sent.status_code, sent["Location"]) == (302, code_url(answered))
    [email] = mail.outbox
    assert email.to == ["dana@example.com"]
    assert email.subject == "Your code from Project Performance Physical Therapy"
    [message] = Message.objects.filter(kind=Message.Kind.ACCESS_CODE)
    assert message.status == Message.Status.SENT  # through the outbox, at once
    assert "/intake/" not in email.body
    assert_no_code_kept()

    opened = laptop.post(code_url(answered), {"code": latest_code()}, **proxied)

    assert (opened.status_code, opened["Location"]) == (302, start_url(answered))
    about = laptop.get(step_url(answered, "about"), **proxied)
    assert about.status_code == 200
    assert "Ottoline Brackwater" in about.content.decode()
    changed = laptop.post(step_url(answered, "about"), {**ABOUT, "emergency_contact_name": "Rafe Brackwater"})
    assert changed.status_code == 302
    assert intake_row(answered)["emergency_contact_name"] == "Rafe Brackwater"

    log = list(
        IntakeAccess.objects.filter(booking=answered)
        .exclude(action=Action.PATIENT_SAVE)
        .order_by("pk")
        .values_list("action", "granted_by", "ip_address", "user_agent", "detail")
    )
    assert log == [
        (Action.CODE_SENT, "", "198.51.100.7", "Laptop browser", "email"),
        (Action.CODE_ACCEPTED, "code", "198.51.100.7", "Laptop browser", ""),
        (Action.PATIENT_VIEW, "code", "198.51.100.7", "Laptop browser", "about"),
    ]


def test_a_code_by_text_goes_at_once_even_in_quiet_hours(ask, answered, clock, twilio_recorder):
    clock.move_to(local(TODAY, 23, 30))  # the clinic's quiet hours: other texts wait until 8:00
    laptop = Client()

    assert ask(laptop, answered, channel="sms").status_code == 302

    [text_message] = Message.objects.filter(kind=Message.Kind.ACCESS_CODE)
    assert (text_message.channel, text_message.recipient) == (Message.Channel.SMS, answered.phone)
    assert text_message.status == Message.Status.SENT
    assert text_message.send_after <= local(TODAY, 23, 30)
    assert_no_code_kept()
    [sent] = twilio_recorder.texts
    assert sent.data["To"] == answered.phone
    code = re.search(r"\b(\d{6})\b", sent.data["Body"])[1]
    assert laptop.post(code_url(answered), {"code": code})["Location"] == start_url(answered)


def test_a_code_that_could_not_go_within_its_ten_minutes_is_not_sent_late(ask, answered, clock, twilio_recorder):
    twilio_recorder.fail_next(503, 20500)  # Twilio is down: the text waits for the sweep's retry
    ask(Client(), answered, channel="sms")
    [text_message] = Message.objects.filter(kind=Message.Kind.ACCESS_CODE)
    assert text_message.status == Message.Status.QUEUED

    clock.shift(timedelta(minutes=11))
    message_send(message_id=text_message.pk)

    text_message.refresh_from_db()
    assert text_message.status == Message.Status.FAILED
    assert "expired before it could be sent" in text_message.last_error
    assert len(twilio_recorder.texts) == 1  # only the first try reached Twilio


def test_a_mobile_that_texted_stop_is_not_texted_a_code(ask, answered):
    OptOut.objects.create(phone=answered.phone, keyword="STOP")

    response = ask(Client(), answered, channel="sms")

    assert response.status_code == 409
    assert "asked us to stop texting it" in text(response)
    assert Message.objects.get(kind=Message.Kind.ACCESS_CODE).status == Message.Status.SUPPRESSED


def test_wrong_codes_get_the_same_message_and_five_lock_the_booking_with_the_phone_shown(ask, answered):
    laptop = Client()
    ask(laptop, answered)
    right = latest_code()
    wrong = "000000" if right != "000000" else "111111"

    answers = [laptop.post(code_url(answered), {"code": wrong}) for _ in range(4)]
    assert [response.status_code for response in answers] == [400] * 4
    assert len({text(response) for response in answers}) == 1  # the same each time
    assert WRONG in text(answers[0])

    fifth = laptop.post(code_url(answered), {"code": wrong})
    assert fifth.status_code == 429
    assert LOCKED in text(fifth) and PHONE in text(fifth)
    assert laptop.post(code_url(answered), {"code": right}).status_code == 429  # locked, even the right one
    again = ask(laptop, answered)
    assert again.status_code == 429 and PHONE in text(again)
    assert laptop.get(step_url(answered, "about"))["Location"] == done_url(answered)
    assert IntakeAccess.objects.filter(action=Action.CODE_REFUSED).count() == 6


def test_a_code_works_for_ten_minutes(ask, answered, clock):
    laptop = Client()
    ask(laptop, answered)
    code = latest_code()

    clock.shift(timedelta(minutes=10))
    late = laptop.post(code_url(answered), {"code": code})

    assert late.status_code == 400
    assert WRONG in text(late)


@pytest.mark.parametrize(
    "data, phrase",
    [({}, "Choose where we send the code."), ({"channel": "fax"}, "Choose email or text.")],
)
def test_a_code_request_without_a_place_to_send_it_says_so(answered, data, phrase):
    response = Client().post(send_url(answered), data)

    assert response.status_code == 400
    assert phrase in text(response)
    assert not Message.objects.filter(kind=Message.Kind.ACCESS_CODE).exists()


@pytest.mark.parametrize("code", ["", "x" * 5000, "12 34 56", "<script>", "١٢٣٤٥٦"])
def test_a_garbled_code_is_refused_with_a_message(ask, answered, code):
    laptop = Client()
    ask(laptop, answered)

    response = laptop.post(code_url(answered), {"code": code})

    assert response.status_code == 400
    assert laptop.get(step_url(answered, "about"))["Location"] == done_url(answered)


def test_codes_are_rate_limited_per_link_with_a_friendly_page(ask, answered):
    for _ in range(5):
        assert ask(Client(), answered).status_code == 302

    sixth = ask(Client(), answered)

    assert sixth.status_code == 429
    assert "Please wait a moment" in text(sixth) and PHONE in text(sixth)
    assert Message.objects.filter(kind=Message.Kind.ACCESS_CODE).count() == 5


def test_no_code_goes_to_a_mobile_staff_typed_even_for_answers_given_afterwards(ask, client, booking, clock):
    # A desk user puts their own mobile on the booking; the patient answers later; the desk asks for a code.
    booking_change_contact(booking=booking, name="Dana Cruz", email=booking.email, phone="+16195550999")
    changed = Booking.objects.get(pk=booking.pk)  # and so its links
    clock.shift(timedelta(hours=2))
    answer_steps(client, changed, STEP_NAMES[:2])

    status = Client().get(done_url(changed))
    assert "Email to d•••@example.com" in text(status)
    assert "Text to my mobile" not in text(status)
    refused = ask(Client(), changed, channel="sms")
    assert refused.status_code == 400
    assert "Choose email or text." in text(refused)
    assert not Message.objects.filter(kind=Message.Kind.ACCESS_CODE).exists()


def test_no_code_at_all_for_a_caller_booked_at_the_desk(ask, client, service, front_desk):
    slot = SlotFactory(service=service, starts_at=local(TODAY, 15) + timedelta(days=3))
    caller = Patient(name="Pat Caller", email="pat@example.com", phone="+16195550188", sms_consent=True)
    booked = booking_create(
        slot_id=slot.pk, patient=caller, quoted_price_cents=service.regular_price_cents, user=front_desk, online=False
    )
    assert (booked.email_by_staff, booked.phone_by_staff) == (True, True)  # typed at the desk
    answer_steps(client, booked, STEP_NAMES[:1])

    status = Client().get(done_url(booked))

    assert "this booking has none we can use" in text(status) and PHONE in text(status)
    assert ask(Client(), booked).status_code == 400
    assert not Message.objects.filter(kind=Message.Kind.ACCESS_CODE).exists()


def test_no_text_goes_to_a_patient_who_did_not_agree_to_texts(ask, client, service):
    quiet = make_booking(service, sms_consent=False)
    answer_steps(client, quiet, STEP_NAMES[:1])

    assert "Text to my mobile" not in text(Client().get(done_url(quiet)))
    assert ask(Client(), quiet, channel="sms").status_code == 400


def test_each_questionnaire_a_browser_opened_lapses_on_its_own(client, answered, service, clock):
    other = make_booking(service, starts_at=local(TODAY, 15) + timedelta(days=4), email="dana.two@example.com")
    answer_steps(client, other, STEP_NAMES[:1])
    clock.shift(timedelta(minutes=10))
    assert client.get(step_url(other, "about")).status_code == 200  # keeps the second one in use

    clock.shift(timedelta(minutes=6))  # the first: 16 minutes without a page of it

    assert client.get(step_url(answered, "about"))["Location"] == done_url(answered)
    assert client.get(step_url(other, "about")).status_code == 200


def test_a_browser_with_nothing_to_open_is_sent_on_to_the_questionnaire(ask, client, booking):
    assert ask(Client(), booking)["Location"] == start_url(booking)
    assert Client().get(code_url(booking))["Location"] == start_url(booking)
    assert not Message.objects.filter(kind=Message.Kind.ACCESS_CODE).exists()
