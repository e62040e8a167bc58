"""Twilio without the network: the real twilio Client over an HTTP client that records and answers."""

import itertools
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
AUTH_TOKEN = "twilio-test-auth-token"
FROM_NUMBER = "+16192681397"


def recorded(name: str) -> dict:
    return json.loads((Path(__file__).parent / "twilio_json" / f"{name}.json").read_text())


@dataclass
class Request:
    method: str
    url: str
    data: dict


class TwilioRecorder(HttpClient):
    """Records every request; answers like Twilio, or with a queued failure (a status and error, or an exception)."""

    def __init__(self):
        super().__init__(logger=logging.getLogger("tests.twilio"), is_async=False)
        self.requests: list[Request] = []
        self.failures: list = []
        self._ids = itertools.count(1)

    def fail_next(self, status: int, code: int, message: str = "Twilio could not do that.", times: int = 1):
        error = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}"}
        self.failures.extend([(status, {**error, "status": status})] * times)

    def raise_next(self, exc: Exception):
        self.failures.append(exc)

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, **kwargs):
        self.requests.append(Request(method.upper(), uri, dict(data or {})))
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            status, body = failure
            return Response(status, json.dumps(body))
        message = recorded("message")
        sid = f"SM{next(self._ids):032x}"
        message.update(sid=sid, to=data["To"], body=data["Body"], status="queued")
        message["from"] = data.get("From")
        message["messaging_service_sid"] = data.get("MessagingServiceSid")
        return Response(201, json.dumps(message))

    @property
    def texts(self) -> list[Request]:
        return [r for r in self.requests if r.method == "POST" and r.url.endswith("/Messages.json")]

    def code_texted_to(self, phone: str) -> str:
        """The 6-digit code in the latest text to `phone`, as its owner reads it (in English or Spanish)."""
        body = next(
            r.data["Body"]
            for r in reversed(self.texts)
            if r.data["To"] == phone and re.search(r"\bc(ode|[oó]digo)\b", r.data["Body"])
        )
        return re.search(r"\b(\d{6})\b", body)[1]


class NoTwilioNetwork(TwilioRecorder):
    def request(self, method, uri, *args, **kwargs):
        raise AssertionError(f"Unexpected Twilio request in a test: {method} {uri}")


def twilio_post(
    client, path: str, params: dict, *, base_url: str, token: str = AUTH_TOKEN, signature: str | None = None
):
    """POST form params as Twilio does, signed with Twilio's algorithm (HMAC-SHA1 of URL + sorted params)."""
    if signature is None:
        signature = RequestValidator(token).compute_signature(base_url + path, params)
    return client.post(
        path, urlencode(params), content_type="application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE=signature
    )
