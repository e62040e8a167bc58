"""Texts to the clinic's number: opt-outs, help, "YES" to a reminder, WAIT for a sold-out offer's waiting list,
and anything else, in English or Spanish. Each is kept (InboundText) and answered at most once.

A reply is written in the sender's language when a booking or waiting-list entry has their number, otherwise in
English and Spanish both. A number with no visit booked is answered with a booking link of its own
(booking/links.py, `texted_link`): it carries that mobile, which the booking pages fill in and count as proven.

How the answers go. Each is a row in the outbox (Message, kind AUTO_REPLY, to the sender, with the booking or
waiting-list entry it is about), queued in the transaction that keeps the text, and sent at once through Twilio's
REST API, whatever the hour (the patient has just written): not as TwiML in the webhook's own response, though
that would save a request, because

- the answer commits with the text: if Twilio's request times out, or our response is lost after the commit, it
  goes all the same (a TwiML answer is lost with its response, and a repeated delivery of the text is rightly
  answered with nothing);
- it gets a delivery status from the status callback, is tried again with backoff while Twilio is briefly down,
  goes through the Messaging Service when one is set, and shows in the patient's conversation like every text;
- the outbox's one rule for a number that texted STOP holds for it too: it is kept, suppressed.

The exception is the confirmation of a Spanish stop word (PARAR, ALTO, BAJA), which Twilio does not know: the
number has opted out by then and the outbox sends nothing to it, so that one text goes back in the webhook's
response, as Twilio's own STOP confirmation does, and is recorded as sent.

Links go into the outbox as placeholders, made as the text leaves (notifications/transports.py).
"""

import unicodedata
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from booking.links import Purpose, placeholder, texted_placeholder
from booking.models import Booking
from booking.selectors import Offer, featured_offer
from clinic.dates import clock, opening_hours, short_day
from clinic.languages import LANGUAGE_CODES
from clinic.models import Clinic
from waitlist.links import DETAILS_PLACEHOLDER
from waitlist.models import WaitlistEntry
from waitlist.services import place_in_line, promotion_sold_out, waitlist_join_by_text

from .canned import spots_left
from .conversations import conversation_inbound, latest_known
from .gsm import to_gsm7
from .models import Conversation, InboundText, Message
from .outbox import is_opted_out, message_queue, message_queue_written, sms_opt_in, sms_opt_out

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}  # Twilio's own
SPANISH_STOP_WORDS = {"PARAR", "ALTO", "BAJA"}  # Twilio does not know them: the opt-out is confirmed here
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO", "AYUDA"}
YES_WORDS = {"Y", "YES", "SI"}  # "SÍ" too: keywords are read without their accents
WAIT_WORDS = {"WAIT": "en", "ESPERAR": "es"}  # each in the language it is written in


