"""Text-to-claim: a text to the clinic's number from someone with no visit booked is answered with a booking link of
their own (it carries their mobile, signed) and the discounted spots left; when they are all taken, with the
waiting list by text (WAIT). Photos are asked for at the visit; bad input is kept and answered, never a 5xx.

Posted to the real webhook, signed as Twilio signs, the answers sent through the outbox to the recorded Twilio
client; the clock and the public address are test_webhooks.py's (Monday 2026-04-06, 8:00 AM in San Diego).
"""

from datetime import date

import pytest
from django.utils import translation

from booking.links import Purpose, manage_path, private_link, texted_link
from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_create
from booking.tests.factories import BookingFactory, SlotFactory, local
from booking.tests.pages import control, hidden_fields
from notifications.gsm import is_gsm7, segments
from notifications.models import InboundText, Message
from notifications.outbox import sms_opt_out
from notifications.tests import texting as twilio_texts
from notifications.tests.test_webhooks import (  # noqa: F401  (clock and public_base_url: autouse fixtures; slot)
    BASE,
    STRANGER,
    WORDS,
    auto_replies,
    booking,
    clinic_alerts,
    clock,
    inbound_params,
    public_base_url,
    slot,
)
from notifications.transports import text_for_staff
from waitlist.links import details_link
from waitlist.models import WaitlistEntry
from waitlist.services import waitlist_join

pytestmark = pytest.mark.django_db

SPOT_DAY = date(2026, 4, 8)  # Wednesday, inside the offer's visit week
CALL = "(619) 268-1397"


def link_for(phone: str, language: str = "en") -> str:
    with translation.override(language):
        return texted_link(phone)


def take_spots(promotion, count: int) -> list[Booking]:
    """`count` more discounted spots booked, each at a time of its own."""
    taken = promotion.bookings.count()
    return [
        BookingFactory(
            slot=SlotFactory(service=promotion.service, starts_at=local(SPOT_DAY, 8 + n)), promotion=promotion
        )
        for n in range(taken, taken + count)
    ]


@pytest.fixture
def sold_out(promotion) -> list[Booking]:
    return take_spots(promotion, promotion.spots)


# A first text: a booking link of its own, with the spots left -------------------------------------------------


def test_a_first_text_is_answered_with_a_signed_booking_link_of_its_own_and_the_live_spots_left(
    texting, promotion, clinic
):
    take_spots(promotion, 1)

    english, spanish = texting("How much is an assessment?", sender=STRANGER).text.splitlines()

    assert english == (
        f"Thanks for texting {clinic.name}. 7 of 8 $99 spots left. Book online: {link_for(STRANGER)} "
        f"or call {CALL}. We will reply soon."
    )
    assert spanish == (
        f"Gracias por escribir a {clinic.name}. Quedan 7 de 8 lugares a $99. Reserve en linea: "
        f"{link_for(STRANGER, 'es')} o llame al {CALL}. Le responderemos pronto."
    )
    assert link_for(STRANGER).startswith(f"{BASE}/book/texted/17605550142:")
    assert link_for(STRANGER, "es").startswith(f"{BASE}/es/book/texted/17605550142:")
    inbound = InboundText.objects.get()
    assert (inbound.sender, inbound.body, inbound.booking) == (STRANGER, "How much is an assessment?", None)
    [alert] = clinic_alerts()
    assert "assessment?" not in alert.body


def test_the_answer_is_kept_in_the_outbox_as_an_auto_reply_without_the_link_itself(texting, promotion, clinic):
    texting("Hi", sender=STRANGER)

    [reply] = auto_replies()
    assert (reply.channel, reply.recipient, reply.booking, reply.waitlist_entry) == ("sms", STRANGER, None, None)
    assert (reply.status, reply.provider_id[:2]) == (Message.Status.SENT, "SM")
    assert "[[link:texted:en]]" in reply.body and "[[link:texted:es]]" in reply.body
    assert "/book/texted/" not in reply.body
    assert text_for_staff(reply).count("[private link: booking by text]") == 2  # as the admin shows it


def test_the_spots_are_counted_as_the_text_comes_in(texting, promotion):
    take_spots(promotion, 3)
    assert "5 of 8 $99 spots left" in texting("Hi", sender=STRANGER).text

    take_spots(promotion, 2)
    assert "3 of 8 $99 spots left" in texting("Still there?", sender=STRANGER).text


