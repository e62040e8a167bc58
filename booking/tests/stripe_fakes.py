"""Stripe without the network: the real stripe library over an HTTP client that records and answers."""

import copy
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import stripe

RECORDED = Path(__file__).parent / "stripe_json"
WEBHOOK_SECRET = "whsec_test_clinic"
SECRET_KEY = "sk_test_clinic"
WEBHOOK_URL = "/webhooks/stripe/"


def recorded(name: str) -> dict:
    """A Stripe API object as Stripe returns it (recorded JSON)."""
    return json.loads((RECORDED / f"{name}.json").read_text())


@dataclass
class Request:
    method: str
    url: str
    path: str
    params: dict[str, str]  # form parameters, flattened as Stripe encodes them: line_items[0][quantity]
    idempotency_key: str | None


class StripeRecorder(stripe.HTTPClient):
    """Records every request; answers like Stripe, from recorded JSON, or with a queued failure."""

    name = "recorder"

    def __init__(self):
        super().__init__()
        self.requests: list[Request] = []
        self.failures: list[tuple[int, dict]] = []  # (status, error body), answered before any success
        self.sessions: dict[str, dict] = {}
        self._ids = itertools.count(1)

    def fail_next(self, status: int, code: str = "api_error", message: str = "Something went wrong.", times=1):
        for _ in range(times):
            self.failures.append((status, {"error": {"type": code, "message": message}}))

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or parts.query)
        params = dict(parse_qsl(body, keep_blank_values=True))
        self.requests.append(Request(method.upper(), url, parts.path, params, headers.get("Idempotency-Key")))
        if self.failures:
            status, error = self.failures.pop(0)
            return json.dumps(error), status, {"Request-Id": "req_failed"}
        return json.dumps(self._answer(method.upper(), parts.path, params)), 200, {"Request-Id": "req_ok"}

    def _answer(self, method: str, path: str, params: dict) -> dict:
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            session = recorded("checkout_session")
            session_id = f"cs_test_{next(self._ids):04d}"
            session.update(
                id=session_id,
                url=f"https://checkout.stripe.com/c/pay/{session_id}",
                amount_total=int(params["line_items[0][price_data][unit_amount]"]),
                amount_subtotal=int(params["line_items[0][price_data][unit_amount]"]),
                client_reference_id=params["client_reference_id"],
                customer_email=params["customer_email"],
                expires_at=int(params["expires_at"]),
                metadata={"booking_reference": params["metadata[booking_reference]"]},
                success_url=params["success_url"],
                cancel_url=params["cancel_url"],
            )
            self.sessions[session_id] = session
            return session
        if method == "GET" and path.startswith("/v1/checkout/sessions/"):
            return self.sessions.get(path.split("/")[4]) or recorded("checkout_session")
        if method == "POST" and path.startswith("/v1/checkout/sessions/") and path.endswith("/expire"):
            session = copy.deepcopy(self.sessions.get(path.split("/")[4]) or recorded("checkout_session"))
            session.update(status="expired", url=None)
            return session
        if (method, path) == ("POST", "/v1/refunds"):
            refund = recorded("refund")
            refund.update(
                id=f"re_test_{next(self._ids):04d}",
                amount=int(params["amount"]),
                payment_intent=params["payment_intent"],
                metadata={k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
            )
            return refund
        raise AssertionError(f"The clinic made an unexpected Stripe request: {method} {path}")

    def _sleep_time_seconds(self, num_retries, response=None):
        return 0  # retry at once: the tests count requests, not seconds

    def close(self):
        pass

    def calls(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if (r.method, r.path) == (method, path)]


class NoStripeNetwork(StripeRecorder):
    """Fails any test that reaches Stripe without asking for the recorder."""

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        raise AssertionError(f"Unexpected Stripe request in a test: {method} {url}")


def event(event_type: str, obj: dict, *, event_id: str | None = None) -> dict:
    """A webhook event as Stripe sends it."""
    return {
        "id": event_id or f"evt_test_{abs(hash((event_type, json.dumps(obj, sort_keys=True)))):x}",
        "object": "event",
        "api_version": "2025-10-29.clover",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def signature_header(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def checkout_session(payment, **changes) -> dict:
    """The checkout.session object Stripe puts in an event for this payment."""
    session = recorded("checkout_session")
    session.update(
        id=payment.checkout_session_id,
        client_reference_id=payment.booking.reference,
        metadata={"booking_reference": payment.booking.reference},
        amount_total=payment.amount_cents,
    )
    return {**session, **changes}


def paid_checkout_session(payment, **changes) -> dict:
    """The same session, paid by card."""
    paid = {"status": "complete", "payment_status": "paid", "payment_intent": "pi_test_0001", "url": None}
    return checkout_session(payment, **{**paid, **changes})


def post_events(client, *events: dict) -> None:
    """Deliver events to the webhook as Stripe does, signed, one request each; each must be taken."""
    for one in events:
        body = json.dumps(one)
        response = client.post(
            WEBHOOK_URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature_header(body)
        )
        assert response.status_code == 200, response.content