def _keyword(body: str) -> str:
    """The text as a keyword: upper case, without accents or a closing full stop or exclamation mark."""
    decomposed = unicodedata.normalize("NFKD", body.strip().upper().rstrip(".!"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _language(phone: str, visit: Booking | None) -> str | None:
    """The sender's language: their next visit's, else their latest booking's or waiting-list entry's; None when
    the number is not one the clinic knows."""
    known = visit or latest_known(phone)
    return known.language if known else None


def _reply(language: str | None, write: Callable[[], str]) -> str:
    """The reply written in the sender's language, or in each of the clinic's languages, one after the other."""
    texts = []
    for code in [language] if language else LANGUAGE_CODES:
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
def inbound_text_handle(
    *, sender: str, body: str, message_sid: str, opt_out_type: str = "", media_count: int = 0
) -> str | None:
    """Keep a text and act on it; its answer goes through the outbox. Returns the one answer that goes back in the
    webhook's own response instead (a Spanish stop word's confirmation), or None."""
    inbound, created = InboundText.objects.get_or_create(
        provider_id=message_sid, defaults={"sender": sender, "body": body, "media_count": media_count}
    )
    if not created:
        return None  # Twilio delivered again a text we have kept and answered
    conversation = conversation_inbound(phone=sender, at=inbound.received_at)
    keyword = _keyword(body)
    opt_out = opt_out_type.upper()
    twilio_answered = bool(opt_out_type)  # Twilio's own opt-out handling has replied already
    clinic = Clinic.current()
    visit = _next_visit(sender)
    language = _language(sender, visit)

    if opt_out == "STOP" or keyword in STOP_WORDS | SPANISH_STOP_WORDS:
        sms_opt_out(phone=sender, keyword=keyword[:20])
        if twilio_answered or keyword not in SPANISH_STOP_WORDS:
            return None  # Twilio confirms the opt-out itself; nothing more may be sent to this number
        return _answer_in_response(inbound, _reply(language, lambda: _stopped(clinic)), booking=visit)
    if opt_out == "START" or keyword in START_WORDS:
        sms_opt_in(phone=sender)
        if not twilio_answered:
            _answer(inbound, _reply(language, lambda: _started(clinic)), booking=visit)
        return None
    if opt_out == "HELP" or keyword in HELP_WORDS:
        if not twilio_answered:
            _answer(inbound, _reply(language, lambda: _help(clinic)), booking=visit)
        return None

    if keyword in YES_WORDS and visit:
        Booking.objects.filter(pk=visit.pk, patient_confirmed_at__isnull=True).update(
            patient_confirmed_at=timezone.now()
        )
        _answer(inbound, _reply(language, lambda: _confirmed(visit, clinic)), booking=visit)
        return None

    opted_out = is_opted_out(sender)  # its texts are kept for the front desk, and answered with nothing
    if keyword in WAIT_WORDS and not opted_out:
        _wait(inbound, clinic, language or WAIT_WORDS[keyword])
        return None

    inbound.booking = visit
    inbound.save(update_fields=["booking"])
    _alert_clinic(inbound, conversation, clinic)
    if not opted_out:
        offer = None if visit else featured_offer(now=timezone.now())
        waiting = _waiting_list_open(offer)  # the list WAIT would join: offered only where WAIT finds it
        _answer(
            inbound,
            _reply(language, lambda: _text_answered(visit, offer, clinic, media=media_count > 0, waiting=waiting)),
            booking=visit,
        )
    return None


def _answer(inbound: InboundText, text: str, *, booking: Booking | None = None, entry: WaitlistEntry | None = None):
    """The automatic answer to a text, queued to go at once: once per text, whatever retries."""
    return message_queue_written(
        kind=Message.Kind.AUTO_REPLY,
        channel=Message.Channel.SMS,
        recipient=inbound.sender,
        body=to_gsm7(text),
        dedupe_key=f"inbound:{inbound.pk}:auto_reply",
        booking=booking,
        waitlist_entry=entry,
    )


def _answer_in_response(inbound: InboundText, text: str, *, booking: Booking | None) -> str:
    """The answer that goes back in the webhook's response (TwiML): recorded as sent, as Twilio sends it."""
    text = to_gsm7(text)
    Message.objects.create(
        kind=Message.Kind.AUTO_REPLY,
        channel=Message.Channel.SMS,
        recipient=inbound.sender,
        body=text,
        booking=booking,
        status=Message.Status.SENT,
        sent_at=timezone.now(),
        dedupe_key=f"inbound:{inbound.pk}:auto_reply",
    )
    return text


def _alert_clinic(inbound: InboundText, conversation: Conversation, clinic: Clinic) -> None:
    """Tell the front desk a text came in. The words stay in its conversation, where each reading is logged: they
    may be about someone's health."""
    admin_link = settings.PUBLIC_BASE_URL + reverse("admin:frontdesk_conversation", args=[conversation.pk])
    message_queue(
        kind=Message.Kind.CLINIC_INBOUND_TEXT,
        channel=Message.Channel.EMAIL,
        recipient=clinic.email,
        dedupe_key=f"inbound:{inbound.pk}:clinic_alert:email",
        context={"clinic": clinic, "inbound": inbound, "admin_link": admin_link},
        booking=inbound.booking,
    )


# WAIT: the offer's waiting list, by text ------------------------------------------------------------------------


def _wait(inbound: InboundText, clinic: Clinic, language: str) -> None:
    """Put the number on the waiting list of the offer whose spots are all taken, and answer with the link to add
    a name and email; already waiting, the same link. No list to join (spots free, or no offer open): say so."""
    offer = featured_offer(now=timezone.now())
    if not _waiting_list_open(offer):
        _answer(inbound, _reply(language, lambda: _no_list(offer, clinic)))
        return
    entry, joined = waitlist_join_by_text(promotion=offer.promotion, phone=inbound.sender, language=language)
    write = _joined if joined else _already_waiting
    _answer(inbound, _reply(entry.language, lambda: write(entry, clinic)), entry=entry)


def _waiting_list_open(offer: Offer | None) -> bool:
    """Whether the featured offer has a waiting list to join by text: open, and every spot taken."""
    return offer is not None and promotion_sold_out(offer.promotion, now=timezone.now())


def _joined(entry: WaitlistEntry, clinic: Clinic) -> str:
    return gettext(
        "%(clinic)s: you're number %(place)s on the waiting list for a %(price)s spot; we'll text you when one is "
        "yours. Add your name and email: %(link)s"
    ) % {
        "clinic": clinic.name,
        "place": place_in_line(entry),
        "price": entry.promotion.price,
        "link": DETAILS_PLACEHOLDER,
    }


def _already_waiting(entry: WaitlistEntry, clinic: Clinic) -> str:
    return gettext(
        "%(clinic)s: you're already number %(place)s on the waiting list for a %(price)s spot. Your name and "
        "email: %(link)s"
    ) % {
        "clinic": clinic.name,
        "place": place_in_line(entry),
        "price": entry.promotion.price,
        "link": DETAILS_PLACEHOLDER,
    }


def _no_list(offer: Offer | None, clinic: Clinic) -> str:
    if offer and offer.is_open and offer.spots_left:
        return gettext(
            "%(clinic)s: no need to wait, %(left)s of %(spots)s %(price)s spots are still free. Book yours: %(link)s"
        ) % {
            "clinic": clinic.name,
            "left": offer.spots_left,
            "spots": offer.promotion.spots,
            "price": offer.promotion.price,
            "link": texted_placeholder(),
        }
    return gettext(
        "%(clinic)s: there is no waiting list to join by text right now. Book online: %(link)s or call %(phone)s."
    ) % {
        "clinic": clinic.name,
        "link": texted_placeholder(),
        "phone": clinic.phone_display,
    }


# What each answer says ------------------------------------------------------------------------------------------


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
        "day": short_day(starts_at),
        "time": clock(starts_at),
        "clinic": clinic.name,
    }


def _text_answered(visit: Booking | None, offer: Offer | None, clinic: Clinic, *, media: bool, waiting: bool) -> str:
    """Any other text: the booking's own link for a patient with a visit ahead; for anyone else, a booking link of
    their own with the discounted spots left, or, when they are all taken, the waiting list by text."""
    if media:
        return _photo(visit, clinic)
    if visit:
        return gettext("Thanks for your text. %(clinic)s will reply soon. Your booking: %(link)s") % {
            "clinic": clinic.name,
            "link": placeholder(Purpose.MANAGE),  # the answer goes to the booking's own mobile
        }
    facts = {"clinic": clinic.name, "book": texted_placeholder(), "phone": clinic.phone_display}
    if waiting:
        return gettext(
            "Thanks for texting %(clinic)s. All %(spots)s %(price)s spots are taken: reply WAIT to join the waiting "
            "list. Book at the regular price: %(book)s"
        ) % {**facts, "spots": offer.promotion.spots, "price": offer.promotion.price}
    return gettext(
        "Thanks for texting %(clinic)s. %(spots)sBook online: %(book)s or call %(phone)s. We will reply soon."
    ) % {**facts, "spots": spots_left(offer)}


def _photo(visit: Booking | None, clinic: Clinic) -> str:
    """A photo (MMS) is neither fetched nor kept: the patient is asked to bring it."""
    if visit:
        return gettext(
            "Thanks for your photo. We do not keep photos sent by text: please bring it to your visit. %(clinic)s "
            "will reply soon. Your booking: %(link)s"
        ) % {"clinic": clinic.name, "link": placeholder(Purpose.MANAGE)}
    return gettext(
        "Thanks for your photo. We do not keep photos sent by text: please bring it to your visit. %(clinic)s "
        "will reply soon. Book online: %(link)s"
    ) % {"clinic": clinic.name, "link": texted_placeholder()}
