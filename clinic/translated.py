"""The clinic's own words in the reader's language.

What staff type in the admin for patients to read (a service's name and description, an offer's headline, the
parking note, a practitioner's bio, the consent wording) is kept in English and, beside it, in Spanish: the
field `<field>_es`. A patient reads the text of the active language where staff filled it in, and the English
one where they did not, so a missing translation shows the English text, never an empty one. Pages are rendered
in the language of their address, and messages under their patient's (translation.override), so both read the
words the same way: `row.translated.<field>`.
"""

from django.conf import settings
from django.utils import translation

ENGLISH = settings.LANGUAGE_CODE


def language_of(row, field: str) -> str:
    """The language `field` of `row` reads in now: the active one where its text is filled in, else English."""
    language = (translation.get_language() or ENGLISH).split("-")[0]
    if language != ENGLISH and str(getattr(row, f"{field}_{language}", "")).strip():
        return language
    return ENGLISH


def in_language(row, field: str) -> str:
    """`field` of `row` in the active language, or in English where that one is empty."""
    language = language_of(row, field)
    return getattr(row, field if language == ENGLISH else f"{field}_{language}")


class InLanguage:
    """A row's translated fields, each read in the active language (with the English fallback) when looked up."""

    def __init__(self, row, fields: tuple[str, ...]):
        self._row, self._fields = row, fields

    def __getattr__(self, name: str) -> str:
        if name.startswith("_") or name not in self._fields:
            raise AttributeError(f"{type(self._row).__name__}.{name} has no translation")
        return in_language(self._row, name)


class Translated:
    """For a model whose `translated_fields` each have a twin in Spanish (`<field>_es`): `row.translated.name`
    is its name as the reader should read it. The English field itself stays what staff see."""

    translated_fields: tuple[str, ...] = ()

    @property
    def translated(self) -> InLanguage:
        return InLanguage(self, self.translated_fields)
