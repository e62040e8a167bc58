"""The pieces of an email that look different in its two parts, written once in its template (templates/emails/).

A template is rendered twice (notifications/emails.py): by the "text" engine for the plain-text part, and by the
escaping engine for the HTML part. These tags tell the two apart by that escaping, so HTML is only ever made where
every value around it is escaped. In the HTML, what they make stands as a block of its own (blank lines around it).
"""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from notifications.emails import button_html, html_block

register = template.Library()


@register.simple_tag(takes_context=True)
def button(context, label: str, url: str, *, primary: bool = False) -> str:
    """A link to follow: in the text part the label and, on a line of its own, the link; in the HTML a button
    (the link only in its href, however long)."""
    if not context.autoescape:
        return f"{label}:\n{url}"
    return button_html(label, url, primary=primary)


@register.simple_tag(takes_context=True)
def calendar_buttons(context) -> str:
    """ "Add to Google Calendar" and "Add to Outlook" (booking/calendar.py: no private link in them), in the HTML
    only: their addresses are too long for the text, which has the attached calendar file or the booking's link."""
    links = context.get("calendar_links")
    if not context.autoescape or not links:
        return ""
    return mark_safe(
        button_html(gettext("Add to Google Calendar"), links["google"])
        + button_html(gettext("Add to Outlook"), links["outlook"])
    )


class DetailsNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context) -> str:
        text = self.nodelist.render(context)
        if not context.autoescape:
            return text
        # Rendered with escaping: each piece of each line is escaped already.
        rows = [line.partition(":") for line in text.splitlines() if line.strip()]
        rows = [(mark_safe(label.strip()), mark_safe(value.strip())) for label, _, value in rows]
        return html_block(render_to_string("emails/_details.html", {"rows": rows}, using="django"))


@register.tag
def details(parser, token):
    """Lines of "Label: value" (When, Where, What, Price): as written in the text part, a table in the HTML."""
    nodelist = parser.parse(("enddetails",))
    parser.delete_first_token()
    return DetailsNode(nodelist)
