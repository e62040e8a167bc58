"""A patient's email and mobile as the rules compare them, and the countries the clinic texts.

`alice+2@example.com`, `Alice@Example.com` and, at Gmail, `a.lice@gmail.com` all reach one inbox:
rules that allow one of something per patient compare the canonical form. The address itself is
kept as typed, because that is where messages go.
"""

import difflib

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext, pgettext

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
# The inboxes most patients type, for the "did you mean" hint; and endings mistyped for .com, .net and .org.
COMMON_DOMAINS = [
    "gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com", "live.com", "msn.com",
    "me.com", "comcast.net", "sbcglobal.net", "att.net", "cox.net", "verizon.net", "protonmail.com", "ymail.com",
]  # fmt: skip
TLD_TYPOS = {"con": "com", "cmo": "com", "comm": "com", "cpm": "com", "vom": "com", "ocm": "com", "nte": "net"}
TLD_TYPOS |= {"ent": "net", "ogr": "org", "orgg": "org"}


def email_suggestion(email: str) -> str:
    """The address the patient probably meant ("dana@gmial.com" → "dana@gmail.com"), or "" when it looks right."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local:
        return ""
    name, dot, tld = domain.lower().rpartition(".")
    fixed = f"{name}.{TLD_TYPOS.get(tld, tld)}" if dot else domain.lower()
    if fixed not in COMMON_DOMAINS:
        fixed = next(iter(difflib.get_close_matches(fixed, COMMON_DOMAINS, n=1, cutoff=0.8)), fixed)
    return f"{local}@{fixed}" if fixed != domain.lower() else ""


def canonical_email(email: str) -> str:
    """One inbox's one spelling: lowercase, without a `+tag`, and without dots at Gmail."""
    local, at, domain = email.strip().lower().rpartition("@")
    if not at:
        return email.strip().lower()
    local = local.split("+", 1)[0] or local
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


class CanonicalEmail:
    """For a model with `email` and `email_canonical`: saving keeps the second in step with the first."""

    def save(self, *args, **kwargs):
        self.email_canonical = canonical_email(self.email)
        if (fields := kwargs.get("update_fields")) is not None and "email" in fields:
            kwargs["update_fields"] = {*fields, "email_canonical"}
        super().save(*args, **kwargs)


def sms_countries() -> list[str]:
    """The regions (ISO 3166 codes) of the mobiles the clinic texts: SMS_ALLOWED_COUNTRIES."""
    return [code.strip().upper() for code in settings.SMS_ALLOWED_COUNTRIES if code.strip()]


def sms_allowed(phone: str) -> bool:
    """Whether a text may go to this E.164 number: only to the countries the clinic texts."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.region_code_for_number(number) in sms_countries()


def sms_countries_named() -> str:
    """The countries the clinic texts, in words: "the US and Canada"."""
    names = {"US": pgettext("a country, after 'in'", "the US"), "CA": pgettext("a country, after 'in'", "Canada")}
    named = [names.get(code, code) for code in sms_countries()]
    if len(named) == 1:
        return named[0]
    return gettext("%(some)s and %(last)s") % {"some": ", ".join(named[:-1]), "last": named[-1]}
