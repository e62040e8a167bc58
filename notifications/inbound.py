"""Texts to the clinic's number: opt-outs, help, "YES" to a reminder, and anything else, in English or Spanish.

A reply is written in the sender's language when a booking or waiting-list entry has their number, otherwise in
English and Spanish both.
"""

import unicodedata
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from booking.links import Purpose, private_link
from booking.models import Booking
from booking.selectors import featured_offer
from clinic.dates import clock, opening_hours
from clinic.models import Clinic
from waitlist.models import WaitlistEntry

from .conversations import conversation_inbound
from .models import InboundText, Message
from .outbox import message_queue, sms_opt_in, sms_opt_out

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}  # Twilio's own
SPANISH_STOP_WORDS = {"PARAR", "ALTO", "BAJA"}  # Twilio does not know them: the opt-out is confirmed here
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO", "AYUDA"}
YES_WORDS = {"Y", "YES", "SI"}  # "SÍ" too: keywords are read without their accents
LANGUAGES = [code for code, _ in settings.LANGUAGES]


def _keyword(body: str) -> str:
    """The text as a keyword: upper case, without accents or a closing full stop or exclamation mark."""
    decomposed = unicodedata.normalize("NFKD", body.strip().upper().rstrip(".!"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _language(phone: str, visit: Booking | None) -> str | None:
    """The sender's language: their next visit's, else their latest booking's or waiting-list entry's; None when
    the number is not one the clinic knows."""
    if visit is not None:
        return visit.language
    known = [
        row
        for row in (
            Booking.objects.filter(phone=phone).order_by("-created_at").first(),
            WaitlistEntry.objects.filter(phone=phone).order_by("-created_at").first(),
        )
        if row is not None
    ]
    return max(known, key=lambda row: row.created_at).language if known else None


def _reply(language: str | None, write: Callable[[], str]) -> str:
    """The reply written in the sender's language, or in each of the clinic's languages, one after the other."""
    texts = []
    for code in [language] if language else LANGUAGES:
        with translation.override(code):
            texts.append(write())
    return "\n".join(texts)


def _next_visit(phone: str) -> Booking | None:
    return (
        Booking.objects.filter(phone=phone, status=Booking.Status.CONFIRMED, slot__starts_at__gt=timezone.now())
        .select_related("slot__service__clinic")
        .order_by("slot__starts_at")
        .first()
    )


@transaction.atomic
def inbound_text_handle(*, sender: str, body: str, message_sid: str, opt_out_type: str = "") -> str | None:
    """Act on a text and return the reply, or None when nothing should be answered."""
    inbound, created = InboundText.objects.get_or_create(
        provider_id=message_sid, defaults={"sender": sender, "body": body}
    )
    if not created:
        return None  # Twilio retried a text we already answered
    conversation_inbound(phone=sender, at=inbound.received_at)
    keyword = _keyword(body)
    twilio_answered = bool(opt_out_type)  # Twilio's own opt-out handling has replied already
    clinic = Clinic.current()
    visit = _next_visit(sender)
    language = _language(sender, visit)

    if opt_out_type.upper() == "STOP" or keyword in STOP_WORDS | SPANISH_STOP_WORDS:
        sms_opt_out(phone=sender, keyword=keyword[:20])
        if twilio_answered or keyword not in SPANISH_STOP_WORDS:
            return None  # Twilio confirms the opt-out itself; nothing more may be sent to this number
        return _reply(language, lambda: _stopped(clinic))  # the one text after it: that it worked
    if opt_out_type.upper() == "START" or keyword in START_WORDS:
        sms_opt_in(phone=sender)
        return None if twilio_answered else _reply(language, lambda: _started(clinic))
    if opt_out_type.upper() == "HELP" or keyword in HELP_WORDS:
        return None if twilio_answered else _reply(language, lambda: _help(clinic))

    if keyword in YES_WORDS and visit:
        Booking.objects.filter(pk=visit.pk, patient_confirmed_at__isnull=True).update(
            patient_confirmed_at=timezone.now()
        )
        return _reply(language, lambda: _confirmed(visit, clinic))

    inbound.booking = visit
    inbound.save(update_fields=["booking"])
    _alert_clinic(inbound, clinic)
    return _reply(language, lambda: _answer(visit, clinic))


def _stopped(clinic: Clinic) -> str:
    return gettext("%(clinic)s: you will get no more texts from us. Reply START to get them again.") % {
        "clinic": clinic.name
    }


def _started(clinic: Clinic) -> str:
    return gettext("%(clinic)s: you will get texts about your bookings again. Reply STOP to opt out.") % {
        "clinic": clinic.name
    }


def _help(clinic: Clinic) -> str:
    return gettext(
        "%(clinic)s, %(street)s, %(city)s. Call %(phone)s. Hours by appointment: %(hours)s. Reply STOP to opt out."
    ) % {
        "clinic": clinic.name,
        "street": clinic.street,
        "city": clinic.city,
        "phone": clinic.phone_display,
        "hours": opening_hours(clinic.opening_hours.all()),
    }


def _confirmed(visit: Booking, clinic: Clinic) -> str:
    starts_at = timezone.localtime(visit.slot.starts_at, clinic.tz)
    return gettext("Thanks %(name)s, see you %(day)s at %(time)s. %(clinic)s") % {
        "name": visit.first_name,
        "day": date_format(starts_at, gettext("D M j")),
        "time": clock(starts_at),
        "clinic": clinic.name,
    }


def _alert_clinic(inbound: InboundText, clinic: Clinic) -> None:
    """Tell the front desk a text came in. The words stay in the admin: they may be about someone's health."""
    admin_link = settings.PUBLIC_BASE_URL + reverse("admin:notifications_inboundtext_change", args=[inbound.pk])
    message_queue(
        kind=Message.Kind.CLINIC_INBOUND_TEXT,
        channel=Message.Channel.EMAIL,
        recipient=clinic.email,
        dedupe_key=f"inbound:{inbound.pk}:clinic_alert:email",
        context={"clinic": clinic, "inbound": inbound, "admin_link": admin_link},
        booking=inbound.booking,
    )


def _answer(visit: Booking | None, clinic: Clinic) -> str:
    if visit:
        link = private_link(visit, Purpose.MANAGE)  # the reply goes to the booking's own mobile
        return gettext("Thanks for your text. %(clinic)s will reply soon. Your booking: %(link)s") % {
            "clinic": clinic.name,
            "link": link,
        }
    offer = featured_offer(now=timezone.now())
    book = settings.PUBLIC_BASE_URL + reverse("booking:book_days")
    if offer and offer.is_open and offer.spots_left:
        spots = gettext("%(left)s of %(spots)s %(price)s spots left.") % {
            "left": offer.spots_left,
            "spots": offer.promotion.spots,
            "price": offer.promotion.price,
        }
        spots += " "
    else:
        spots = ""
    return gettext(
        "Thanks for texting %(clinic)s. %(spots)sBook online: %(book)s or call %(phone)s. We will reply soon."
    ) % {"clinic": clinic.name, "spots": spots, "book": book, "phone": clinic.phone_display}
