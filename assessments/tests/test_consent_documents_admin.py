"""The manager writes the privacy notice and the consent to treatment in the admin: a draft, then a published
version that never changes. No other role may."""

import pytest
from django.contrib import messages as django_messages
from django.contrib.messages import get_messages

from assessments.models import ConsentDocument
from assessments.services import ConsentDocumentError, consent_document_publish

from .helpers import html, text

pytestmark = pytest.mark.django_db

LIST = "/admin/assessments/consentdocument/"
ADD = f"{LIST}add/"
Kind = ConsentDocument.Kind


def change_url(document) -> str:
    return f"{LIST}{document.pk}/change/"


def act(client, action, documents):
    return client.post(LIST, {"action": action, "_selected_action": [d.pk for d in documents]}, follow=True)


def notices(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in get_messages(response.wsgi_request)]


def live(kind: str) -> ConsentDocument:
    return ConsentDocument.objects.filter(kind=kind, version__isnull=False).order_by("-version").first()


@pytest.mark.parametrize("role", ["front_desk", "clinician"])
def test_no_role_but_the_manager_opens_the_wording(request, client, role):
    client.force_login(request.getfixturevalue(role))
    first = live(Kind.PRIVACY)

    for url in (LIST, ADD, change_url(first)):
        assert client.get(url).status_code == 403, url
    assert client.post(ADD, {"kind": "privacy", "body": "Nothing is private."}).status_code == 403
    assert act(client, "publish", [first]).status_code == 403
    assert ConsentDocument.objects.count() == 2


def test_the_manager_starts_a_draft_from_the_current_wording_and_publishes_it_as_version_two(client, manager):
    client.force_login(manager)
    first = live(Kind.PRIVACY)
    first_body = first.body

    add_page = html(client.get(ADD, {"kind": "privacy"}))
    assert add_page.by_id("id_body").text == " ".join(first_body.split())  # (the reader joins lines)
    added = client.post(ADD, {"kind": "privacy", "body": "## Our promise\nWe keep it private, now with video."})
    assert added.status_code == 302
    draft = ConsentDocument.objects.get(version__isnull=True)
    assert (draft.kind, draft.published_at) == (Kind.PRIVACY, None)
    assert live(Kind.PRIVACY) == first  # patients still read version 1
    assert "Draft: patients do not see it" in text(client.get(LIST))

    response = act(client, "publish", [draft])

    draft.refresh_from_db()
    assert (draft.version, draft.published_by) == (2, manager)
    published = "Published Notice of Privacy Practices, version 2: patients read and sign it from now on."
    assert notices(response) == [(django_messages.SUCCESS, published)]
    assert live(Kind.PRIVACY) == draft
    first.refresh_from_db()
    assert (first.version, first.body) == (1, first_body)
    assert "now with video" in text(client.get("/privacy-practices/"))
    listing = text(client.get(LIST))
    assert "Patients read this one" in listing and "Earlier version" in listing


def test_a_published_version_can_be_read_but_never_changed_or_deleted(client, manager):
    client.force_login(manager)
    first = live(Kind.TREATMENT)
    body = first.body

    page = client.get(change_url(first))
    changed = client.post(change_url(first), {"kind": "treatment", "body": "Something else entirely."})
    deleted = client.post(f"{LIST}{first.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert html(page).by_id("id_body") is None  # read-only: no box to type in
    assert changed.status_code == 403
    assert deleted.status_code == 403
    first.refresh_from_db()
    assert (first.body, first.version) == (body, 1)
    actions = client.get(LIST).context["action_form"].fields["action"].choices
    assert "delete_selected" not in {name for name, _ in actions}


def test_a_draft_can_be_changed_and_deleted_before_it_is_published(client, manager):
    client.force_login(manager)
    draft = ConsentDocument.objects.create(kind=Kind.TREATMENT, body="First try.")

    assert client.post(change_url(draft), {"kind": "treatment", "body": "Second try."}).status_code == 302
    draft.refresh_from_db()
    assert draft.body == "Second try."
    assert client.post(f"{LIST}{draft.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not ConsentDocument.objects.filter(pk=draft.pk).exists()


def test_publishing_a_published_version_again_is_refused_with_a_message(client, manager):
    client.force_login(manager)
    first = live(Kind.PRIVACY)

    response = act(client, "publish", [first])

    assert notices(response) == [
        (
            django_messages.ERROR,
            "Notice of Privacy Practices, version 1 is published already. To change it, copy it into a new draft.",
        )
    ]
    assert ConsentDocument.objects.filter(kind=Kind.PRIVACY).count() == 1


def test_an_empty_draft_is_not_published():
    draft = ConsentDocument.objects.create(kind=Kind.PRIVACY, body="   ")

    with pytest.raises(ConsentDocumentError, match="has no wording yet"):
        consent_document_publish(document_id=draft.pk, user=None)


def test_copying_a_version_opens_a_new_draft_with_its_wording(client, manager):
    client.force_login(manager)
    first = live(Kind.TREATMENT)

    response = act(client, "copy_into_new_draft", [first])

    copy = ConsentDocument.objects.get(version__isnull=True)
    assert (copy.kind, copy.body) == (Kind.TREATMENT, first.body)
    assert response.redirect_chain[-1][0] == change_url(copy)


def test_the_change_page_previews_the_wording_as_patients_see_it(client, manager):
    client.force_login(manager)
    draft = ConsentDocument.objects.create(kind=Kind.PRIVACY, body="## Heading\n- one <i>item</i>")

    preview = html(client.get(change_url(draft))).find("div", **{"class": "readonly"})

    assert preview.find("h3").text == "Heading"
    assert preview.find("li").text == "one <i>item</i>"


# In English and in Spanish ---------------------------------------------------------------------------------------


def test_the_manager_writes_the_wording_in_english_and_in_spanish_side_by_side(client, manager):
    client.force_login(manager)

    page = html(client.get(ADD, {"kind": "treatment"}))
    added = client.post(ADD, {"kind": "treatment", "body": "We treat you.", "body_es": "Le damos tratamiento."})

    assert [h2.text for h2 in page.find_all("h2")][:2] == ["English", "Spanish"]
    assert page.by_id("id_body_es").text.startswith("Al marcar la casilla de abajo")  # from the current version
    assert added.status_code == 302
    draft = ConsentDocument.objects.get(version__isnull=True)
    assert (draft.body, draft.body_es) == ("We treat you.", "Le damos tratamiento.")
    preview = text(client.get(change_url(draft)))
    assert "Le damos tratamiento." in preview


def test_publishing_fixes_the_spanish_wording_with_the_english(client, manager):
    client.force_login(manager)
    draft = ConsentDocument.objects.create(kind=Kind.PRIVACY, body="We keep it private.", body_es="Es privado.")
    act(client, "publish", [draft])

    page = client.get(change_url(draft))
    changed = client.post(
        change_url(draft), {"kind": "privacy", "body": "We keep it private.", "body_es": "Otra cosa."}
    )

    assert html(page).by_id("id_body_es") is None and "Es privado." in text(page)  # read-only, as the English
    assert changed.status_code == 403
    draft.refresh_from_db()
    assert (draft.version, draft.body, draft.body_es) == (2, "We keep it private.", "Es privado.")


def test_a_copy_into_a_new_draft_keeps_the_spanish_wording_to_change(client, manager):
    client.force_login(manager)
    first = live(Kind.PRIVACY)

    act(client, "copy_into_new_draft", [first])

    copy = ConsentDocument.objects.get(version__isnull=True)
    assert (copy.body, copy.body_es) == (first.body, first.body_es)
    assert copy.body_es.startswith("Este aviso explica")