def test_a_spanish_speaker_known_to_the_clinic_is_answered_in_spanish_only(texting, promotion, service, clinic):
    BookingFactory(
        slot=SlotFactory(service=service, starts_at=local(date(2026, 3, 30), 9)), phone=STRANGER, language="es"
    )  # a visit last week

    reply = texting("Hola, quiero otra cita", sender=STRANGER).text

    assert reply == (
        f"Gracias por escribir a {clinic.name}. Quedan 8 de 8 lugares a $99. Reserve en linea: "
        f"{link_for(STRANGER, 'es')} o llame al {CALL}. Le responderemos pronto."
    )


def test_a_patient_with_a_visit_ahead_gets_the_link_to_that_visit_not_a_booking_link(
    texting,
    booking,  # noqa: F811
    promotion,
):
    reply = texting(WORDS).text

    assert private_link(booking, Purpose.MANAGE) in reply
    assert "/book/texted/" not in reply


def test_the_booking_link_fills_in_the_mobile_and_a_discounted_spot_booked_with_it_needs_no_code(
    client, texting, twilio_recorder, promotion, service
):
    reply = texting("I want one of the $99 spots", sender=STRANGER).text
    link = reply.split("Book online: ")[1].split()[0]
    time = SlotFactory(service=service, starts_at=local(SPOT_DAY, 10))

    assert client.get(link.removeprefix(BASE)).url == "/book/"
    details = client.get(client.post(f"/book/time/{time.pk}/").url)
    assert control(details, "phone")["value"] == STRANGER
    typed = {"name": "Rosa Vega", "email": "rosa@example.com", "phone": control(details, "phone")["value"]}
    review = client.get(client.post(details.wsgi_request.path, typed).url)
    response = client.post(details.wsgi_request.path + "confirm/", hidden_fields(review))

    booked = Booking.objects.get(slot=time)
    assert (response.status_code, response.url) == (302, manage_path(booked))
    assert (booked.status, booked.promotion, booked.phone_verified_at) == (
        Booking.Status.CONFIRMED,
        promotion,
        local(date(2026, 4, 6), 8),
    )
    assert not Message.objects.filter(booking=booked, kind=Message.Kind.ACCESS_CODE).exists()
    assert not any("code" in r.data["Body"] for r in twilio_recorder.texts)


def test_with_another_mobile_typed_in_the_code_step_applies(client, texting, promotion, service):
    reply = texting("Hi", sender=STRANGER).text
    client.get(reply.split("Book online: ")[1].split()[0].removeprefix(BASE))
    time = SlotFactory(service=service, starts_at=local(SPOT_DAY, 10))
    details = client.post(f"/book/time/{time.pk}/").url
    typed = {"name": "Rosa Vega", "email": "rosa@example.com", "phone": "(619) 555-0177"}
    review = client.get(client.post(details, typed).url)

    response = client.post(details + "confirm/", hidden_fields(review))

    held = Booking.objects.get(slot=time)
    assert response.url == f"/booking/{held.reference}/verify/"
    assert (held.status, held.phone_verified_at) == (Booking.Status.HELD, None)


# Sold out: the waiting list, by text ---------------------------------------------------------------------------


def test_when_the_spots_are_gone_the_answer_says_so_and_offers_the_waiting_list(texting, sold_out, clinic):
    english, spanish = texting("Any $99 spots left?", sender=STRANGER).text.splitlines()

    assert english == (
        f"Thanks for texting {clinic.name}. All 8 $99 spots are taken: reply WAIT to join the waiting list. "
        f"Book at the regular price: {link_for(STRANGER)}"
    )
    assert spanish == (
        f"Gracias por escribir a {clinic.name}. Los 8 lugares a $99 ya estan tomados: responda ESPERAR para entrar "
        f"a la lista de espera. Reserve a precio regular: {link_for(STRANGER, 'es')}"
    )


def test_wait_puts_the_number_on_the_offers_list_and_answers_with_the_link_to_add_a_name_and_email(
    texting, sold_out, promotion, clinic
):
    reply = texting("wait", sender=STRANGER).text

    entry = WaitlistEntry.objects.get()
    assert (entry.promotion, entry.phone, entry.sms_consent, entry.language) == (promotion, STRANGER, True, "en")
    assert (entry.name, entry.email, entry.status, entry.position) == ("", "", WaitlistEntry.Status.WAITING, 1)
    assert reply == (
        f"{clinic.name}: you're number 1 on the waiting list for a $99 spot; we'll text you when one is yours. "
        f"Add your name and email: {details_link(entry)}"
    )
    [kept] = auto_replies()
    assert (kept.waitlist_entry, kept.booking) == (entry, None)
    assert "[[link:details]]" in kept.body
    assert text_for_staff(kept).endswith("Add your name and email: [private link: details]")
    assert clinic_alerts() == []  # a keyword: nothing for the front desk to answer


