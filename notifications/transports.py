"""How a message leaves: Twilio (or the console) for texts, Django's email backend for email."""

import smtplib
import sys
from email.utils import formataddr, make_msgid

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from twilio.base.exceptions import TwilioRestException

from clinic.models import Clinic

from . import twilio_gateway
from .calendar import booking_ics
from .models import Message

TWILIO_OPTED_OUT = 21610  # the number texted STOP: Twilio will not deliver to it
PERMANENT_TWILIO_ERRORS = {21211, TWILIO_OPTED_OUT, 21614}  # invalid number, opted out, not a mobile


class TransientError(Exception):
    """Worth another try later."""


class PermanentError(Exception):
    """Trying again will not help."""

    def __init__(self, message: str, *, opted_out: bool = False):
        super().__init__(message)
        self.opted_out = opted_out


def send(message: Message) -> str:
    """Send one message; returns the provider's id for it."""
    if message.channel == Message.Channel.SMS:
        return _send_sms(message)
    return _send_email(message)


def _send_sms(message: Message) -> str:
    if not twilio_gateway.sms_enabled():
        sys.stdout.write(f"SMS to {message.recipient}:\n{message.body}\n{'-' * 40}\n")
        sys.stdout.flush()
        return "console"
    try:
        return twilio_gateway.send_sms(to=message.recipient, body=message.body)
    except TwilioRestException as exc:
        if exc.status == 429 or exc.status >= 500:
            raise TransientError(f"Twilio answered {exc.status} (error {exc.code})") from exc
        raise PermanentError(f"Twilio error {exc.code}: {exc.msg}", opted_out=exc.code == TWILIO_OPTED_OUT) from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientError(f"Could not reach Twilio: {type(exc).__name__}") from exc


def _send_email(message: Message) -> str:
    booking = message.booking
    clinic = booking.slot.service.clinic if booking else Clinic.current()
    sender = formataddr((clinic.name, clinic.email)) if clinic else settings.DEFAULT_FROM_EMAIL
    message_id = make_msgid(domain=clinic.email.rpartition("@")[2] if clinic else None)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=sender,
        to=[message.recipient],
        reply_to=[clinic.email] if clinic else None,
        headers={"Message-ID": message_id},
    )
    html = render_to_string("emails/base.html", {"message": message, "clinic": clinic})
    email.attach_alternative(html, "text/html")
    if message.kind == Message.Kind.CONFIRMATION and booking:
        email.attach(f"visit-{booking.reference}.ics", booking_ics(booking), "text/calendar")
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
