"""How an email looks: its HTML part and its calendar file, made as it is queued and kept with it (outbox.py).

The HTML says what the text says, because it is the same template (templates/emails/<kind>.txt) and the same
context, rendered a second time by the escaping engine. Its blank-line paragraphs become paragraphs, and what
the template's tags make (email_tags: buttons, the visit's details) stands as it is; so any notice, written as
plain text alone, gets the HTML treatment too, a private link alone on its line becoming a button.

Links to the patient's own pages are placeholders here too (booking/links.py), filled in as the email leaves.
"""

import re

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from booking.calendar import booking_ics
from booking.links import PLACEHOLDER, Purpose
from booking.models import Booking
from clinic.models import Clinic

from .models import Message

Kind = Message.Kind

# What a link to the patient's own page says where the text has only the link.
LINK_LABELS = {
    Purpose.MANAGE: _("Manage your visit"),
    Purpose.INTAKE: _("Answer the questionnaire"),
    Purpose.CLAIM: _("Claim this place"),
}

# The notices of a change to the visit carry it as a calendar file: booked, moved (the same event, updated),
# cancelled (the event taken out).
CALENDAR_KINDS = (Kind.CONFIRMATION, Kind.RESCHEDULE, Kind.CANCELLATION)

PARAGRAPH = '<p style="margin:0 0 16px;">{}</p>'
LINK = '<a href="{}" style="color:#7c0f12;">{}</a>'
BLANK_LINES = re.compile(r"\n[ \t]*\n")


def email_html(kind: str, context: dict, *, subject: str) -> str:
    """The HTML part of an email of this kind, from the context its text was rendered with."""
    fragment = render_to_string(f"emails/{kind}.txt", context, using="django")
    return _page(_blocks(fragment), subject=subject, clinic=context["clinic"])


def html_from_text(text: str, *, subject: str, clinic: Clinic | None) -> str:
    """An HTML part made from the text alone, for an email queued without one (before they were kept)."""
    return _page(_blocks(escape(text)), subject=subject, clinic=clinic)


def email_calendar(kind: str, booking: Booking | None) -> str:
    """The calendar file an email of this kind carries, as it is when queued; "" for none."""
    if booking is None or kind not in CALENDAR_KINDS:
        return ""
    return booking_ics(booking).decode()


def calendar_filename(message: Message) -> str:
    return f"visit-{message.booking.reference}.ics" if message.booking else "visit.ics"


def html_block(html: str) -> SafeString:
    """Markup standing as a block of its own among the paragraphs: blank lines around it, none inside."""
    lines = (line.strip() for line in html.splitlines())
    return mark_safe("\n\n" + "\n".join(line for line in lines if line) + "\n\n")


def button_html(label: str, url: str, *, primary: bool = False) -> SafeString:
    context = {"label": label, "url": url, "primary": primary}
    return html_block(render_to_string("emails/_button.html", context, using="django"))


def _label(purpose: str) -> str:
    return str(LINK_LABELS.get(purpose, gettext("Open your link")))


def _page(body: SafeString, *, subject: str, clinic: Clinic | None) -> str:
    return render_to_string("emails/base.html", {"body": body, "subject": subject, "clinic": clinic}, using="django")


def _blocks(fragment: str) -> SafeString:
    """The rendered template's paragraphs (between blank lines) as HTML.

    The fragment was rendered with escaping, so a chunk starting with "<" was made by a tag (no value, and none
    of the templates' own words, starts with one); the rest are the templates' words and escaped values.
    """
    blocks = []
    for chunk in BLANK_LINES.split(fragment.strip()):
        chunk = chunk.strip()
        if chunk.startswith("<"):
            blocks.append(chunk)
        elif chunk:
            blocks.extend(_paragraphs(chunk))
    return mark_safe("\n".join(blocks))


def _paragraphs(chunk: str) -> list[str]:
    """One paragraph, its lines kept; a private link alone on its line becomes a button, as email_tags' do."""
    blocks, lines = [], []
    for line in chunk.splitlines():
        line = line.strip()
        lone = PLACEHOLDER.fullmatch(line)
        if lone:
            if lines:
                blocks.append(format_html(PARAGRAPH, mark_safe("<br>\n".join(lines))))
                lines = []
            blocks.append(button_html(_label(lone[1]), line).strip())
        else:
            lines.append(_links(line))
    if lines:
        blocks.append(format_html(PARAGRAPH, mark_safe("<br>\n".join(lines))))
    return blocks


def _links(line: str) -> str:
    """A line of escaped text, with the patient's links and the site's own addresses as links (nothing a patient
    typed becomes one): named, not spelled out."""
    line = PLACEHOLDER.sub(lambda match: format_html(LINK, match[0], _label(match[1])), line)
    site = re.escape(escape(settings.PUBLIC_BASE_URL))
    # The site's address itself, then a path or nothing: https://book.example.com.evil.net is not the site.
    own_address = site + r"(?:[/?#][^\s<>\"']*)?(?![^\s<>\"'])"
    return re.sub(
        own_address,
        lambda match: format_html(LINK, mark_safe(match[0]), mark_safe(match[0].split("://")[-1])),
        line,
    )