@pytest.mark.parametrize("word", ["WAIT", "Wait.", " wait! ", "ESPERAR", "esperar", "Esperar."])
def test_wait_is_read_in_either_language_whatever_its_case_or_full_stop(texting, sold_out, word):
    reply = texting(word, sender=STRANGER).text

    entry = WaitlistEntry.objects.get()
    spanish = "ESPERAR" in word.upper()
    assert entry.language == ("es" if spanish else "en")
    with translation.override(entry.language):
        assert reply.endswith(details_link(entry))
    assert ("lista de espera" in reply) is spanish


def test_wait_twice_keeps_one_place_and_answers_with_the_same_link(texting, sold_out, clinic):
    texting("WAIT", sender=STRANGER)

    reply = texting("WAIT", sender=STRANGER).text

    entry = WaitlistEntry.objects.get()
    assert reply == (
        f"{clinic.name}: you're already number 1 on the waiting list for a $99 spot. Your name and email: "
        f"{details_link(entry)}"
    )
    assert len(auto_replies()) == 2


def test_wait_from_someone_on_the_list_from_the_site_keeps_their_place_in_their_language(texting, sold_out, promotion):
    lucia = Patient(name="Lucía Ruiz", email="lucia@example.com", phone=STRANGER, sms_consent=True, language="es")
    entry = waitlist_join(service=promotion.service, patient=lucia, promotion=promotion)

    reply = texting("WAIT", sender=STRANGER).text

    assert WaitlistEntry.objects.get() == entry
    with translation.override("es"):
        assert reply.startswith(f"{promotion.service.clinic.name}: usted ya tiene el numero 1 en la lista de espera")
        assert reply.endswith(details_link(entry))


def test_wait_when_spots_are_free_says_there_is_nothing_to_wait_for(texting, promotion, clinic):
    take_spots(promotion, 6)

    reply = texting("WAIT", sender=STRANGER).text

    assert not WaitlistEntry.objects.exists()
    assert reply == (
        f"{clinic.name}: no need to wait, 2 of 8 $99 spots are still free. Book yours: {link_for(STRANGER)}"
    )


def test_wait_when_no_offer_is_open_says_there_is_no_list_to_join(texting, clinic):
    reply = texting("ESPERAR", sender=STRANGER).text

    assert not WaitlistEntry.objects.exists()
    assert reply == (
        f"{clinic.name}: por ahora no hay una lista de espera a la cual unirse por texto. Reserve en linea: "
        f"{link_for(STRANGER, 'es')} o llame al {CALL}."
    )


def test_wait_from_a_number_that_opted_out_joins_nothing_and_gets_no_answer(texting, sold_out):
    sms_opt_out(phone=STRANGER, keyword="STOP")

    assert texting("WAIT", sender=STRANGER).text is None

    assert not WaitlistEntry.objects.exists()
    assert len(clinic_alerts()) == 1  # kept for the front desk, as any text from it


# Photos (MMS) ---------------------------------------------------------------------------------------------------


def mms(body: str, count: int = 1) -> dict:
    media = {}
    for n in range(count):
        media[f"MediaUrl{n}"] = f"https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME{n}"
        media[f"MediaContentType{n}"] = "image/jpeg"
    return inbound_params(body, NumMedia=str(count), **media)


def test_a_photo_is_counted_never_fetched_and_the_answer_asks_to_bring_it(
    texting,
    twilio_recorder,
    booking,  # noqa: F811
    clinic,
):
    reply = texting(params=mms("My MRI from last year", 2)).text

    inbound = InboundText.objects.get()
    assert (inbound.body, inbound.media_count) == ("My MRI from last year", 2)
    assert "api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1" not in str(InboundText.objects.values())
    assert reply == (
        "Thanks for your photo. We do not keep photos sent by text: please bring it to your visit. "
        f"{clinic.name} will reply soon. Your booking: {private_link(booking, Purpose.MANAGE)}"
    )
    assert all(r.url.endswith("/Messages.json") and r.method == "POST" for r in twilio_recorder.requests)
    [alert] = clinic_alerts()
    assert "It came with a photo or file, which is not kept here" in alert.body
    assert "MRI" not in alert.body


def test_a_photo_with_no_words_from_someone_new_gets_a_booking_link_too(texting, clinic):
    params = mms("")
    params["From"] = STRANGER

    english, spanish = texting(params=params).text.splitlines()

    assert english.startswith("Thanks for your photo. We do not keep photos sent by text")
    assert english.endswith(f"Book online: {link_for(STRANGER)}")
    assert spanish.startswith("Gracias por su foto. No guardamos fotos enviadas por texto")
    assert InboundText.objects.get().media_count == 1


