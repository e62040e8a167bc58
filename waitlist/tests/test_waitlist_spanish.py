"""The waiting list in Spanish, at /es/waitlist/...: joining it, the page that confirms it, and being told in
Spanish when already on it; the entry keeps the patient's language. The same pages at /waitlist/ stay English."""

import pytest
from django.test import Client

from booking.services import booking_cancel
from booking.tests.pages import does_not_say, says
from notifications.models import Message
from notifications.transports import text_as_sent
from waitlist.models import WaitlistEntry
from waitlist.services import offers_make, waitlist_join_by_text
from waitlist.tests.helpers import DANA, MICHAEL, REGULAR_DAY, full_day, offered_booking

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

DAY_LIST = "/es/waitlist/day/2026-04-20/"


def test_the_join_page_of_a_full_day_reads_in_spanish(client, service):
    full_day(service, REGULAR_DAY)

    response = client.get(DAY_LIST)

    says(response, "Anotarme en la lista de espera")
    says(response, "El lunes, 20 de abril ya no tiene horarios libres.")
    says(response, "se lo apartamos durante")
    says(response, "Nunca enviamos ofertas entre las 9 p. m. y las 8 a. m.")
    says(response, "Envíenme un mensaje de texto cuando se libere un lugar")
    does_not_say(response, "Join the waiting list")
    does_not_say(response, "is fully booked")


def test_the_join_page_of_a_sold_out_offer_reads_in_spanish(client, promotion, sold_out):
    response = client.get(f"/es/waitlist/offer/{promotion.pk}/")

    says(response, "Los 8 lugares a $99 ya están ocupados.")


def test_joining_in_spanish_shows_the_place_in_line_in_spanish_and_keeps_the_language(client, service):
    full_day(service, REGULAR_DAY)

    response = client.post(DAY_LIST, MICHAEL)

    assert (response.status_code, response.url) == (302, "/es/waitlist/joined/")
    assert WaitlistEntry.objects.get().language == "es"
    joined = client.get(response.url)
    says(joined, "Ya está en la lista de espera")
    says(joined, "Usted es el número 1 en espera de un horario el lunes 20 de abril.")
    says(joined, "le enviaremos un mensaje de texto y un correo a michael@example.com")
    does_not_say(joined, "You are number")


def test_joining_twice_in_spanish_says_so_in_spanish(client, service):
    full_day(service, REGULAR_DAY)
    client.post(DAY_LIST, DANA)

    response = Client().post(DAY_LIST, DANA)

    says(response, "Ya está en esta lista de espera: le avisaremos", status=409)


def test_the_english_join_and_joined_pages_are_unchanged(client, service):
    full_day(service, REGULAR_DAY)

    says(client.get("/waitlist/day/2026-04-20/"), "Monday, April 20 is fully booked.")
    client.post("/waitlist/day/2026-04-20/", MICHAEL)

    joined = client.get("/waitlist/joined/")
    says(joined, "You are number 1 waiting for a time on Mon Apr 20.")
    does_not_say(joined, "espera")


def test_the_place_in_line_names_a_sold_out_offer_in_spanish_or_else_in_english(client, promotion, sold_out):
    promotion.name, promotion.name_es = "Launch week", "Semana de lanzamiento"
    promotion.save()
    joined = client.get(client.post(f"/es/waitlist/offer/{promotion.pk}/", DANA).url)
    promotion.name_es = ""
    promotion.save()

    says(joined, "(Semana de lanzamiento)")
    does_not_say(joined, "Launch week")
    says(client.get("/es/waitlist/joined/"), "(Launch week)")


def test_a_place_offered_to_a_spanish_speaker_is_held_and_offered_in_spanish(promotion, sold_out):
    entry, _ = waitlist_join_by_text(promotion=promotion, phone="+16195550171", language="es")
    booking_cancel(booking=sold_out[0], reason="Patient called")

    assert offers_make() == 1

    held = offered_booking(entry)
    assert held.language == "es"  # its claim page, its confirmation and its reminders are Spanish too
    [text] = Message.objects.filter(booking=held, kind=Message.Kind.WAITLIST_OFFER)
    sent = text_as_sent(text)
    assert "/es/waitlist/claim/" in sent
    assert "a spot opened for you" not in sent
