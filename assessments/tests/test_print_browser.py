"""The printable summary of a fully answered intake, printed by Chromium on US Letter, is one page."""

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.test import Client

from assessments.models import Intake
from assessments.roles import CLINICIAN, ensure_groups
from clinic.tests.staff import staff_user

from .browser import pdf_pages
from .helpers import NOW, SCREEN, STEP_NAMES, answer_steps, make_booking, post_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(page, live_server, user) -> None:
    """The browser carries a clinician's session, verified by both factors (as conftest's force_login does)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def test_a_fully_answered_intake_prints_on_one_letter_page(desktop_page, live_server, service, django_user_model):
    ensure_groups(Group, Permission)  # a transactional test may run after the database was flushed
    clinician = staff_user(django_user_model, "clinician", CLINICIAN)
    booking = make_booking(service, phone="+16195550142")
    with time_machine.travel(NOW, tick=False):
        patient = Client()
        answer_steps(patient, booking, STEP_NAMES[:4])
        post_step(patient, booking, "screen", {**SCREEN, "flag_fall": "True", "flag_numbness": "True"})
        answer_steps(patient, booking, STEP_NAMES[5:])
    intake = Intake.objects.get(booking=booking)
    assert intake.completed_at and intake.has_red_flag
    signed_in(desktop_page, live_server, clinician)

    desktop_page.goto(f"{live_server.url}/staff/intakes/{booking.pk}/print/")
    assert desktop_page.get_by_text("Age: 38 (born Mar 14, 1988)").is_visible()
    pdf = desktop_page.pdf(format="Letter")

    assert pdf_pages(pdf) == 1


def test_the_page_counter_counts_every_page(desktop_page, live_server):
    """What the test above relies on: the same counting finds three pages in a three-page document."""
    desktop_page.set_content("<p>one</p><p style='break-before: page'>two</p><p style='break-before: page'>three</p>")
    assert pdf_pages(desktop_page.pdf(format="Letter")) == 3
