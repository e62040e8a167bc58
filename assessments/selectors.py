"""Reads of the intake's wording: the Notice of Privacy Practices and the consent to treatment, as published."""

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from .models import ConsentDocument

# The largest version number the column holds: a bigger one in an address is simply not found.
LARGEST_VERSION = 2**31 - 1


@dataclass(frozen=True)
class LiveDocuments:
    """The versions a patient reads and signs now (None where none is published)."""

    treatment: ConsentDocument | None = None
    privacy: ConsentDocument | None = None


def _published():
    return ConsentDocument.objects.filter(published_at__isnull=False)


def consent_documents_live() -> LiveDocuments:
    """The latest published version of each document, in one query."""
    latest = _published().filter(kind=OuterRef("kind")).order_by("-version").values("version")[:1]
    documents = {document.kind: document for document in _published().filter(version=Subquery(latest))}
    return LiveDocuments(
        treatment=documents.get(ConsentDocument.Kind.TREATMENT), privacy=documents.get(ConsentDocument.Kind.PRIVACY)
    )


def consent_document_published(*, kind: str, version: int | None = None) -> ConsentDocument | None:
    """One published version of a document (the latest without `version`), or None."""
    documents = _published().filter(kind=kind).order_by("-version")
    if version is None:
        return documents.first()
    if not 1 <= version <= LARGEST_VERSION:
        return None
    return documents.filter(version=version).first()
