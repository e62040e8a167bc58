"""A patient whose phone is set to Spanish, end to end in Chromium: she opens the clinic's plain address and is
sent to the Spanish pages, books a discounted spot (with the code texted to her), answers the questionnaire from
the link in her email, and moves the visit from the link in her text.

Every page on the way has `lang="es"`, reads in Spanish (none of the English pages' words, times written the
Spanish way) and is checked with axe-core and against the CSP; every email and text she was sent is in Spanish.
"""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import translation
from playwright.sync_api import expect

from assessments.models import ConsentDocument, Intake
from assessments.selectors import consent_documents_live
from assessments.tests.browser import answer
from assessments.tests.helpers import publish
from booking.links import manage_path
from booking.models import Booking
from booking.services import slots_generate
from booking.tests.factories import PromotionFactory, local
from clinic.tests.audit import Audit
from notifications.models import Message
from notifications.transports import text_as_sent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = date(2026, 11, 30)  # the offer's visit week is the next one, Monday December 7 to Friday December 11
LUCIA = {"name": "Lucía Hernández", "email": "lucia@example.com", "mobile": "+16195550123"}

# Words of the English pages on the way (headings, buttons, labels, sentences, dates), matched as whole words in
# any case. None of them is in the clinic's name or address or the patient's name.
ENGLISH = [
    # The clinic's own words, in English in the admin beside their Spanish.
    "Active Back",
    "Launch week",
    "We film your stride",
    "What we do",
    "Our promise",
    "Book",
    "Choose a day",
    "Choose a time",
    "Choose another",
    "Next available",
    "Step",
    "Your details",
    "Full name",
    "Mobile phone",
    "Review",
    "Confirm",
    "Check your texts",
    "You’re booked",
    "See you",
    "Before your visit",
    "Questionnaire",
    "Your answers",
    "Your booking",
    "Your visit",
    "When",
    "Where",
    "Price",
    "Status",
    "Held",
    "Confirmed",
    "Reference",
    "discounted",
    "regular price",
    "regular rate",
    "due at the visit",
    "Pacific time",
    "minutes",
    "Add to your calendar",
    "Change or cancel",
    "Move",
    "Cancel",
    "Continue",
    "Save and",
    "Sign and send",
    "Thank you",
    "Keep my visit",
    "Call",
    "Text",
    "Skip to",
    *["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    *["January", "February", "March", "April", "June", "July", "August", "September", "October", "November"],
    "December",
]
# Times as the English pages write them ("9:00 AM", "7 AM"), and the Spanish way as this site writes it: "9:00 a. m.",
# with one period where the abbreviation ends a sentence.
TIMES_NOT_IN_SPANISH = re.compile(r"\b\d{1,2}(:\d\d)? ?[AP]\.? ?M\b|\b[ap]\.m\.|[ap]\. ?m\.\.")

# What she is sent (texts without accents, as GSM-7 keeps them to 160 characters a segment), and the English
# templates' words, none of which may be in them. The clinic's own messages about her stay in English.
SENT_TO_HER = {
    ("access_code", "sms"): ["su codigo es"],
    ("confirmation", "sms"): ["Lucia, cita confirmada: lun 7 dic, 10:00 a. m.", "Responda BAJA"],
    ("confirmation", "email"): [
        "Su cita está reservada: lun 7 dic, 10:00 a. m.",
        "Hola, Lucía:",
        "Cuándo: lunes, 7 de diciembre de 2026, 10:00 a. m.",
        "Contestar el cuestionario",
    ],
    ("reschedule", "sms"): ["Lucia, su cita cambio al lun 14 dic, 9:00 a. m."],
    ("reschedule", "email"): [
        "Su cita cambió al lun 14 dic, 9:00 a. m.",
        "Su cita del lunes, 7 de diciembre, 10:00 a. m., cambió a:",
        "Cuándo: lunes, 14 de diciembre de 2026, 9:00 a. m.",
    ],
}
ENGLISH_MESSAGE = ["Hi ", "Your visit", "your visit", "booked", "When:", "Where:", "Reply STOP", "questionnaire"]


@pytest.fixture
def offer(service):
    # The clinic's own words, as staff wrote them in Spanish in the admin.
    service.name_es = "Evaluación activa de espalda y cadera"
    service.includes_es = (
        "Grabamos su zancada\nEvaluamos su control en una pierna\nArmamos los ejercicios para su kilometraje"
    )
    service.save()
    with time_machine.travel(local(MONDAY, 9), tick=False):
        promotion = PromotionFactory(
            service=service,
            visit_starts_on=MONDAY + timedelta(days=7),
            visit_ends_on=MONDAY + timedelta(days=11),
            headline_es="Semana de lanzamiento para corredores",
        )
    slots_generate(service=service, start=MONDAY, end=MONDAY + timedelta(days=20))
    return promotion


@pytest.fixture
def wording(db):
    """Version 1 of the consent and the notice (a browser test's database is emptied after each test, the
    migration's rows with it)."""
    live = consent_documents_live()
    if live.treatment is None:
        publish(
            ConsentDocument.Kind.TREATMENT,
            "## What we do\nWe assess and treat you: exercise and advice.",
            body_es="## Lo que hacemos\nLe evaluamos y tratamos: ejercicio y consejos.",
        )
    if live.privacy is None:
        publish(
            ConsentDocument.Kind.PRIVACY,
            "## Our promise\nYour health information is private.",
            body_es="## Nuestro compromiso\nSu información de salud es privada.",
        )


def not_spanish(text: str) -> list[str]:
    found = [phrase for phrase in ENGLISH if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE)]
    return found + [match[0] for match in TIMES_NOT_IN_SPANISH.finditer(text)]


