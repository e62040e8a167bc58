"""The patients' private links open their bookings and answers: staff screens and logs show that one was
used, never the link itself."""

import logging
import re

# The token runs to the next slash, query, fragment, quote, bracket or space: with or without a slash after it.
PRIVATE_LINKS = re.compile(r"/(intake|manage|waitlist/claim)/[^/?#\s'\"<>]+")


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
