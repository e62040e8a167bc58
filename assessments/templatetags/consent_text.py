"""The wording of a consent document as HTML: plain text written in the admin, with paragraphs, headings and lists."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
BREAK = mark_safe("<br>")


def _block(lines: list[str], heading: int) -> SafeString:
    """One block of lines, every line escaped."""
    if lines[0].startswith("## "):
        title = format_html("<h{}>{}</h{}>", heading, lines[0][3:].strip(), heading)
        return title + _block(lines[1:], heading) if lines[1:] else title  # a heading right above its text
    if all(line.startswith("- ") for line in lines):
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((line[2:].strip(),) for line in lines)))
    return format_html("<p>{}</p>", format_html_join(BREAK, "{}", ((line,) for line in lines)))


@register.filter
def document_body(text: str, heading: int = 2) -> SafeString:
    """Blank lines part paragraphs; "## " starts a heading (of level `heading`); lines starting "- " make a list."""
    blocks, lines = [], []
    for line in [*str(text).replace("\r\n", "\n").split("\n"), ""]:
        if line.strip():
            lines.append(line.strip())
        elif lines:
            blocks.append(_block(lines, int(heading)))
            lines = []
    return format_html_join("", "{}", ((block,) for block in blocks))
