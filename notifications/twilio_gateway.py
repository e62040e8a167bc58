"""The one place the Twilio client is built, and the calls the clinic makes."""

from django.conf import settings
from django.urls import reverse
from twilio.http import HttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

# The HTTP layer the client uses. None means twilio's default;
# tests put a recorder here that answers with recorded Twilio JSON.
HTTP_CLIENT: HttpClient | None = None


def sms_enabled() -> bool:
    """With an account, a token and a sender, texts go through Twilio; otherwise to the console."""
    return bool(
        settings.TWILIO_ACCOUNT_SID
        and settings.TWILIO_AUTH_TOKEN
        and (settings.TWILIO_FROM_NUMBER or settings.TWILIO_MESSAGING_SERVICE_SID)
    )


def client() -> Client:
    return Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=HTTP_CLIENT)


def send_sms(*, to: str, body: str) -> str:
    """Hand a text to Twilio; returns its message SID."""
    sender = (
        {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
        if settings.TWILIO_MESSAGING_SERVICE_SID
        else {"from_": settings.TWILIO_FROM_NUMBER}
    )
    status_callback = settings.PUBLIC_BASE_URL + reverse("notifications:twilio_status")
    message = client().messages.create(to=to, body=body, status_callback=status_callback, **sender)
    return message.sid


def request_is_from_twilio(request) -> bool:
    """Check X-Twilio-Signature against the public URL Twilio posted to (we may sit behind a proxy)."""
    if not settings.TWILIO_AUTH_TOKEN:
        return False
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST, signature)
