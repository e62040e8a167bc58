"""The consent wording in Spanish: version 1 of each document has it, a patient on the Spanish pages reads it
(or the English wording of a version that has none, marked as English), and the clinicians see which wording
each signature was given for.

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego; the visit is Thursday 10:00 AM.
"""

import pytest

from assessments.models import ConsentDocument, Intake

from .helpers import ANSWERS, STEP_NAMES, answer_steps, html, publish, step_url, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

Kind = ConsentDocument.Kind
ENGLISH_ONLY = "## What we do\nVersion two of the consent: we now also test your running on a treadmill."


def es(url: str) -> str:
    return f"/es{url}"


def wording(response):
    """The consent step's quoted wording: its section, and the block holding the text itself."""
    section = html(response).find("section", **{"class": "q-document"})
    return section, next(div for div in section.find_all("div") if "lang" in div.attrs)


def sign_in_spanish(client, booking, **consent) -> Intake:
    for step in STEP_NAMES:
        data = {**ANSWERS[step], **consent} if step == "consent" else ANSWERS[step]
        assert client.post(es(step_url(booking, step)), data).status_code == 302
    return Intake.objects.get(booking=booking)


def signed_rows(client, intake, clinician) -> dict[str, tuple[str, str]]:
    """What the clinician's answers page says of each consent box ("Yes (version 1)"), and where its link goes."""
    client.force_login(clinician)
    page = html(client.get(f"/admin/assessments/intake/{intake.pk}/change/"))
    rows = {}
    for label in ("I consent to evaluation and treatment.", "I have read the Notice of Privacy Practices."):
        [row] = [tr for tr in page.find_all("tr") if label in tr.text]
        answer = " ".join(row.text.split()).removeprefix(label).split(" · ")[0].strip()
        rows[label] = (answer, row.find("a").attrs["href"])
    return rows


def test_version_one_of_each_has_its_wording_in_spanish_too():
    privacy = ConsentDocument.objects.get(kind=Kind.PRIVACY, version=1)
    treatment = ConsentDocument.objects.get(kind=Kind.TREATMENT, version=1)

    for essential in ("## Sus derechos", "Oficina de Derechos Civiles", "Nunca vendemos su información"):
        assert essential in privacy.body_es
    for essential in ("fisioterapeutas con licencia", "## Beneficios y riesgos", "no es médico"):
        assert essential in treatment.body_es
    assert "licensed physical therapists" in treatment.body  # the English, as it was published


def test_the_spanish_consent_step_quotes_the_spanish_wording(client, booking):
    response = client.get(es(step_url(booking, "consent")))

    section, body = wording(response)
    assert section.find("h2").text == "Consentimiento para la evaluación y el tratamiento"
    assert body.attrs["lang"] == "es"
    assert "Al marcar la casilla de abajo, usted acepta" in body.text
    assert [h3.text for h3 in body.find_all("h3")][:2] == ["Lo que hacemos", "Beneficios y riesgos"]
    assert "licensed physical therapists" not in text(response)
    privacy_link = html(response).by_id("id_privacy_acknowledged_helptext").find("a")
    assert privacy_link.attrs["href"] == "/es/privacy-practices/1/"


def test_the_english_consent_step_still_quotes_the_english_wording(client, booking):
    section, body = wording(client.get(step_url(booking, "consent")))

    assert body.attrs["lang"] == "en"
    assert "licensed physical therapists" in body.text
    assert "fisioterapeutas" not in section.text


def test_the_spanish_privacy_page_reads_the_notice_in_spanish(client, clinic):
    response = client.get("/es/privacy-practices/1/")

    assert response.status_code == 200
    root = html(response)
    assert root.find("div", **{"class": "q-document-body"}).attrs["lang"] == "es"
    headings = [h2.text for h2 in root.find("main").find_all("h2")]
    assert headings[:2] == ["Nuestro compromiso", "Cómo la usamos y la compartimos"]
    assert "Office for Civil Rights" not in text(response)


def test_a_version_published_without_spanish_shows_its_english_on_the_spanish_pages(client, booking):
    publish(Kind.TREATMENT, ENGLISH_ONLY)

    section, body = wording(client.get(es(step_url(booking, "consent"))))
    page = html(client.get("/es/consent-to-treatment/"))

    assert "Versión 2" in section.text  # the page around it stays Spanish
    assert body.attrs["lang"] == "en"  # the wording is marked as English, for screen readers
    assert "treadmill" in body.text  # the English, never an empty box
    assert page.find("div", **{"class": "q-document-body"}).attrs["lang"] == "en"
    assert "treadmill" in page.find("main").text


def test_a_spanish_signature_is_kept_with_the_spanish_wording_it_was_given_for(client, booking, clinician):
    intake = sign_in_spanish(client, booking)

    assert intake.signed_language == "es"
    rows = signed_rows(client, intake, clinician)
    assert rows["I consent to evaluation and treatment."] == (
        "Yes (version 1, read in Spanish)",
        "/es/consent-to-treatment/1/",
    )
    assert rows["I have read the Notice of Privacy Practices."][1] == "/es/privacy-practices/1/"


def test_a_spanish_signature_of_a_version_without_spanish_was_given_for_its_english(client, booking, clinician):
    publish(Kind.TREATMENT, ENGLISH_ONLY)

    intake = sign_in_spanish(client, booking, treatment_version="2")

    rows = signed_rows(client, intake, clinician)
    assert rows["I consent to evaluation and treatment."] == (
        "Yes (version 2)",
        "/consent-to-treatment/2/",
    )
    assert "read in Spanish" in rows["I have read the Notice of Privacy Practices."][0]  # version 1 has Spanish


def test_an_english_signature_stays_as_it_was_shown_to_staff(client, booking, clinician):
    answer_steps(client, booking, STEP_NAMES)
    intake = Intake.objects.get(booking=booking)

    assert intake.signed_language == "en"
    assert signed_rows(client, intake, clinician)["I consent to evaluation and treatment."] == (
        "Yes (version 1)",
        "/consent-to-treatment/1/",
    )


def test_a_signature_from_before_languages_were_kept_reads_as_english(client, booking, clinician):
    answer_steps(client, booking, STEP_NAMES)
    Intake.objects.filter(booking=booking).update(signed_language="")

    rows = signed_rows(client, Intake.objects.get(booking=booking), clinician)

    assert rows["I have read the Notice of Privacy Practices."] == (
        "Yes (version 1)",
        "/privacy-practices/1/",
    )
