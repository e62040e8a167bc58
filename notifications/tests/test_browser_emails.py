"""Every patient email's HTML part, as sent, drawn by Chromium on a 390 px phone: no sideways scrolling, buttons a
thumb can hit, and axe's rules (an email is no page of the site, but it is read with the same screen readers)."""

import pytest

from clinic.tests.audit import Audit
from notifications.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

Kind = Message.Kind
PHONE = {"width": 390, "height": 844}
# The email's buttons (templates/emails/_button.html): links drawn as blocks.
BUTTONS = "a[style*='display:block']"
WITHOUT_BUTTONS = {Kind.CONTACT_CHANGED, Kind.ACCESS_CODE}  # no link in them at all


@pytest.fixture
def email_page(chromium):
    """A phone-sized page with nothing loaded: each email's HTML is put in it, as a mail program shows it."""
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_every_patient_email_fits_a_phone_with_buttons_a_thumb_can_hit(email_page, patient_emails):
    audit = Audit(email_page)
    for kind, email in patient_emails.items():
        [(html, _)] = email.alternatives
        email_page.set_content(html)

        width = email_page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the {kind} email is {width} px wide on a {PHONE['width']} px phone"
        buttons = email_page.locator(BUTTONS)
        assert (buttons.count() == 0) == (kind in WITHOUT_BUTTONS), kind
        for n in range(buttons.count()):
            button = buttons.nth(n)
            label = button.inner_text()
            assert button.is_visible(), (kind, label)
            box = button.bounding_box()
            assert box["height"] >= 44, (kind, label, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (kind, label, box)
        audit(email_page)
    assert len(audit.pages) == len(patient_emails)


def test_a_long_unbroken_name_still_fits_the_phone(email_page, patient_emails):
    """Words the clinic or a patient typed may run long with no space (an address, a name): they wrap."""
    [(html, _)] = patient_emails[Kind.CONFIRMATION].alternatives
    email_page.set_content(html.replace("Hi D&#x27;Andre,", "Hi " + "Andre" * 30 + ","))

    assert email_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
