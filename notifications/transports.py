"""How a message leaves: Twilio (or the console) for texts, Django's email backend for email."""

import logging
import smtplib
import sys
from email.utils import formataddr, make_msgid

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone, translation
from twilio.base.exceptions import TwilioRestException

from booking.links import links_expand, links_withheld, texted_links_expand, texted_links_withheld
from clinic import codes
from clinic.cache import CACHE_DOWN
from clinic.models import Clinic
from waitlist.links import entry_links_expand, entry_links_withheld

from . import twilio_gateway
from .emails import calendar_filename, html_from_text
from .models import Message

logger = logging.getLogger(__name__)

TWILIO_OPTED_OUT = 21610  # the number texted STOP: Twilio will not deliver to it
PERMANENT_TWILIO_ERRORS = {21211, TWILIO_OPTED_OUT, 21614}  # invalid number, opted out, not a mobile


class TransientError(Exception):
    """Worth another try later."""


class PermanentError(Exception):
    """Trying again will not help."""

    def __init__(self, message: str, *, opted_out: bool = False):
        super().__init__(message)
        self.opted_out = opted_out


# A one-time code a patient asked for is kept out of the outbox: its body holds this placeholder, and the code
# waits in the cache (Redis in production, shared with the workers) only until it is sent or expires.
CODE = "[[code]]"


def code_cache_key(message_id: int) -> str:
    return f"outbox:code:{message_id}"


def keep_code(message: Message, code: str) -> None:
    """Keep the code for its message until it is sent. With the cache (Redis) unreachable the message fails
    when it is sent (no code to send), and the patient can ask for another: the page that asked goes on."""
    expires = timezone.now() + codes.LIFETIME
    try:
        cache.set(code_cache_key(message.pk), (code, expires.timestamp()), timeout=int(codes.LIFETIME.total_seconds()))
    except CACHE_DOWN as exc:
        logger.warning("Message %s: its code could not be kept (the cache is unreachable): %s", message.pk, exc)


def send(message: Message) -> str:
    """Send one message; returns the provider's id for it."""
    body = text_as_sent(message)
    code = None
    if CODE in body:
        code, expires = cache.get(code_cache_key(message.pk), (None, 0))
        if code is None or timezone.now().timestamp() >= expires:
            raise PermanentError("The code expired before it could be sent; the patient can ask for another.")
        body = body.replace(CODE, code)
    if message.channel == Message.Channel.SMS:
        provider_id = _send_sms(message, body)
    else:
        provider_id = _send_email(message, body, code=code)
    cache.delete(code_cache_key(message.pk))  # sent: no copy of the code is left
    return provider_id


def _withheld(text: str) -> str:
    return entry_links_withheld(texted_links_withheld(links_withheld(text)))


def text_for_staff(message: Message) -> str:
    """The body as staff (and the console of a live site) may see it: where a link or a code goes, not what."""
    return _withheld(message.body).replace(CODE, "[code]")


def text_as_sent(message: Message, text: str | None = None) -> str:
    """The body (or `text`, its HTML) with the patient's links made now, for a message to the patient's own email
    or mobile.

    Anything else (the clinic's address, a contact the booking or entry no longer has) gets none, whatever its text.
    The links open the patient's pages in the patient's language. A texted booking link (booking/links.py) is
    made for the mobile the text goes to, whoever it is: it carries that number and nothing else.
    """
    text = message.body if text is None else text
    if message.kind not in Message.Kind.with_private_links():
        return _withheld(text)
    if message.channel == Message.Channel.SMS:
        text = texted_links_expand(text, message.recipient)
    entry = message.waitlist_entry
    if entry is not None and message.recipient in (entry.email, entry.phone):
        with translation.override(entry.language):
            text = entry_links_expand(text, entry)
    booking = message.booking
    if booking is not None and message.recipient in (booking.email, booking.phone):
        with translation.override(booking.language):
            return links_expand(text, booking)
    return _withheld(text)


def _send_sms(message: Message, body: str) -> str:
    if not twilio_gateway.sms_enabled():
        # make run's stand-in for a phone shows the text as sent; a live site without Twilio keeps its links
        # and codes out of its own output, which ends up in logs.
        shown = body if settings.DEBUG else text_for_staff(message)
        sys.stdout.write(f"SMS to {message.recipient}:\n{shown}\n{'-' * 40}\n")
        sys.stdout.flush()
        return "console"
    try:
        return twilio_gateway.send_sms(to=message.recipient, body=body)
    except TwilioRestException as exc:
        if exc.status == 429 or exc.status >= 500:
            raise TransientError(f"Twilio answered {exc.status} (error {exc.code})") from exc
        raise PermanentError(f"Twilio error {exc.code}: {exc.msg}", opted_out=exc.code == TWILIO_OPTED_OUT) from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientError(f"Could not reach Twilio: {type(exc).__name__}") from exc


def _send_email(message: Message, body: str, *, code: str | None = None) -> str:
    booking = message.booking
    clinic = booking.slot.service.clinic if booking else Clinic.current()
    sender = formataddr((clinic.name, clinic.email)) if clinic else settings.DEFAULT_FROM_EMAIL
    message_id = make_msgid(domain=clinic.email.rpartition("@")[2] if clinic else None)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=body,
        from_email=sender,
        to=[message.recipient],
        reply_to=[clinic.email] if clinic else None,
        headers={"Message-ID": message_id},
    )
    # As it was made when queued (emails.py); one queued before HTML parts were kept gets one made from its text.
    html = message.html or html_from_text(message.body, subject=message.subject, clinic=clinic)
    html = text_as_sent(message, html)
    if code is not None:
        html = html.replace(CODE, code)
    email.attach_alternative(html, "text/html")
    if message.calendar:
        email.attach(calendar_filename(message), message.calendar, "text/calendar")
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(400 <= code < 500 for code in codes):
            raise TransientError(f"Mail server deferred the recipient ({codes})") from exc
        raise PermanentError(f"Mail server refused the recipient ({codes})") from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TransientError(f"Mail server answered {exc.smtp_code}") from exc
        raise PermanentError(f"Mail server answered {exc.smtp_code}") from exc
    except (smtplib.SMTPException, OSError) as exc:  # disconnects, refused connections, timeouts
        raise TransientError(f"Could not reach the mail server: {type(exc).__name__}") from exc
    return message_id
