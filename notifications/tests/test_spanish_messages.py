"""A patient who booked in Spanish gets every email and text in Spanish, and every text fits in two segments in
either language, however long the names, the date and the private link are.

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego; the visit is on Wednesday 2026-04-08 at
10:00 AM (clinic time). These tests need the Spanish catalog (locale/es) filled.
"""

from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import translation

from booking.links import Purpose, private_link
from booking.models import Booking, Refund
from booking.rules import Patient
from booking.services import booking_create
from booking.tests.factories import PromotionFactory, SlotFactory, local
from notifications.gsm import is_gsm7, segments, to_gsm7
from notifications.models import Message
from notifications.notices import notify_waitlist_offer
from notifications.outbox import booking_context, outbox_message, visit_context
from notifications.reminders import reminders_queue
from notifications.transports import CODE, text_as_sent
from waitlist.links import PLACEHOLDER as LEAVE_LINK
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db

NOW = local(date(2026, 4, 6), 8)
VISIT = local(date(2026, 4, 8), 10)
SMS, EMAIL = Message.Channel.SMS, Message.Channel.EMAIL
Kind = Message.Kind
LUCIA = Patient(
    name="Lucía Hernández", email="lucia@example.com", phone="+16195550123", sms_consent=True, language="es"
)
ENGLISH = ("Reply STOP", "you're booked", "Hi Lucía", "your visit", "Manage your visit", "When:")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def lucia_booking(django_capture_on_commit_callbacks, service):
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(
            slot_id=SlotFactory(service=service, starts_at=VISIT).pk, patient=LUCIA, quoted_price_cents=175_00
        )
    assert booking.language == "es"
    return booking


def only(booking, kind: str, channel: str) -> Message:
    return Message.objects.get(booking=booking, kind=kind, channel=channel)


def test_a_spanish_booking_is_confirmed_in_spanish_by_email_and_text(lucia_booking, clinic):
    email, text = only(lucia_booking, Kind.CONFIRMATION, EMAIL), only(lucia_booking, Kind.CONFIRMATION, SMS)

    assert email.subject == "Su cita está reservada: mié 8 abr, 10:00 a. m."
    assert "Hola, Lucía:" in email.body
    assert "Su cita está reservada. ¡Nos vemos pronto!" in email.body
    assert "Cuándo: miércoles, 8 de abril de 2026, 10:00 a. m. (PDT)" in email.body
    assert "Antes de su cita, por favor conteste nuestro breve cuestionario." in email.body
    assert "(619) 268-1397 (llamadas o mensajes de texto)" in email.body
    assert '<html lang="es">' in email.html
    assert "Contestar el cuestionario" in email.html
    assert "Administrar su cita" in email.html
    assert "Agregar a Google Calendar" in email.html
    calendar = email.calendar.replace("\r\n ", "")  # lines unfolded
    assert "SUMMARY:Active Back & Hip Reset Assessment en Project Performance Physical Therapy" in calendar
    assert "Venga con ropa para correr" in calendar
    for phrase in ENGLISH:
        assert phrase not in email.body and phrase not in email.html, phrase

    assert text.body.startswith(f"{clinic.name}: Lucia, cita confirmada: mié 8 abr, 10:00 a. m.")
    assert text.body.endswith("Responda BAJA para no recibir mas.")
    assert is_gsm7(text.body)
    [sent] = [m for m in mail.outbox if m.to == ["lucia@example.com"]]
    assert sent.subject == email.subject


def test_a_spanish_bookings_reminders_are_in_spanish(lucia_booking, clock):
    for before in (timedelta(hours=24), timedelta(hours=1, minutes=55)):
        clock.move_to(VISIT - before)
        reminders_queue(now=VISIT - before)

    day_before = only(lucia_booking, Kind.REMINDER_24H, EMAIL)
    assert day_before.subject == "Su cita es mañana: mié 8 abr, 10:00 a. m."
    assert "Le recordamos que su cita es mañana." in day_before.body
    assert "Venga con ropa para correr y traiga los tenis con los que entrena." in day_before.body
    text = only(lucia_booking, Kind.REMINDER_24H, SMS).body
    assert "su cita: mié 8 abr, 10:00 a. m., 4901 Morena Blvd, Suite 501. Ropa y tenis de correr." in text
    assert "Confirme con SI." in text

    assert "le esperamos hoy, 10:00 a. m." in only(lucia_booking, Kind.REMINDER_2H, SMS).body  # a text alone


