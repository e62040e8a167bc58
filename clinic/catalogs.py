"""The translation catalogs in locale/, made and checked in Python alone (Babel), without the gettext tools.

`extract_all()` reads every message marked for translation: Python files through Babel, templates (HTML pages,
and the text templates of emails and texts) through Django's own `templatize`, which turns a template into
the gettext calls `makemessages` would see. `update()` merges them into each language's django.po, keeping
the translations made (an entry no longer used is dropped), and writes the compiled django.mo beside it.
"""

from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from django.conf import settings
from django.utils.translation.template import templatize

BASE = Path(settings.BASE_DIR)
APPS = ["clinic", "booking", "assessments", "waitlist", "notifications", "frontdesk", "config"]
TEMPLATES = BASE / "templates"
# The catalogs' header dates stay put: a catalog changes only when its messages do.
STAMP = datetime(2026, 12, 1, tzinfo=UTC)
KEYWORDS = {
    "gettext": None,
    "gettext_lazy": None,
    "_": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


def _python_messages(source: bytes, path: Path):
    for lineno, message, comments, context in extract(
        "python", BytesIO(source), keywords=KEYWORDS, comment_tags=["Translators:"]
    ):
        yield path, lineno, message, comments, context


def extract_all() -> Catalog:
    """Every message the sources mark for translation."""
    catalog = Catalog(project="clinic", charset="utf-8", creation_date=STAMP)
    found = []
    for app in APPS:
        for path in sorted((BASE / app).rglob("*.py")):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            found += _python_messages(path.read_bytes(), path)
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix in {".html", ".txt"} and "admin" not in path.relative_to(TEMPLATES).parts:
            code = templatize(path.read_text(), origin=str(path))
            found += _python_messages(code.encode(), path)
    for path, lineno, message, comments, context in found:
        catalog.add(message, locations=[(str(path.relative_to(BASE)), lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(language: str) -> Path:
    return BASE / "locale" / language / "LC_MESSAGES" / "django.po"


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as f:
        return read_po(f, locale=language)


def compiled(catalog: Catalog) -> bytes:
    out = BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def update(language: str) -> Catalog:
    """Bring the language's catalog up to the sources, and compile it."""
    template = extract_all()
    path = po_path(language)
    if path.exists():
        catalog = read(language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
    else:
        catalog = Catalog(locale=language, project="clinic", charset="utf-8", creation_date=STAMP)
        catalog.update(template, no_fuzzy_matching=True)
    catalog.revision_date, catalog.fuzzy = STAMP, False
    catalog.msgid_bugs_address, catalog.last_translator = "", "The clinic"
    catalog.language_team, catalog.copyright_holder, catalog.project = language, "The clinic", "clinic"
    catalog.header_comment = f"# The clinic's patient pages, emails and texts in {language}: `manage.py catalogs`."
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=120, omit_header=False, sort_output=False)
    path.with_suffix(".mo").write_bytes(compiled(read(language)))
    return catalog


def fill(language: str, translations: dict) -> int:
    """Put translations ({msgid: msgstr}, or {singular msgid: [singular, plural]} for a plural; a message with a
    context may be keyed "context\x04msgid", as gettext keys it) into the language's catalog, and compile it; how
    many were put."""
    catalog = read(language)
    put = 0
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if message.context and f"{message.context}\x04{key}" in translations:
            key = f"{message.context}\x04{key}"
        if message.id and key in translations:
            value = translations[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
            put += 1
    with po_path(language).open("wb") as f:
        write_po(f, catalog, width=120, omit_header=False, sort_output=False)
    po_path(language).with_suffix(".mo").write_bytes(compiled(read(language)))
    return put
