"""Spanish under /es/: the catalogs, choosing the language, and the booking pages in Spanish."""

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_create
from booking.tests.pages import DANA, PROMO_DAY, page, slot_at
from clinic.catalogs import compiled, extract_all, po_path, read

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

PATIENT = Patient(name="Dana Cruz", email="dana@example.com", phone="+18585550199", language="es")


# The catalogs ---------------------------------------------------------------------------------------------


def test_every_message_of_the_spanish_catalog_is_translated_and_none_is_fuzzy():
    catalog = read("es")
    untranslated = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.id, tuple) else m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, untranslated
    assert not fuzzy, fuzzy


def test_the_compiled_catalog_is_the_spanish_catalog_compiled():
    assert po_path("es").with_suffix(".mo").read_bytes() == compiled(read("es")), "run: manage.py catalogs"


def test_the_catalog_holds_every_message_the_sources_mark():
    marked = {(m.id, m.context) for m in extract_all() if m.id}
    kept = {(m.id, m.context) for m in read("es") if m.id}
    assert marked <= kept, f"run: manage.py catalogs ({len(marked - kept)} new): {sorted(marked - kept)[:10]}"


def test_a_message_missing_from_the_catalog_falls_back_to_english():
    with translation.override("es"):
        assert translation.gettext("A sentence no catalog has") == "A sentence no catalog has"
        assert translation.gettext("Choose a time") == "Elija una hora"


# Choosing the language -------------------------------------------------------------------------------------


def test_english_stays_at_the_plain_addresses_and_spanish_is_under_es(client, service, promotion):
    day = f"/book/{PROMO_DAY}/"
    slot_at(service, PROMO_DAY, 10)

    english, spanish = client.get(day), client.get(f"/es{day}")

    assert "Choose a time." in page(english).text
    assert "Elija una hora." in page(spanish).text
    assert '<html lang="es">' in spanish.content.decode()
    assert '<html lang="en">' in english.content.decode()


@pytest.mark.parametrize("path", ["/fr/book/", "/xx/", "/de/booking/resend-link/"])
def test_an_unknown_language_in_the_address_is_the_friendly_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "We can’t find that page" in page(response).text


def test_a_first_visit_from_a_phone_that_prefers_spanish_goes_to_the_spanish_page(client, service):
    response = client.get("/book/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5")
    assert (response.status_code, response["Location"]) == (302, "/es/book/")
    assert client.get("/book/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").status_code == 200