def test_an_english_booking_stays_in_english(django_capture_on_commit_callbacks, service, patient):
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(
            slot_id=SlotFactory(service=service, starts_at=VISIT).pk, patient=patient, quoted_price_cents=175_00
        )

    email = only(booking, Kind.CONFIRMATION, EMAIL)
    assert email.subject == "You're booked: Wed Apr 8, 10:00 AM"
    assert "When:  Wednesday, April 8, 2026 at 10:00 AM (PDT)" in email.body
    assert '<html lang="en">' in email.html
    assert "you're booked for Wed Apr 8 at 10:00 AM" in only(booking, Kind.CONFIRMATION, SMS).body


def test_spanish_texts_go_in_gsm7_keeping_the_letters_it_has():
    assert to_gsm7("¿Sí? Mañana, miércoles, último día: está pagada. ¡Gracias!") == (
        "¿Si? Mañana, miércoles, ultimo dia: esta pagada. ¡Gracias!"
    )
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("á" * 70) == 1 and segments("á" * 71) == 2 and segments("á" * 135) == 3  # UCS-2


# Every text template, at its longest ------------------------------------------------------------------------

SMS_KINDS = sorted(
    path.stem for path in (Path(settings.BASE_DIR) / "templates" / "sms").glob("*.txt") if path.stem != "staff_text"
)


@pytest.fixture
def longest(settings, clinic, service):
    """A visit told at its longest: the clinic's long name, a long first name, the longest day and time, a real
    link on the site's own address."""
    settings.PUBLIC_BASE_URL = "https://book.projectperformancept.com"
    assert clinic.name == "Project Performance Physical Therapy"  # the clinic's own, and long
    return service, PromotionFactory(service=service, name="Launch week for runners")


def rendered(kind: str, language: str, service, promotion) -> str:
    """The text of this kind as it goes to Twilio, in this language, with the longest realistic values."""
    patient = Patient(
        name="Maximiliano Castañeda-Villaseñor",
        email=f"max.{language}@example.com",
        phone="+16195550188" if language == "es" else "+16195550189",
        sms_consent=True,
        language=language,
    )
    # Wednesdays at 12:45 PM: "Wed Apr 22", "mié 29 abr".
    slot = SlotFactory(service=service, starts_at=local(date(2026, 4, 29 if language == "es" else 22), 12, 45))
    booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    Message.objects.all().delete()
    if kind == Kind.WAITLIST_JOINED:
        entry = WaitlistEntry.objects.create(
            service=slot.service,
            promotion=promotion,
            name=patient.name,
            email=patient.email,
            phone=patient.phone,
            sms_consent=True,
            language=language,
        )
        context = {"clinic": slot.service.clinic, "entry": entry, "place": 12, "leave_link": LEAVE_LINK}
        message = outbox_message(
            kind=kind, channel=SMS, recipient=entry.phone, dedupe_key="t", context=context, waitlist_entry=entry
        )
        return text_as_sent(message)
    context = {
        **booking_context(booking),
        "code": CODE,
        "refund": Refund(amount_cents=175_00),
        "claim_link": "[[link:claim]]",
        "expires_at": local(date(2026, 4, 7), 12, 45),
        "previous_starts_at": local(date(2026, 4, 15), 12, 45),
    }
    if kind in (Kind.CONTACT_CHANGED, Kind.ACCESS_CODE):
        context = {**visit_context(booking), "code": CODE}
    message = outbox_message(
        kind=kind, channel=SMS, recipient=booking.phone, dedupe_key="t", context=context, booking=booking
    )
    return text_as_sent(message).replace(CODE, "482913")


@pytest.mark.parametrize("kind", SMS_KINDS)
def test_every_text_fits_in_two_gsm7_segments_in_both_languages(kind, longest):
    english, spanish = (rendered(kind, language, *longest) for language in ("en", "es"))

    assert spanish != english
    assert " your " not in spanish and "Reply" not in spanish, spanish
    for text in (english, spanish):
        assert "[[" not in text, text
        assert ".." not in text, text  # "p. m." ends no sentence with a second full stop
        assert is_gsm7(text), text
        assert segments(text) <= 2, (len(text), text)
    if "link" in english or "http" in english:
        assert "https://book.projectperformancept.com/" in spanish