class InSpanish:
    """Checks the page in front of the patient: in Spanish, saying `words`, and clean for axe-core and the CSP."""

    def __init__(self, page):
        self.page, self.audit = page, Audit(page)

    def __call__(self, *words: str) -> None:
        page = self.page
        expect(page.locator("html")).to_have_attribute("lang", "es")
        text = f"{page.title()}\n{page.locator('body').inner_text()}"
        missing = [w for w in words if w not in text]
        assert not missing, f"{page.url}: {missing} not on the page:\n{text}"
        english = not_spanish(text)
        assert not english, f"{page.url}: English on a Spanish page: {english}\n{text}"
        self.audit()


def fill_about(page) -> None:
    born = page.get_by_role("group", name="Fecha de nacimiento")
    born.get_by_label("Mes").fill("3")
    born.get_by_label("Día").fill("14")
    born.get_by_label("Año").fill("1988")
    page.get_by_label("Sexo (opcional)").select_option(label="Femenino")
    page.get_by_label("Nombre del contacto de emergencia").fill("Rosa Hernández")
    page.get_by_label("Teléfono del contacto de emergencia").fill("(619) 555-0177")
    page.get_by_label("¿Cómo supo de nosotros? (opcional)").select_option(label="Un club de corredores o una carrera")


def fill_pain(page) -> None:
    answer(page, "¿Dónde le duele?", "Parte baja de la espalda")
    answer(page, "¿Dónde le duele?", "Cadera")
    answer(page, "¿De qué lado? (opcional)", "Izquierdo")
    answer(page, "¿Desde hace cuánto tiempo le duele?", "De 2 a 6 semanas")
    page.get_by_label("¿Cómo empezó?").fill("Series en subida bajo la lluvia")
    answer(page, "¿Cuánto le duele ahora?", "3")
    answer(page, "¿Cuánto le duele en el peor momento?", "7")
    page.get_by_label("¿Qué lo empeora?").fill("Correr en bajada")
    page.get_by_label("¿Qué lo alivia?").fill("Caminar")
    answer(page, "¿El dolor le despierta por la noche?", "No")


def fill_running(page) -> None:
    page.get_by_label("Años corriendo").fill("9")
    page.get_by_label("Millas por semana ahora").fill("32.5")
    page.get_by_label("Millas por semana en su mejor momento").fill("48")
    page.get_by_label("Carrera más larga reciente (millas)").fill("14")
    page.get_by_label("¿En qué etapa está su plan de entrenamiento? (opcional)").select_option(label="Aumento de carga")
    page.get_by_label("Su próxima carrera (si tiene una)").fill("Medio maratón de Carlsbad")
    page.get_by_label("Fecha de la próxima carrera").fill((MONDAY + timedelta(days=60)).isoformat())
    page.get_by_label("Su distancia").fill("21 km")
    page.get_by_label("Otros deportes").fill("Ciclismo")
    page.get_by_label("Ejercicios de fuerza que hace ahora").fill("Peso muerto dos veces por semana")


