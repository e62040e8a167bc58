"""Texts to the clinic's number as Twilio posts them, signed with Twilio's real scheme for the public address
https://book.example.com, and the answer each gets (the `texting` fixture, in conftest.py)."""

import uuid
from dataclasses import dataclass
from xml.etree import ElementTree

from django.http import HttpResponse

from notifications.tests.twilio_fakes import ACCOUNT_SID, FROM_NUMBER, twilio_post

BASE = "https://book.example.com"
INBOUND = "/webhooks/twilio/sms/"
PHONE = "+16195550123"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def inbound_params(body: str, *, sender: str = PHONE, sid: str | None = None, **extra) -> dict:
    """A text to the clinic's number as Twilio posts it."""
    sid = sid or f"SM{uuid.uuid4().hex}"
    return {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": FROM_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "FromCountry": "US",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def post(client, path: str, params: dict, **signing):
    return twilio_post(client, path, params, base_url=BASE, **signing)


def twiml_of(response) -> str | None:
    """The one text a TwiML answer sends back, or None for an empty <Response />."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Response"
    messages = list(root)
    assert len(messages) <= 1
    if not messages:
        assert response.content.decode() == EMPTY_TWIML
        return None
    assert messages[0].tag == "Message"
    return messages[0].text


@dataclass
class Answer:
    """What a text to the clinic's number got back: the webhook's response, the text in its TwiML (if any), and the
    texts handed to Twilio's API for the sender while it was handled (the outbox sends on commit)."""

    response: HttpResponse
    twiml: str | None
    sent: list[str]

    @property
    def text(self) -> str | None:
        """The one answer the sender gets, however it went; None for none."""
        texts = [self.twiml] if self.twiml else []
        texts += self.sent
        assert len(texts) <= 1, texts
        return texts[0] if texts else None


def text_in(client, capture_on_commit, twilio_recorder, body: str = "", *, params=None, **options) -> Answer:
    """Text the clinic's number (`params`, or a body and inbound_params' options) and see the answer as the sender
    gets it: the outbox sends on commit, which `capture_on_commit` runs."""
    params = params or inbound_params(body, **options)
    before = len(twilio_recorder.texts)
    with capture_on_commit(execute=True):
        response = post(client, INBOUND, params)
    sent = [r.data["Body"] for r in twilio_recorder.texts[before:] if r.data["To"] == params["From"]]
    return Answer(response, twiml_of(response), sent)
