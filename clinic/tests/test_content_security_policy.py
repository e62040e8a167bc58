"""Every page is served with a Content-Security-Policy that forbids inline scripts and styles, and keeps to it."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/book/", "/admin/login/", "/healthz"])
def test_pages_forbid_inline_scripts_and_styles_and_framing(client, service, url):
    policy = directives(client.get(url))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    # A confirmed form may go on to Stripe Checkout by redirect; nowhere else.
    assert policy["form-action"] == ["'self'", "https://checkout.stripe.com"]


def test_no_page_template_has_an_inline_script_style_or_event_handler():
    pages = [p for p in TEMPLATES.rglob("*.html") if "emails" not in p.parts]  # email clients need inline styles
    assert len(pages) > 20
    offenders = [f"{p.relative_to(TEMPLATES)}: {m.group(0)}" for p in pages for m in INLINE.finditer(p.read_text())]
    assert not offenders, offenders