def fill_history(page) -> None:
    page.get_by_label("Lesiones y cirugías anteriores").fill("Esguince de tobillo, 2019")
    page.get_by_label("Medicamentos").fill("Ninguno")
    page.get_by_label("Estudios de imagen que ya se hizo").fill("Ninguno")
    page.get_by_label("Otras afecciones de salud").fill("Ninguna")


SCREEN = [
    "¿Tiene entumecimiento u hormigueo en las piernas?",
    "¿Tiene entumecimiento u hormigueo en la zona genital o de los glúteos",
    "¿Tiene debilidad fuerte en las piernas, o una debilidad que va empeorando?",
    "¿Ha notado, desde hace poco, cambios al orinar o al evacuar?",
    "¿Ha bajado de peso sin saber por qué?",
    "¿Tiene fiebre o se siente mal en general?",
    "¿Ha tenido cáncer alguna vez?",
    "¿Ha tenido una caída o un accidente recientemente?",
    "¿Tiene un dolor constante que no se alivia con el reposo?",
]


def fill_screen(page) -> None:
    for question in SCREEN:
        answer(page, question, "No")


def fill_consent(page) -> None:
    page.get_by_label("¿Qué le gustaría lograr con esta visita?").fill("Correr el medio maratón sin dolor")
    page.get_by_label("Doy mi consentimiento para la evaluación y el tratamiento.").check()
    page.get_by_label("He leído el Aviso de Prácticas de Privacidad.").check()
    answer(page, "¿Nos permite grabar en video su forma de correr para la evaluación?", "Sí")
    page.get_by_label("Escriba su nombre completo para firmar").fill("Lucía Hernández")


STEPS = [
    ("Sobre usted", fill_about),
    ("Su dolor", fill_pain),
    ("Sus entrenamientos", fill_running),
    ("Sus antecedentes", fill_history),
    ("Unas preguntas sobre su seguridad", fill_screen),
    ("Objetivos y consentimiento", fill_consent),
]


def link_in(message: Message, page: str) -> str:
    """The path of the private link to `page` ("intake", "manage") in a message, as her phone shows it."""
    return re.search(rf"https?://[^/\s]+(/es/{page}/\S+/)", text_as_sent(message))[1]