def test_the_spanish_confirmation_with_its_accents_would_not_fit(longest):
    """Why the texts go in GSM-7: with every accent kept, the longest Spanish confirmation takes four segments."""
    spanish = rendered(Kind.CONFIRMATION, "es", *longest)
    booking = Booking.objects.latest("pk")
    with translation.override("es"):  # the link opens the booking's page in Spanish
        assert private_link(booking, Purpose.MANAGE) in spanish
    assert "Maximiliano, cita confirmada: mié 29 abr, 12:45 p. m." in spanish
    accented = spanish.replace("mas.", "más.")
    assert segments(spanish) == 2
    assert segments(accented) == 5


def test_a_spanish_waiting_list_offer_text_ends_its_sentences_once(longest):
    text = rendered(Kind.WAITLIST_OFFER, "es", *longest)

    assert "Se lo apartamos hasta las 12:45 p. m.; tomelo: https://book.projectperformancept.com/es/waitlist/" in text
    assert ".." not in text


@pytest.mark.parametrize(
    ("hour", "minute", "held_until"), [(13, 0, "hasta la 1:00 p. m."), (9, 30, "hasta las 9:30 a. m.")]
)
def test_a_spanish_offer_says_until_when_with_the_article_one_oclock_takes(lucia_booking, hour, minute, held_until):
    """ "a la 1:00", "hasta la 1:00": one o'clock is singular in Spanish; every other hour plural."""
    notify_waitlist_offer(lucia_booking, expires_at=local(date(2026, 4, 6), hour, minute))

    email, text = only(lucia_booking, Kind.WAITLIST_OFFER, EMAIL), only(lucia_booking, Kind.WAITLIST_OFFER, SMS)
    assert f"Se lo apartamos {held_until}; en su página puede tomarlo" in email.body
    assert f"Se lo apartamos {held_until}; tomelo: " in text.body


def test_emails_and_texts_write_times_as_the_spanish_pages_do(lucia_booking):
    """ "10:00 a. m." everywhere, as on the pages (clinic/dates.py), never "10:00 a.m."."""
    messages = Message.objects.filter(booking=lucia_booking, recipient__in=[LUCIA.email, LUCIA.phone])
    assert {m.channel for m in messages} == {EMAIL, SMS}
    for message in messages:
        assert "10:00 a. m." in message.body + message.subject, message.body
        assert "a.m." not in message.body + message.subject + message.html, message.body


def test_a_spanish_bookings_email_and_calendar_file_name_the_service_in_spanish(
    django_capture_on_commit_callbacks, service, patient
):
    service.name_es = "Evaluación activa de espalda y cadera"
    service.save()
    with django_capture_on_commit_callbacks(execute=True):
        lucia = booking_create(
            slot_id=SlotFactory(service=service, starts_at=VISIT).pk, patient=LUCIA, quoted_price_cents=175_00
        )
        michael = booking_create(
            slot_id=SlotFactory(service=service, starts_at=VISIT + timedelta(hours=2)).pk,
            patient=patient,
            quoted_price_cents=175_00,
        )

    email = only(lucia, Kind.CONFIRMATION, EMAIL)
    calendar = email.calendar.replace("\r\n ", "")  # lines unfolded
    assert "Qué: Evaluación activa de espalda y cadera, 60 minutos" in email.body
    assert "Evaluación activa de espalda y cadera, 60 minutos" in email.html
    assert "SUMMARY:Evaluación activa de espalda y cadera en Project Performance Physical Therapy" in calendar
    assert "text=Evaluaci%C3%B3n+activa+de+espalda+y+cadera" in email.html  # the Google Calendar button
    for part in (email.body, email.html, calendar):
        assert "Active Back" not in part
    english = only(michael, Kind.CONFIRMATION, EMAIL)
    english_calendar = english.calendar.replace("\r\n ", "")
    assert "What:  Active Back & Hip Reset Assessment, 60 minutes" in english.body
    assert "SUMMARY:Active Back & Hip Reset Assessment at Project Performance Physical Therapy" in english_calendar
    assert "Evaluación" not in english.body + english.html + english_calendar