@pytest.mark.parametrize("count", ["", "abc", "-1", "99999999999999999999"])
def test_a_media_count_twilio_would_never_send_counts_as_none(texting, clinic, count):
    texting("Hello", sender=STRANGER, NumMedia=count)

    assert InboundText.objects.get().media_count == 0


# Bad input: kept and answered, never a 5xx ----------------------------------------------------------------------

BAD_BODIES = {
    "empty": "",
    "spaces": "   \n ",
    "emoji-only": "👍🏽🙏",
    "another-language": "Bonjour, avez-vous des rendez-vous samedi ?",
    "chinese": "你好，我想预约",
    "very-long": "My hip hurts " * 200,
    "nul-character": "Hi\x00 there",
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_odd_texts_are_kept_and_answered_with_the_booking_link(texting, promotion, body):
    answer = texting(body, sender=STRANGER)

    assert answer.response.status_code == 200
    english, spanish = answer.text.splitlines()
    assert link_for(STRANGER) in english and link_for(STRANGER, "es") in spanish
    inbound = InboundText.objects.get()
    assert inbound.body == body.replace("\x00", "")[:1600]
    assert len(inbound.body) <= 1600


def test_a_repeated_delivery_of_a_first_text_is_kept_once_and_answered_once(texting, twilio_recorder, promotion):
    params = inbound_params("Hi, how do I book?", sender=STRANGER)

    first, second = texting(params=params), texting(params=params)

    assert first.text is not None and second.text is None
    assert InboundText.objects.count() == 1
    assert len(auto_replies()) == 1
    assert [r.data["To"] for r in twilio_recorder.texts] == [STRANGER]


def test_a_repeated_wait_delivery_joins_once_and_answers_once(texting, sold_out):
    params = inbound_params("WAIT", sender=STRANGER)

    texting(params=params)
    assert texting(params=params).text is None

    assert WaitlistEntry.objects.count() == 1
    assert len(auto_replies()) == 1


# Every automatic answer fits in two segments in each language --------------------------------------------------

LONG_BASE = "https://book.projectperformancept.com"


def answers(texting, promotion, service, settings, monkeypatch) -> dict[str, str]:
    """Every text-to-claim answer, as sent, at its longest: the clinic's own long name, on its own address (which
    Twilio signs its requests for)."""
    settings.PUBLIC_BASE_URL = LONG_BASE
    monkeypatch.setattr(twilio_texts, "BASE", LONG_BASE)
    sent = {}
    sent["spots"] = texting("Hi", sender="+16195550188").text
    sent["photo, new"] = texting(params={**mms(""), "From": "+16195550189"}).text
    sent["no list, spots"] = texting("WAIT", sender="+16195550190").text
    take_spots(promotion, promotion.spots)
    sent["sold out"] = texting("Hi", sender="+16195550191").text
    joined = [texting(word, sender=f"+161955502{n:02d}").text for n, word in enumerate(["WAIT", "ESPERAR"] * 6)]
    sent["joined"], sent["se unio"] = joined[-2:]  # the 11th and 12th in line
    sent["already"] = texting("WAIT", sender="+16195550210").text
    sent["ya en la lista"] = texting("ESPERAR", sender="+16195550211").text
    visit = booking_create(
        slot_id=SlotFactory(service=service, starts_at=local(date(2026, 4, 29), 12, 45)).pk,
        patient=Patient(name="Maximiliano Castañeda", email="max@example.com", phone="+16195550192", language="es"),
        quoted_price_cents=175_00,
    )
    sent["photo, visit"] = texting(params={**mms(""), "From": visit.phone}).text
    promotion.is_active = False
    promotion.save()
    sent["no list"] = texting("WAIT", sender="+16195550193").text
    sent["no hay lista"] = texting("ESPERAR", sender="+16195550195").text
    sent["no offer"] = texting("Hi", sender="+16195550194").text
    return sent


def test_every_answer_fits_in_two_gsm7_segments_in_each_language(
    texting, promotion, service, settings, monkeypatch, clinic
):
    assert clinic.name == "Project Performance Physical Therapy"

    for name, text in answers(texting, promotion, service, settings, monkeypatch).items():
        assert text and "[[" not in text, (name, text)
        assert LONG_BASE + "/" in text, (name, text)
        for part in text.splitlines():
            assert is_gsm7(part), (name, part)
            assert segments(part) <= 2, (name, len(part), part)
