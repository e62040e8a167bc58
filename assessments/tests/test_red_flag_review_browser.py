"""A clinician, in Chromium, goes from today's intakes to a flagged intake and records the review; every page passes
axe-core and the Content-Security-Policy."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Intake
from assessments.roles import CLINICIAN, ensure_groups
from booking.models import Booking
from booking.tests.factories import local
from clinic.tests.audit import Audit
from clinic.tests.staff import staff_user

from .browser import pdf_pages
from .helpers import STEP_NAMES, make_booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clinician_records_a_review_from_todays_intakes(desktop_page, live_server, service, django_user_model):
    ensure_groups(Group, Permission)  # a transactional test may run after the database was flushed
    doctor = staff_user(django_user_model, "ana", CLINICIAN, first_name="Ana", last_name="Ruiz")
    today = timezone.localdate()
    cleo = make_booking(service, starts_at=local(today, 14), patient_name="Cleo Park", review_before_visit=True)
    Intake.objects.create(booking=cleo, steps_done=STEP_NAMES, completed_at=timezone.now(), flag_fall=True)
    make_booking(service, starts_at=local(today, 9), patient_name="Ada Lopez", status=Booking.Status.CONFIRMED)
    client = Client()
    client.force_login(doctor)  # with both factors (conftest.py)
    page, audit = desktop_page, Audit(desktop_page)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])

    page.goto(f"{live_server.url}/admin/assessments/intake/")
    page.get_by_role("link", name="Today’s intakes").click()
    expect(page.get_by_role("row", name="Cleo Park")).to_contain_text("Review before the visit: not reviewed yet")
    audit()

    page.get_by_role("link", name="Record the review for Cleo Park").click()
    audit()
    page.get_by_role("button", name="Record the review").click()  # nothing chosen
    expect(page.get_by_text("Choose what came of the review.")).to_be_visible()
    audit()

    page.get_by_role("group", name="What came of the review").get_by_label("Called the patient").check()
    page.get_by_label("Note (optional)").fill("Called at 9, all fine to come in")
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_text("Red-flag review recorded: called the patient.")).to_be_visible()
    expect(page.get_by_text("Called at 9, all fine to come in")).to_be_visible()  # the history, on the intake page
    audit()

    page.locator(".breadcrumbs").get_by_role("link", name="Intakes").click()
    page.get_by_role("link", name="Today’s intakes").click()
    expect(page.get_by_role("row", name="Cleo Park")).to_contain_text("Flag reviewed by Ana Ruiz")
    audit()
    assert Intake.objects.get(booking=cleo).red_flag_review.outcome == "called"

    # Today shows the review beside Cleo's visit, and her summary prints on one Letter page.
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator(".today-visit").filter(has_text="Cleo Park")).to_contain_text("Flag reviewed by Ana Ruiz")
    audit()
    page.goto(f"{live_server.url}/admin/assessments/intake/today/")
    page.get_by_role("link", name="Printable summary of Cleo Park").click()
    expect(page.get_by_text("Cleo Park").first).to_be_visible()
    assert pdf_pages(page.pdf(format="Letter")) == 1
