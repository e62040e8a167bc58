"""The Notice of Privacy Practices and the consent to treatment: shown on the consent step and on public pages,
versioned, and the versions a patient signed kept with the signature, whatever is published later.

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego; the visit is Thursday 10:00 AM.
"""

import pytest

from assessments.forms import WORDING_CHANGED
from assessments.models import ConsentDocument, Intake
from assessments.selectors import consent_documents_live
from assessments.templatetags.consent_text import document_body

from .helpers import (
    CONSENT,
    FRIENDLY_404,
    STEP_NAMES,
    answer_steps,
    error_next_to,
    html,
    intake_row,
    post_step,
    publish,
    step_url,
    text,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

Kind = ConsentDocument.Kind
NEW_TREATMENT = "## What we do\nVersion two of the consent: we now also test your running on a treadmill."
NEW_PRIVACY = "## Our promise\nVersion two of the notice, with a new paragraph about video."


def version(kind: str, number: int) -> ConsentDocument:
    return ConsentDocument.objects.get(kind=kind, version=number)


# Version 1, from the migration ---------------------------------------------------------------------------------


def test_version_one_of_each_is_published_in_plain_english():
    live = consent_documents_live()

    assert (live.privacy.version, live.treatment.version) == (1, 1)
    privacy, treatment = live.privacy.body, live.treatment.body
    for essential in (
        "## How we use and share it",
        "## Your rights",
        "copy of your records",
        "never sell your information",
        "tell you promptly if a breach",
        "Office for Civil Rights",
        "California law",
    ):
        assert essential in privacy
    for essential in ("licensed physical therapists", "## Benefits and risks", "say no to any test", "not a doctor"):
        assert essential in treatment


# The consent step --------------------------------------------------------------------------------------------


def test_the_consent_step_quotes_the_treatment_wording_and_links_the_privacy_notice(client, booking):
    response = client.get(step_url(booking, "consent"))

    root = html(response)
    wording = root.find("section", **{"class": "q-document"})
    assert wording.find("h2").text == "Consent to evaluation and treatment"
    assert "Version 1" in wording.text
    assert "licensed physical therapists" in wording.text
    assert [h3.text for h3 in wording.find_all("h3")][:2] == ["What we do", "Benefits and risks"]
    consent_help = root.by_id("id_consent_treatment_helptext").text
    assert consent_help == "The wording above, version 1."
    assert root.by_id("id_consent_treatment").attrs["aria-describedby"] == "id_consent_treatment_helptext"
    privacy_help = root.by_id("id_privacy_acknowledged_helptext")
    assert privacy_help.find("a").attrs["href"] == "/privacy-practices/1/"
    assert privacy_help.find("a").text == "Read the Notice of Privacy Practices"
    hidden = {el.attrs["name"]: el.attrs["value"] for el in root.find_all("input", type="hidden")}
    assert (hidden["treatment_version"], hidden["privacy_version"]) == ("1", "1")


def test_signing_keeps_the_versions_read_with_the_signature(client, booking):
    answer_steps(client, booking, STEP_NAMES)

    intake = Intake.objects.get(booking=booking)
    assert intake.signed_treatment_consent == version(Kind.TREATMENT, 1)
    assert intake.signed_privacy_notice == version(Kind.PRIVACY, 1)
    assert intake.signature_name == "Dana Cruz"


def test_a_version_published_after_signing_leaves_the_signed_one_on_the_intake(client, booking, manager):
    answer_steps(client, booking, STEP_NAMES)
    first = version(Kind.TREATMENT, 1)
    first_body = first.body

    second = publish(Kind.TREATMENT, NEW_TREATMENT, by=manager)

    intake = Intake.objects.get(booking=booking)
    assert second.version == 2
    assert intake.signed_treatment_consent == first
    first.refresh_from_db()
    assert (first.body, first.version) == (first_body, 1)
    # Back on the consent step, the new wording shows and waits to be agreed to.
    root = html(client.get(step_url(booking, "consent")))
    assert "treadmill" in root.find("section", **{"class": "q-document"}).text
    assert "checked" not in root.by_id("id_consent_treatment").attrs
    assert "checked" in root.by_id("id_privacy_acknowledged").attrs  # that one did not change
    post_step(client, booking, "consent", {**CONSENT, "treatment_version": "2"})
    assert Intake.objects.get(booking=booking).signed_treatment_consent == second


def test_a_consent_step_kept_to_finish_later_keeps_its_boxes_as_checked(client, booking):
    post_step(client, booking, "consent", {"consent_treatment": "on", "privacy_acknowledged": "on", "finish": "1"})

    root = html(client.get(step_url(booking, "consent")))

    assert "checked" in root.by_id("id_consent_treatment").attrs
    assert "checked" in root.by_id("id_privacy_acknowledged").attrs


def test_a_version_published_while_the_page_is_open_asks_the_patient_to_read_it_again(client, booking):
    answer_steps(client, booking, STEP_NAMES[:-1])
    client.get(step_url(booking, "consent"))  # shows version 1
    publish(Kind.PRIVACY, NEW_PRIVACY)
    before = intake_row(booking)

    response = post_step(client, booking, "consent")  # agreed to version 1

    assert response.status_code == 400
    assert error_next_to(response, "privacy_acknowledged") == WORDING_CHANGED
    assert intake_row(booking) == before
    root = html(response)
    hidden = {el.attrs["name"]: el.attrs["value"] for el in root.find_all("input", type="hidden")}
    assert hidden["privacy_version"] == "2"  # sending the page again agrees to what it now shows
    assert post_step(client, booking, "consent", {**CONSENT, "privacy_version": "2"}).status_code == 302
    assert Intake.objects.get(booking=booking).signed_privacy_notice.version == 2


@pytest.mark.parametrize("posted", ["", "0", "2", "one", "99999999999999999999", "1.0"])
def test_a_missing_or_forged_version_is_refused_with_a_message(client, booking, posted):
    data = {name: value for name, value in CONSENT.items() if name != "treatment_version"}
    if posted:
        data["treatment_version"] = posted

    response = post_step(client, booking, "consent", data)

    assert response.status_code == 400
    assert error_next_to(response, "consent_treatment") == WORDING_CHANGED
    assert not Intake.objects.filter(booking=booking).exists()


def test_without_published_wording_the_consent_step_still_signs(client, booking):
    Intake.objects.all().delete()
    ConsentDocument.objects.all().delete()

    page = html(client.get(step_url(booking, "consent")))
    response = post_step(client, booking, "consent")

    assert page.find("section", **{"class": "q-document"}) is None
    assert response.status_code == 302
    intake = Intake.objects.get(booking=booking)
    assert (intake.signed_treatment_consent, intake.signed_privacy_notice) == (None, None)
    assert intake.signed_at is not None


# The public pages ------------------------------------------------------------------------------------------------


def test_the_privacy_practices_page_shows_the_current_notice_with_whom_to_ask(client, clinic):
    response = client.get("/privacy-practices/")

    assert response.status_code == 200
    root = html(response)
    assert root.find("h1").text == "Notice of Privacy Practices"
    assert "Version 1, in effect from" in text(response)
    headings = [h2.text for h2 in root.find("main").find_all("h2")]
    assert headings[:3] == ["Our promise", "How we use and share it", "When the law allows or requires us to share it"]
    assert headings[-1] == "Our Privacy Officer"
    assert "(619) 268-1397" in text(response)
    assert root.find("main").find("ul").find("li") is not None


def test_an_earlier_version_stays_readable_as_it_was_and_points_to_the_current_one(client, clinic):
    original = version(Kind.PRIVACY, 1).body
    publish(Kind.PRIVACY, NEW_PRIVACY)

    current = client.get("/privacy-practices/")
    earlier = client.get("/privacy-practices/1/")

    assert "Version 2" in text(current) and "new paragraph about video" in text(current)
    assert "earlier version" not in text(current)
    assert "This is an earlier version, kept as it was." in text(earlier)
    assert html(earlier).find("a", href="/privacy-practices/2/") is not None
    assert "new paragraph about video" not in text(earlier)
    assert version(Kind.PRIVACY, 1).body == original


def test_the_consent_to_treatment_has_its_page_too(client, clinic):
    response = client.get("/consent-to-treatment/1/")

    assert response.status_code == 200
    assert html(response).find("h1").text == "Consent to evaluation and treatment"
    assert "licensed physical therapists" in text(response)


@pytest.mark.parametrize(
    "path", ["/privacy-practices/0/", "/privacy-practices/2/", "/privacy-practices/99999999999999999999/"]
)
def test_a_version_that_is_not_published_is_the_friendly_404(client, clinic, path):
    ConsentDocument.objects.create(kind=Kind.PRIVACY, body="A draft nobody may read yet.")

    response = client.get(path)

    assert response.status_code == 404
    assert FRIENDLY_404 in text(response)
    assert "draft nobody" not in response.content.decode()


def test_a_draft_is_never_shown_to_patients(client, booking):
    ConsentDocument.objects.create(kind=Kind.TREATMENT, body="A draft nobody may read yet.")

    for path in ("/consent-to-treatment/", step_url(booking, "consent")):
        assert "draft nobody" not in client.get(path).content.decode()


def test_without_a_published_notice_its_page_is_the_friendly_404(client, clinic):
    ConsentDocument.objects.all().delete()

    assert client.get("/privacy-practices/").status_code == 404


# The staff's answers --------------------------------------------------------------------------------------------


def test_the_clinicians_answers_and_print_show_the_versions_signed(client, booking, clinician):
    answer_steps(client, booking, STEP_NAMES)
    publish(Kind.TREATMENT, NEW_TREATMENT)
    intake = Intake.objects.get(booking=booking)
    client.force_login(clinician)

    change = html(client.get(f"/admin/assessments/intake/{intake.pk}/change/"))
    printed = client.get(f"/staff/intakes/{booking.pk}/print/")

    [row] = [tr for tr in change.find_all("tr") if "I consent to evaluation and treatment." in tr.text]
    assert "Yes (version 1)" in row.text
    assert row.find("a").attrs["href"] == "/consent-to-treatment/1/"
    [privacy] = [tr for tr in change.find_all("tr") if "I have read the Notice of Privacy Practices." in tr.text]
    assert privacy.find("a").attrs["href"] == "/privacy-practices/1/"
    printed_text = text(printed)
    assert "I consent to evaluation and treatment. Yes (version 1)" in printed_text
    assert "I have read the Notice of Privacy Practices. Yes (version 1)" in printed_text


# The wording's markup -------------------------------------------------------------------------------------------


def test_the_wording_is_escaped_and_read_as_paragraphs_headings_and_lists():
    body = "Intro line one\nline two\n\n## Rights & <duties>\n- first <b>item</b>\n- second\n\n<script>x</script>"

    assert str(document_body(body, 3)) == (
        "<p>Intro line one<br>line two</p>"
        "<h3>Rights &amp; &lt;duties&gt;</h3>"
        "<ul><li>first &lt;b&gt;item&lt;/b&gt;</li><li>second</li></ul>"
        "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    )
