"""Ready-made texts the front desk sends a patient: each written in the patient's language, with the clinic's
facts filled in as they are now. Staff read them by an English name; the patient reads the text."""

from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clinic.models import Clinic


@dataclass(frozen=True)
class Canned:
    key: str
    name: str  # as staff read it
    text: Promise  # in the patient's language: str() under their language, then .format(**facts)


CANNED = (
    Canned(
        "late", "Running late", _("We’re running about 10 minutes behind. Thank you for your patience; see you soon.")
    ),
    Canned("call", "Please call us", _("Please call us at {phone} when you can. Thank you!")),
    Canned("directions", "Directions and parking", _("We’re at {address}. {parking} Map: {map}")),
)


def canned_texts(clinic: Clinic, language: str) -> dict[str, tuple[str, str]]:
    """Each ready-made text by its key: (its name for staff, the text as the patient reads it)."""
    with translation.override(language):
        facts = {
            "phone": clinic.phone_display,
            "address": clinic.address_line,
            "map": clinic.map_link,
            "parking": " ".join(clinic.translated.parking_note.split()),
        }
        return {canned.key: (canned.name, " ".join(str(canned.text).format(**facts).split())) for canned in CANNED}
