"""The clinic's own words in Spanish (clinic/translated.py): staff type them in English and in Spanish in the
admin; a patient reads them in the language of the page, and the English wherever the Spanish is left empty.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
"""

import pytest
from django.utils import translation

from booking.links import manage_path
from booking.rules import Patient
from booking.services import booking_create
from booking.tests.pages import DANA, PROMO_DAY, page, slot_at
from clinic.tests.factories import PractitionerFactory
from clinic.tests.html import html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ENGLISH = {
    "name": "Active Back & Hip Reset Assessment",
    "summary": "For runners whose low back or hip hurts as the miles go up.",
    "items": ["We film your stride", "We test your single-leg control"],
    "headline": "Launch week for runners",
    "bio": "Brandon helps San Diego runners get back to pain-free miles.",
    "parking": "Free parking in the building’s lot.",
}
SPANISH = {
    "name": "Evaluación activa de espalda y cadera",
    "summary": "Para corredores a quienes les duele la espalda baja o la cadera cuando aumentan las millas.",
    "items": ["Grabamos su zancada", "Evaluamos su control en una sola pierna"],
    "headline": "Semana de lanzamiento para corredores",
    "bio": "Brandon ayuda a los corredores de San Diego a volver a sumar millas sin dolor.",
    "parking": "Estacionamiento gratuito en el lote del edificio.",
}


@pytest.fixture
def words(clinic, service, promotion):
    """The clinic's words in English and in Spanish, as staff typed them; Brandon is on the offer page."""
    clinic.parking_note, clinic.parking_note_es = ENGLISH["parking"], SPANISH["parking"]
    clinic.save()
    service.name, service.name_es = ENGLISH["name"], SPANISH["name"]
    service.summary, service.summary_es = ENGLISH["summary"], SPANISH["summary"]
    service.includes, service.includes_es = "\n".join(ENGLISH["items"]), "\n".join(SPANISH["items"])
    service.save()
    promotion.headline, promotion.headline_es = ENGLISH["headline"], SPANISH["headline"]
    promotion.save()
    PractitionerFactory(clinic=clinic, featured=True, bio=ENGLISH["bio"], bio_es=SPANISH["bio"])
    return service


def offer_page_words(response) -> dict:
    """The clinic's words as the offer page shows them."""
    root = html(response)
    return {
        "name": root.find("p", **{"class": "offer-name"}).text.rsplit(",", 1)[0],
        "summary": root.find("section", **{"class": "assessment"}).find("p").text,
        "items": [li.text for li in root.find("ul", **{"class": "includes"}).find_all("li")],
        "headline": root.find("section", **{"class": "assessment"}).find_all("p")[1].text.rstrip("."),
        "bio": root.find("div", **{"class": "person-text"}).find("p").text,
        "parking": root.find("p", **{"class": "parking"}).text,
    }


# The mechanism ----------------------------------------------------------------------------------------------


def test_a_field_reads_in_the_active_language_and_in_english_where_it_is_empty_or_blank(words):
    service = words
    with translation.override("es"):
        assert service.translated.name == SPANISH["name"]
        service.name_es = "   "
        assert service.translated.name == ENGLISH["name"]
        service.summary_es = ""
        assert service.translated.summary == ENGLISH["summary"]
    with translation.override("en"):
        assert service.translated.includes == service.includes
    assert service.name == ENGLISH["name"]  # the field itself stays what staff read


def test_only_a_translated_field_is_read_through_translated(words):
    with pytest.raises(AttributeError):
        _ = words.translated.regular_price_cents


# The pages --------------------------------------------------------------------------------------------------


def test_the_spanish_offer_page_shows_the_clinics_words_in_spanish(client, words):
    response = client.get("/es/")

    assert offer_page_words(response) == SPANISH
    assert html(response).find("title").text.startswith(SPANISH["name"])
    text = page(response).text
    for english in ENGLISH.values():
        for phrase in english if isinstance(english, list) else [english]:
            assert phrase not in text, phrase


def test_the_english_offer_page_keeps_the_english_words(client, words):
    response = client.get("/")

    assert offer_page_words(response) == ENGLISH


def test_words_left_empty_in_spanish_show_in_english_on_the_spanish_page_never_nothing(client, words, clinic):
    words.name_es = words.summary_es = words.includes_es = ""
    words.save()
    words.promotions.update(headline_es=" ")
    clinic.parking_note_es = ""
    clinic.save()
    clinic.practitioners.update(bio_es="")

    assert offer_page_words(client.get("/es/")) == ENGLISH


def test_the_spanish_booking_pages_name_the_service_in_spanish(client, words):
    slot = slot_at(words, PROMO_DAY, 10)

    days = client.get("/es/book/")
    held = client.post(f"/es/book/time/{slot.pk}/")
    details = client.get(held.url)
    review = client.get(client.post(held.url, DANA).url)

    assert f"{SPANISH['name']}, 60 minutos." in page(days).text
    for response in (details, review):
        assert f"{SPANISH['name']} · 60 minutos" in page(response).text
        assert ENGLISH["name"] not in page(response).text


def test_a_spanish_bookings_own_page_names_the_service_in_spanish(client, words):
    patient = Patient(name="Lucía Hernández", email="lucia@example.com", phone="+16195550123", language="es")
    booking = booking_create(slot_id=slot_at(words, PROMO_DAY, 10).pk, patient=patient, quoted_price_cents=99_00)
    with translation.override("es"):
        path = manage_path(booking)

    response = client.get(path)

    assert path.startswith("/es/manage/")
    assert f"{SPANISH['name']} · 60 minutos" in page(response).text
    with translation.override("en"):
        assert ENGLISH["name"] in page(client.get(manage_path(booking))).text


# The admin -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/admin/booking/service/{service}/change/", ["name", "summary", "includes"]),
        ("/admin/booking/promotion/{promotion}/change/", ["name", "headline"]),
        ("/admin/clinic/clinic/{clinic}/change/", ["parking_note"]),
        ("/admin/clinic/practitioner/{practitioner}/change/", ["bio"]),
    ],
)
def test_the_manager_edits_each_text_in_english_and_in_spanish(client, manager, words, clinic, url, fields):
    ids = {
        "service": words.pk,
        "promotion": words.promotions.get().pk,
        "clinic": clinic.pk,
        "practitioner": clinic.practitioners.get().pk,
    }
    client.force_login(manager)

    root = html(client.get(url.format(**ids)))

    for name in fields:
        english, spanish = root.by_id(f"id_{name}"), root.by_id(f"id_{name}_es")
        assert english is not None and spanish is not None, name
        label = root.find("label", **{"for": f"id_{name}_es"}).text
        assert "Spanish" in label, label


def test_the_service_saved_in_the_admin_keeps_its_spanish(client, manager, words, clinic):
    client.force_login(manager)
    form = {
        "clinic": clinic.pk,
        "duration_minutes": 60,
        "regular_price_cents": 175_00,
        "is_active": "on",
        "name": ENGLISH["name"],
        "summary": ENGLISH["summary"],
        "includes": "\n".join(ENGLISH["items"]),
        "name_es": "Evaluación de la carrera",
        "summary_es": "",
        "includes_es": "",
    }

    response = client.post(f"/admin/booking/service/{words.pk}/change/", form)

    assert response.status_code == 302
    words.refresh_from_db()
    assert (words.name, words.name_es, words.summary_es) == (ENGLISH["name"], "Evaluación de la carrera", "")
    assert offer_page_words(client.get("/es/"))["name"] == "Evaluación de la carrera"