def test_a_patient_on_a_spanish_phone_books_answers_and_moves_her_visit_in_spanish(
    spanish_phone_page, live_server, offer, wording, twilio_recorder
):
    page, in_spanish = spanish_phone_page, InSpanish(spanish_phone_page)
    with time_machine.travel(local(MONDAY, 9), tick=True):
        # The clinic's post links to its plain address; her phone asks for Spanish.
        page.goto(live_server.url + "/")
        assert page.url == live_server.url + "/es/"
        in_spanish(
            "Quedan 8 de 8 lugares con descuento",
            "Citas del lunes, 7 de diciembre al viernes, 11 de diciembre",
            "Semana de lanzamiento para corredores",
            "Grabamos su zancada",
        )
        page.get_by_role("link", name="Reserve su evaluación de $99").click()

        expect(page.locator("h1")).to_have_text("Elija un día")
        in_spanish("Paso 1 de 3", "Primer día a $99: lunes, 7 de diciembre")
        page.get_by_role("link", name="lunes, 7 de diciembre: 12 horas, con horas con descuento a $99").click()

        expect(page.locator("h1")).to_have_text("lunes, 7 de diciembre")
        in_spanish("Elija una hora. Las horas están en hora del Pacífico.", "$99 · con descuento")
        page.locator(".time-list button").filter(has_text="10:00 a. m.").click()

        expect(page.locator("h1")).to_have_text("Sus datos")
        in_spanish("Paso 2 de 3", "lunes, 7 de diciembre a las 10:00 a. m.", "Le apartamos esta hora")
        page.get_by_label("Nombre completo").fill(LUCIA["name"])
        page.get_by_label("Correo electrónico").fill(LUCIA["email"])
        page.get_by_label("Celular").fill("(619) 555-0123")
        page.get_by_label("Envíenme por mensaje de texto la confirmación y los recordatorios de mi cita").check()
        page.get_by_role("button", name="Revisar la reserva").click()

        expect(page.locator("h1")).to_have_text("Revise y confirme")
        in_spanish("Paso 3 de 3", "El pago de $99 se hace en la cita.", "Sí, envíenme mensajes sobre esta reserva")
        page.get_by_role("button", name="Confirmar la reserva por $99").click()

        # The discounted spot is hers once she types the code texted to her mobile.
        expect(page.locator("h1")).to_have_text("Revise sus mensajes de texto")
        in_spanish("Le enviamos un código de 6 dígitos por mensaje de texto a su celular")
        page.get_by_label("El código de 6 dígitos").fill(twilio_recorder.code_texted_to(LUCIA["mobile"]))
        page.get_by_role("button", name="Reservar mi cita").click()

        expect(page.locator("h1")).to_have_text("Su cita está reservada, Lucía")
        booking = Booking.objects.get()
        with translation.override("es"):
            assert page.url == live_server.url + manage_path(booking)  # her booking's private page, in Spanish
        in_spanish(
            "Lo esperamos el lunes, 7 de diciembre a las 10:00 a. m.", "Conteste unas preguntas antes de su cita"
        )
        assert (booking.language, booking.status, booking.price_cents) == ("es", "confirmed", 99_00)

        # The questionnaire, from the link in her confirmation email.
        confirmation = Message.objects.get(booking=booking, kind=Message.Kind.CONFIRMATION, channel="email")
        page.goto(live_server.url + link_in(confirmation, "intake"))
        for number, (title, fill) in enumerate(STEPS, start=1):
            expect(page.locator("h1")).to_have_text(title)
            in_spanish(f"Antes de su visita · paso {number} de 6", *(["Lo que hacemos"] if number == 6 else []))
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
            fill(page)
            last = number == len(STEPS)
            page.get_by_role("button", name="Firmar y enviar" if last else "Guardar y continuar").click()
        expect(page.locator("h1")).to_have_text("Gracias, Lucía")
        in_spanish("Ya recibimos su cuestionario.")
        assert Intake.objects.get(booking=booking).completed_at is not None

        # Later, she moves the visit from the link in her confirmation text.
        text = Message.objects.get(booking=booking, kind=Message.Kind.CONFIRMATION, channel="sms")
        page.goto(live_server.url + link_in(text, "manage"))
        expect(page.locator("h1")).to_have_text("Su cita está reservada, Lucía")
        in_spanish("Cambiar o cancelar")
        page.get_by_role("link", name="Cambiar a otra hora").click()

        expect(page.locator("h1")).to_have_text("Elija un día")
        in_spanish("Cambio de su cita del lunes, 7 de diciembre a las 10:00 a. m.")
        page.get_by_role("link", name="lunes, 14 de diciembre: 12 horas").click()

        expect(page.locator("h1")).to_have_text("lunes, 14 de diciembre")
        in_spanish("Elija una hora.")
        page.locator(".time-list a").filter(has_text="9:00 a. m.").first.click()

        expect(page.locator("h1")).to_have_text("Cambiar su cita")
        in_spanish("lunes, 14 de diciembre a las 9:00 a. m.", "$175")
        page.get_by_role("button", name="Cambiar mi cita por $175").click()

        expect(page.locator("h1")).to_have_text("Su cita está reservada, Lucía")
        in_spanish("Lo esperamos el lunes, 14 de diciembre a las 9:00 a. m.")

    booking.refresh_from_db()
    assert (booking.slot.starts_at, booking.price_cents, booking.promotion) == (
        local(date(2026, 12, 14), 9),
        175_00,
        None,
    )
    assert len(in_spanish.audit.pages) == 19  # every page of the journey was checked

    # Everything she was sent, by email and by text, is in Spanish, and its links open the Spanish pages.
    sent = Message.objects.filter(booking=booking, recipient__in=[LUCIA["email"], LUCIA["mobile"]])
    assert sorted((m.kind, m.channel) for m in sent) == sorted(SENT_TO_HER)
    for message in sent:
        words = f"{message.subject}\n{text_as_sent(message)}\n{message.html}"
        missing = [w for w in SENT_TO_HER[message.kind, message.channel] if w not in words]
        english = [phrase for phrase in ENGLISH_MESSAGE if phrase in words]
        assert not missing and not english, f"{message.kind} {message.channel}: {missing} {english}\n{words}"
        if message.kind != Message.Kind.ACCESS_CODE:
            assert re.search(r"https?://\S+/es/manage/", words)
        if message.channel == Message.Channel.EMAIL:
            assert '<html lang="es">' in message.html
