"""Links stay first-party: none in the development server's request log, and nothing a patient types becomes one."""

import io
import logging
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from booking.models import Booking
from booking.tests.factories import SlotFactory
from booking.tests.pages import page, post_details
from clinic.privacy import mask_email, mask_phone, validate_person_name
from notifications.emails import html_from_text
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db

LINK_LIKE_NAMES = [
    "www.example.com",
    "Visit bit.ly/win",
    "example.com",
    "Dana http://evil.example",
    "dana@example.com",
    "Dana <b>Cruz</b>",
    "EVIL.COM",
    "Dana [[link:manage]]",
]
REAL_NAMES = ["Dana Cruz", "D'Andre O'Neil", "J.R. Smith", "Mary-Ann St. John", "José Núñez", "Dr. Lee"]


def test_the_development_servers_request_log_masks_private_links():
    """runserver writes each request through the "django.server" logger: its handler masks the links."""
    logger = logging.getLogger("django.server")
    [handler] = [h for h in logger.handlers if type(h) is logging.StreamHandler]  # pytest adds its own
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logger.info(
            '"%s" %s %s',
            "GET /manage/B7K2QX9M.1:Abc-dEf_123/move/ HTTP/1.1",
            "200",
            "512",
            extra={"status_code": 200, "request": None},
        )
    finally:
        handler.setStream(previous)

    written = stream.getvalue()
    assert "GET /manage/[private link]/move/ HTTP/1.1" in written
    assert "Abc-dEf_123" not in written


@pytest.mark.parametrize("name", LINK_LIKE_NAMES)
def test_a_name_that_looks_like_a_link_is_refused_with_a_friendly_message(client, service, name):
    slot = SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=3))
    details = {"name": name, "email": "dana@example.com", "phone": "(619) 555-0123"}

    response = post_details(client, slot, details)

    assert response.status_code == 400
    assert "Please enter just your name: no web or email address" in page(response).text
    assert slot.bookings.get().patient_name == ""  # the time is held, and nothing of the name kept


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_names_are_taken(name):
    validate_person_name(name)  # no error


@pytest.mark.parametrize("name", LINK_LIKE_NAMES)
def test_the_name_rule_holds_for_staff_too(name):
    for field in (Booking._meta.get_field("patient_name"), WaitlistEntry._meta.get_field("name")):
        with pytest.raises(ValidationError):
            field.run_validators(name)


def test_an_emails_html_links_only_the_sites_own_addresses(settings):
    settings.PUBLIC_BASE_URL = "https://book.example.com"
    text = (
        "Hi D'Andre <script>,\n\nYour booking: https://book.example.com/manage/ABC.1:sig/\n"
        "Not ours: https://evil.example/x and evil.com and www.evil.com\n"
        "Nor this: https://book.example.com.evil.net/x or https://book.example.comx/\n"
    )

    html = html_from_text(text, subject="Your visit", clinic=None)

    assert '<a href="https://book.example.com/manage/ABC.1:sig/"' in html
    assert html.count("<a ") == 1
    assert 'href="https://book.example.com.evil.net' not in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "D&#x27;Andre" in html


def test_contact_details_are_masked_for_staff_and_the_code_page():
    assert mask_email("michael@example.com") == "m•••@example.com"
    assert mask_phone("+16195550123") == "•••-0123"