def test_a_first_visit_sent_to_the_spanish_page_keeps_its_query_string(client, service):
    response = client.get("/book/?utm_source=newsletter&utm_medium=email", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    assert (response.status_code, response["Location"]) == (302, "/es/book/?utm_source=newsletter&utm_medium=email")


def test_english_chosen_by_its_link_is_kept_over_the_phones_preference(client, service):
    chosen = client.get("/book/?lang=en", HTTP_ACCEPT_LANGUAGE="es")
    later = client.get("/book/", HTTP_ACCEPT_LANGUAGE="es")

    assert chosen.status_code == 200 and later.status_code == 200  # no redirect back to Spanish
    assert client.cookies["django_language"].value == "en"


def test_every_patient_page_links_to_itself_in_the_other_language_and_names_both(client, service, promotion):
    slot_at(service, PROMO_DAY, 10)
    response = client.get(f"/es/book/{PROMO_DAY}/")
    markup = response.content.decode()

    assert (f"/book/{PROMO_DAY}/?lang=en", "English") in page(response).links
    assert f'hreflang="en" href="http://testserver/book/{PROMO_DAY}/"' in markup
    assert f'hreflang="es" href="http://testserver/es/book/{PROMO_DAY}/"' in markup


def test_staff_pages_and_webhooks_have_no_spanish_address(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    for path in ["/es/admin/", "/es/webhooks/stripe/", "/es/webhooks/twilio/sms/"]:
        assert Client().post(path).status_code == 404, path
    assert Client().post("/webhooks/stripe/").status_code == 400  # there, and unsigned


# Booking in Spanish ---------------------------------------------------------------------------------------

ENGLISH = ["Choose a time", "Your details", "Review booking", "Step 2 of 3", "Full name", "Mobile phone", "minutes"]


def test_a_patient_booking_in_spanish_sees_spanish_and_is_written_to_in_it(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    day = client.get(f"/es/book/{PROMO_DAY}/")
    held = client.post(f"/es/book/time/{slot.pk}/")
    details = client.get(held.url)
    review = client.get(client.post(held.url, DANA).url)

    assert held.url.startswith("/es/book/held/")
    for response in (day, details, review):
        text = page(response).text
        assert not [phrase for phrase in ENGLISH if phrase in text], text
    assert "miércoles, 8 de abril a las 10:00 a. m." in page(details).text
    assert "Nombre completo" in page(details).text
    assert "El pago de $99 se hace en la cita." in page(review).text
    assert Booking.objects.get().language == "es"


def test_mistakes_in_the_spanish_details_form_are_explained_in_spanish(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    held = client.post(f"/es/book/time/{slot.pk}/")

    response = client.post(held.url, {**DANA, "name": "", "phone": "abc"})

    assert response.status_code == 400
    assert "Escriba su nombre completo." in page(response).text
    assert "Escriba un número de celular como (619) 555-0123." in page(response).text


def test_mixed_language_input_is_kept_as_typed(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    held = client.post(f"/es/book/time/{slot.pk}/")

    client.post(held.url, {**DANA, "name": "José Ñúñez O'Brien"})

    assert Booking.objects.get().patient_name == "José Ñúñez O'Brien"


def test_a_spanish_patients_private_links_open_their_pages_in_spanish(
    service, promotion, django_capture_on_commit_callbacks
):
    slot = slot_at(service, PROMO_DAY, 10)
    with django_capture_on_commit_callbacks(execute=True):
        booking_create(slot_id=slot.pk, patient=PATIENT, quoted_price_cents=99_00, online=False)

    [email] = [m for m in mail.outbox if m.to == ["dana@example.com"]]
    assert "/es/manage/" in email.body


def test_the_spanish_404_is_in_spanish(client):
    response = client.get("/es/no-such-page/")
    assert response.status_code == 404
    assert "No encontramos esa página" in page(response).text


def test_the_code_step_of_a_spanish_discounted_booking_is_in_spanish(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    held = client.post(f"/es/book/time/{slot.pk}/")
    review = client.get(client.post(held.url, DANA).url)
    quoted = next(c for c in page(review).controls if c.get("name") == "quoted_price_cents")["value"]

    verify = client.get(client.post(held.url + "confirm/", {"quoted_price_cents": quoted}).url)
    wrong = client.post(verify.wsgi_request.path, {"code": "12"})

    assert "Revise sus mensajes de texto" in page(verify).text
    assert "El código de 6 dígitos" in page(verify).text
    assert "El código tiene 6 dígitos, como 123456." in page(wrong).text


def test_a_tab_whose_spanish_hold_was_given_back_says_so_in_spanish(client, service, promotion):
    first, second = slot_at(service, PROMO_DAY, 10), slot_at(service, PROMO_DAY, 11)
    first_tab = client.post(f"/es/book/time/{first.pk}/").url
    client.post(f"/es/book/time/{second.pk}/")  # in another tab

    response = client.get(first_tab)

    assert response.status_code == 409
    assert "Eligió el miércoles, 8 de abril a las 11:00 a. m. en otra ventana" in page(response).text


def test_one_oclock_is_singular_on_the_spanish_pages(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 13)
    held = client.post(f"/es/book/time/{slot.pk}/")

    text = page(client.get(held.url)).text

    assert "miércoles, 8 de abril a la 1:00 p. m." in text
    assert "hasta las 8:15 a. m." in text  # the hold, from 8:00 AM
    assert "las 1:00" not in text


def test_a_fault_on_a_spanish_page_is_told_in_spanish(settings):
    settings.ROOT_URLCONF = "clinic.tests.urls_with_a_fault"
    response = Client(raise_request_exception=False).get("/es/test-fault/")

    assert response.status_code == 500
    assert '<html lang="es">' in response.content.decode()
    assert "Algo salió mal de nuestro lado" in page(response).text
    assert ("/es/", "Ir al inicio") in page(response).links


def test_a_bookings_status_by_its_reference_alone_is_in_spanish(client, service, promotion):
    booking = booking_create(
        slot_id=slot_at(service, PROMO_DAY, 10).pk, patient=PATIENT, quoted_price_cents=99_00, online=False
    )

    text = page(client.get(f"/es/booking/{booking.reference}/")).text

    assert f"Reserva {booking.reference}" in text
    assert "Esta reserva está confirmada." in text


def test_a_mobile_the_clinic_cannot_text_or_a_link_for_a_name_is_explained_in_spanish(client, service, promotion):
    held = client.post(f"/es/book/time/{slot_at(service, PROMO_DAY, 10).pk}/")

    response = client.post(held.url, {"name": "www.example.com", "email": "a@example.com", "phone": "+44 7400 123456"})

    assert response.status_code == 400
    assert "Escriba solo su nombre, sin direcciones web" in page(response).text
    assert "Solo podemos enviar mensajes de texto a celulares de Estados Unidos y Canadá." in page(response).text


def test_a_refusal_of_the_booking_rules_is_told_in_spanish(client, service, promotion):
    """A time asked for (its code awaited) stops the choice of another: ONE_HOLD, in the page's language."""
    held = client.post(f"/es/book/time/{slot_at(service, PROMO_DAY, 10).pk}/")
    review = client.get(client.post(held.url, DANA).url)
    quoted = next(c for c in page(review).controls if c.get("name") == "quoted_price_cents")["value"]
    client.post(held.url + "confirm/", {"quoted_price_cents": quoted})

    response = client.post(f"/es/book/time/{slot_at(service, PROMO_DAY, 11).pk}/")

    assert response.status_code == 409
    assert "Ya tiene una hora apartada. Termine esa reserva" in page(response).text
