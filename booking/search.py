"""Finding a booking from what the front desk types: its reference, the patient's mobile, email or name.

Each is matched the way an index answers it, so a search stays quick over years of bookings: a reference
by its beginning, a mobile as its E.164 number, an email by its canonical form (clinic/contact.py), a name
by every word of it appearing somewhere in the patient's name (on PostgreSQL, a trigram index serves that).
"""

import re

import phonenumbers
from django.db.models import Q

from clinic.contact import canonical_email

from .models import REFERENCE_ALPHABET, REFERENCE_LENGTH

PHONE_TYPED = re.compile(r"^\+?[\d\s().-]+$")
REFERENCE_TYPED = re.compile(rf"^[{REFERENCE_ALPHABET}]{{6,{REFERENCE_LENGTH}}}$")
SEARCH_HELP = (
    "A reference (or its first six characters or more), a full mobile number, an email address, or a name "
    "(every word you type must be in it)."
)


def typed_phone(text: str) -> str | None:
    """A full phone number as people write it, in E.164; None for anything else (a few digits, a name)."""
    if not PHONE_TYPED.match(text) or len(re.sub(r"\D", "", text)) < 7:
        return None
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def booking_search_q(text: str, prefix: str = "") -> Q | None:
    """The bookings the front desk means by `text` (fields under `prefix`, such as "booking__"); None to
    match nothing. Never an unindexed `%x%` scan but over the name, which the trigram index serves."""
    text = " ".join(text.split())
    if not text:
        return None
    if "@" in text:
        return Q(**{f"{prefix}email_canonical": canonical_email(text)})
    if phone := typed_phone(text):
        return Q(**{f"{prefix}phone": phone})
    found = Q()
    words = text.split()
    if any(char.isalpha() for char in text):
        for word in words:
            found &= Q(**{f"{prefix}patient_name__icontains": word})
    reference = text.replace(" ", "").replace("-", "").upper()
    if REFERENCE_TYPED.match(reference):
        found |= Q(**{f"{prefix}reference__startswith": reference})
    return found or None
