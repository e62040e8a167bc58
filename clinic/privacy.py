"""The patients' private links open their bookings, answers and places on a waiting list: staff screens and logs
show that one was used, never the link itself."""

import logging
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The token runs to the next slash, query, fragment, quote, bracket or space: with or without a slash after it.
PRIVATE_LINKS = re.compile(
    r"/(intake|manage|waitlist/claim|waitlist/leave|waitlist/details|book/texted)/[^/?#\s'\"<>]+"
)


def mask_private_links(text: str) -> str:
    return PRIVATE_LINKS.sub(r"/\1/[private link]", text)


class MaskPrivateLinks(logging.Filter):
    """For the log handlers: "Not Found: /manage/<token>/move/" is written as "/manage/[private link]/move/"."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_private_links(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def mask_email(email: str) -> str:
    """michael@example.com as m•••@example.com: enough to recognise, not to write to."""
    name, at, domain = email.partition("@")
    return f"{name[:1]}•••{at}{domain}"


def mask_phone(phone: str) -> str:
    """+16195550123 as •••-0123."""
    return f"•••-{phone[-4:]}" if len(phone) > 4 else "•••"


# What a phone or a mail program would turn into a link: a scheme, "www.", a domain ("bit.ly"), an address.
LOOKS_LIKE_A_LINK = re.compile(r"://|www\.|[@/\\<>\[\]{}]|\w\.[a-z]{2,}\b", re.IGNORECASE)


def validate_person_name(value: str) -> None:
    """A name goes into texts and emails to the patient, where a link in it would be clickable: none are taken."""
    if LOOKS_LIKE_A_LINK.search(value):
        raise ValidationError(
            _(
                "Please enter just your name: no web or email address, slashes or brackets. "
                "If your name has a dot, leave it out or put a space after it."
            ),
            code="looks_like_a_link",
        )
