"""Spanish keywords on texts to the clinic's number (AYUDA, SÍ, PARAR, ALTO, BAJA), and replies in the sender's
language: theirs when a booking or waiting-list entry has their number, English and Spanish both when not.

Posted to the real webhook, signed as Twilio signs; the clock and the visit are test_webhooks.py's.
These tests need the Spanish catalog (locale/es) filled.
"""

from datetime import date

import pytest
from django.core import mail

from booking.links import Purpose, private_link
from booking.rules import Patient
from booking.services import booking_create
from notifications.gsm import is_gsm7
from notifications.models import InboundText, Message, OptOut
from notifications.tests.test_webhooks import (  # noqa: F401  (clock and public_base_url: autouse fixtures)
    BASE,
    PHONE,
    STRANGER,
    auto_replies,
    booking,
    clock,
    public_base_url,
    queued_text,
    slot,
)
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 4, 9)
LUCIA = Patient(name="Lucía Hernández", email="lucia@example.com", phone=PHONE, sms_consent=True, language="es")


@pytest.fixture
def spanish_booking(django_capture_on_commit_callbacks, twilio_recorder, slot):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(slot_id=slot.pk, patient=LUCIA, quoted_price_cents=175_00)
    mail.outbox.clear()
    return booking


@pytest.mark.parametrize("word", ["PARAR", "alto", "Baja.", "BAJA"])
def test_spanish_stop_words_opt_out_suppress_queued_texts_and_confirm_in_spanish(
    texting, spanish_booking, clinic, word
):
    waiting = queued_text(spanish_booking)

    answer = texting(word)

    assert OptOut.objects.filter(phone=PHONE).exists()
    waiting.refresh_from_db()
    assert waiting.status == Message.Status.SUPPRESSED
    # Twilio answers its own STOP words, not these: the one reply says the opt-out worked. The outbox sends
    # nothing to a number that opted out, so it goes back in the webhook's own response, and is kept as sent.
    confirmation = f"{clinic.name}: ya no le enviaremos mensajes de texto. Responda START para volver a recibirlos."
    assert (answer.twiml, answer.sent) == (confirmation, [])
    [kept] = auto_replies()
    assert (kept.recipient, kept.body, kept.status, kept.booking) == (
        PHONE,
        confirmation,
        Message.Status.SENT,
        spanish_booking,
    )
    assert mail.outbox == []  # no alert to the clinic


def test_spanish_stop_word_from_an_unknown_number_is_confirmed_in_both_languages(texting, twilio_recorder, clinic):
    reply = texting("PARAR", sender=STRANGER).text

    assert OptOut.objects.filter(phone=STRANGER).exists()
    assert reply.splitlines() == [
        f"{clinic.name}: you will get no more texts from us. Reply START to get them again.",
        f"{clinic.name}: ya no le enviaremos mensajes de texto. Responda START para volver a recibirlos.",
    ]


def test_english_stop_is_still_left_to_twilio_to_confirm(texting, spanish_booking):
    assert texting("STOP").text is None
    assert OptOut.objects.filter(phone=PHONE).exists()


@pytest.mark.parametrize("word", ["AYUDA", "ayuda"])
def test_ayuda_answers_in_spanish_for_a_spanish_patient(texting, spanish_booking, clinic, word):
    reply = texting(word).text

    assert reply.startswith(f"{clinic.name}, 4901 Morena Blvd, Suite 501, San Diego. Llame al (619) 268-1397.")
    assert "Horario, con cita previa: lun 7 a. m.-7 p. m.; mar 7 a. m.-7 p. m.;" in reply
    assert "sab 7 a. m.-3 p. m. Responda BAJA" in reply  # the time ends the sentence: no second full stop
    assert reply.endswith("Responda BAJA para no recibir mas.")  # as sent: GSM-7
    assert is_gsm7(reply)
    assert not OptOut.objects.exists()


def test_help_from_an_unknown_number_is_answered_in_both_languages(texting, twilio_recorder, clinic):
    english, spanish = texting("AYUDA", sender=STRANGER).text.splitlines()

    assert english.startswith(f"{clinic.name}, 4901 Morena Blvd, Suite 501, San Diego. Call (619) 268-1397.")
    assert spanish.startswith(f"{clinic.name}, 4901 Morena Blvd, Suite 501, San Diego. Llame al (619) 268-1397.")


@pytest.mark.parametrize("word", ["SÍ", "si", "Sí!", "SI."])
def test_si_confirms_the_visit_and_thanks_in_spanish(texting, spanish_booking, clinic, word):
    reply = texting(word).text

    spanish_booking.refresh_from_db()
    assert spanish_booking.patient_confirmed_at is not None
    assert reply == f"Gracias, Lucia. Le esperamos el mié 8 abr, 10:00 a. m., en {clinic.name}."
    assert not InboundText.objects.exclude(booking=None).exists()  # a keyword, not a text for the front desk


def test_si_confirms_an_english_patients_visit_too_answered_in_english(texting, booking, clinic):  # noqa: F811
    reply = texting("Sí").text

    booking.refresh_from_db()
    assert booking.patient_confirmed_at is not None
    assert reply == f"Thanks Michael, see you Wed Apr 8 at 10:00 AM. {clinic.name}"


def test_other_text_from_a_spanish_patient_is_answered_in_spanish_with_their_spanish_page(
    texting, spanish_booking, clinic
):
    reply = texting("¿Dónde me estaciono?").text

    assert reply.startswith(f"Gracias por su mensaje. {clinic.name} le respondera pronto. Su cita: {BASE}/es/manage/")
    assert reply.endswith(private_link(spanish_booking, Purpose.MANAGE).removeprefix(BASE + "/"))
    assert len(mail.outbox) == 1  # the clinic's alert, in English
    assert mail.outbox[0].subject == "New text to the clinic's number"


def test_a_number_known_from_the_waiting_list_is_answered_in_its_language(texting, twilio_recorder, service, clinic):
    WaitlistEntry.objects.create(
        service=service, day=THURSDAY, name="Ana Ruiz", email="ana@example.com", phone=STRANGER, language="es"
    )

    reply = texting("Hola, ¿tienen lugar el jueves?", sender=STRANGER).text

    assert reply.startswith(f"Gracias por escribir a {clinic.name}. Reserve en linea: {BASE}/es/book/")
    assert "Thanks" not in reply


def test_other_text_from_an_unknown_number_is_answered_in_both_languages(texting, twilio_recorder, clinic):
    english, spanish = texting("Hola", sender=STRANGER).text.splitlines()

    assert english.startswith(f"Thanks for texting {clinic.name}. Book online: {BASE}/book/")
    assert spanish.startswith(f"Gracias por escribir a {clinic.name}. Reserve en linea: {BASE}/es/book/")
