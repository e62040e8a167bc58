"""The questionnaire in Spanish, at /es/intake/...: its steps, its mistakes, the safety screen and the urgent-care
advice read naturally in Spanish; the same pages at /intake/... stay in English."""

import pytest

from .helpers import ANSWERS, SCREEN, STEP_NAMES, answer_steps, done_url, html, post_step, step_url, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

URGENT_ES = (
    "El entumecimiento en la zona genital o de los glúteos, o una dificultad nueva para controlar la orina o las "
    "evacuaciones, puede necesitar atención urgente."
)
GO_NOW_ES = "no espere a su cita con nosotros: vaya a una sala de emergencias o llame al 911."
CALM_ES = "Le llamaremos antes de su cita para hablarlo con calma; por ahora no tiene que hacer nada."


def es(url: str) -> str:
    return f"/es{url}"


def answer_in_spanish(client, booking, steps) -> None:
    for step in steps:
        response = client.post(es(step_url(booking, step)), ANSWERS[step])
        assert response.status_code == 302, response.content.decode()
        assert response["Location"].startswith("/es/"), response["Location"]


def test_the_first_step_reads_in_spanish(client, booking):
    response = client.get(es(step_url(booking, "about")))

    assert response.status_code == 200
    root = html(response)
    assert root.find("html").attrs["lang"] == "es"
    page = text(response)
    assert "Sobre usted" in root.find("h1").text
    assert "Antes de su visita · paso 1 de 6" in page
    for words in (
        "Fecha de nacimiento",
        "Mes",
        "Día",
        "Año",
        "Nombre del contacto de emergencia",
        "Teléfono del contacto de emergencia",
        "¿Cómo supo de nosotros? (opcional)",
        "Femenino",
        "Prefiero no decirlo",
        "Guardar y continuar",
        "Guardar y terminar después",
        "Solo nuestros profesionales clínicos leen sus respuestas.",
    ):
        assert words in page, words
    for english in ("About you", "Date of birth", "Save and continue", "Before your visit", "Only our clinicians"):
        assert english not in page, english


def test_a_spanish_step_with_mistakes_says_so_in_spanish(client, booking):
    response = client.post(es(step_url(booking, "pain")), {"pain_now": "3"})

    assert response.status_code == 400
    summary = html(response).find("div", **{"class": "error-summary"})
    assert summary.find("h2").text == "Hay un problema"
    assert "Todavía no se guardó nada de este paso." in summary.text
    assert [a.text for a in summary.find_all("a")] == [
        "Díganos dónde le duele: elija por lo menos una zona.",
        "Díganos desde hace cuánto tiempo le duele.",
        "Díganos cuánto le duele en el peor momento, del 0 al 10.",
        "Elija sí o no.",
    ]
    assert html(response).find("title").text.startswith("Error: Su dolor")


def test_the_safety_screen_asks_each_question_in_spanish(client, booking):
    answer_in_spanish(client, booking, STEP_NAMES[:4])

    page = text(client.get(es(step_url(booking, "screen"))))

    assert "Unas preguntas sobre su seguridad" in page
    assert "¿Tiene entumecimiento u hormigueo en las piernas?" in page
    assert "¿Tiene entumecimiento u hormigueo en la zona genital o de los glúteos" in page
    assert "¿Ha notado, desde hace poco, cambios al orinar o al evacuar?" in page
    assert "¿Tiene fiebre o se siente mal en general?" in page
    assert "¿Ha tenido una caída o un accidente recientemente?" in page
    assert "Do you have" not in page and "saddle" not in page


@pytest.mark.parametrize("flag", ["flag_saddle_numbness", "flag_bladder_bowel"])
def test_an_urgent_yes_gets_the_urgent_care_advice_in_spanish(
    client, booking, django_capture_on_commit_callbacks, flag
):
    answer_in_spanish(client, booking, STEP_NAMES[:4])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(es(step_url(booking, "screen")), {**SCREEN, flag: "True"})
    assert response["Location"] == es(step_url(booking, "consent"))

    for page in (text(client.get(response["Location"])), text(client.get(es(done_url(booking))))):
        assert "Gracias por contarnos." in page
        assert CALM_ES in page
        assert URGENT_ES in page
        assert GO_NOW_ES in page
        assert "emergency department" not in page


def test_a_yes_that_is_not_urgent_gets_only_the_calm_message_in_spanish(
    client, booking, django_capture_on_commit_callbacks
):
    answer_in_spanish(client, booking, STEP_NAMES[:4])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(es(step_url(booking, "screen")), {**SCREEN, "flag_fall": "True"})

    page = text(client.get(es(step_url(booking, "consent"))))

    assert CALM_ES in page
    assert "911" not in page and "urgente" not in page


def test_an_urgent_yes_kept_for_later_gets_the_advice_in_spanish(client, booking):
    answer_in_spanish(client, booking, STEP_NAMES[:4])

    response = client.post(es(step_url(booking, "screen")), {"flag_saddle_numbness": "True", "finish": "1"})

    assert response["Location"] == es(done_url(booking))
    page = text(client.get(response["Location"]))
    assert URGENT_ES in page and GO_NOW_ES in page
    assert "Envíe las preguntas sobre su seguridad en cuanto pueda" in page


def test_the_finished_questionnaire_thanks_the_patient_in_spanish(client, booking):
    answer_in_spanish(client, booking, STEP_NAMES)

    page = text(client.get(es(done_url(booking))))

    assert "Gracias, Dana" in page
    assert "Ya recibimos su cuestionario. Nos vemos el jueves, 9 de abril a las 10:00 a. m." in page


def test_the_same_pages_stay_in_english_without_es(client, booking, django_capture_on_commit_callbacks):
    answer_steps(client, booking, STEP_NAMES[:4])
    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, booking, "screen", {**SCREEN, "flag_saddle_numbness": "True"})

    page = text(client.get(step_url(booking, "consent")))

    assert "Goals and consent" in page
    assert (
        "Numbness between your legs, or new trouble controlling your bladder or bowels, can need urgent care." in page
    )
    assert "go to an emergency department or call 911" in page
    assert "urgente" not in page and "Gracias" not in page
