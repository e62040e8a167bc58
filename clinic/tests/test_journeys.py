"""The two journeys end to end in Chromium, every page checked with axe-core and against the CSP.

A patient on a phone: the offer, booking a discounted spot, the questionnaire,
the private link, moving the visit, cancelling it. The front desk on a desktop:
logging in, Today, booking a caller, marking the visit attended.
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from assessments.models import Intake
from assessments.roles import FRONT_DESK, ensure_groups
from assessments.tests.browser import fill_questionnaire
from booking.models import Booking
from booking.services import slots_generate
from booking.tests.factories import PromotionFactory, local
from clinic.tests.audit import Audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = date(2026, 11, 30)  # the offer's visit week is the next one, Wednesday to Friday


@pytest.fixture
def week_of_slots(service):
    with time_machine.travel(local(MONDAY, 9), tick=False):
        promotion = PromotionFactory(
            service=service, visit_starts_on=MONDAY + timedelta(days=2), visit_ends_on=MONDAY + timedelta(days=4)
        )
    slots_generate(service=service, start=MONDAY, end=MONDAY + timedelta(days=13))
    return promotion


def test_patient_books_answers_moves_and_cancels_on_a_phone(phone_page, live_server, week_of_slots, twilio_recorder):
    page, audit = phone_page, Audit(phone_page)
    with time_machine.travel(local(MONDAY, 9), tick=True):
        page.goto(live_server.url + "/")
        audit()
        expect(page.locator("#spots-left")).to_have_text("8 of 8 discounted spots left")
        page.get_by_role("link", name="Book your $99 assessment").click()
        audit()
        page.locator(".calendar a").filter(has_text="discounted times").first.click()
        audit()
        page.locator(".time-list button").filter(has_text="$99").first.click()
        page.get_by_role("button", name="Review booking").click()  # nothing filled in: errors by each field
        expect(page.locator("#id_name_error")).to_have_text("Enter your full name.")
        expect(page.locator(".error-summary")).to_be_focused()  # the summary of the mistakes takes the focus
        audit()
        page.get_by_label("Full name").fill("Dana Cruz")
        page.get_by_label("Email").fill("dana@example.com")
        page.get_by_label("Mobile phone").fill("(619) 555-0142")
        page.get_by_label("Text me my booking confirmation").check()
        page.get_by_role("button", name="Review booking").click()
        audit()
        page.get_by_role("button", name="Confirm booking at $99").click()
        expect(page.locator("h1")).to_have_text("Check your texts")
        audit()
        page.get_by_label("The 6-digit code").fill(twilio_recorder.code_texted_to("+16195550142"))
        page.get_by_role("button", name="Book my visit").click()
        expect(page.locator("h1")).to_have_text("You’re booked, Dana")
        audit()
        booking = Booking.objects.get()
        first_time = booking.slot.starts_at

        page.get_by_role("link", name="Answer a few questions before your visit").click()
        fill_questionnaire(page, race_day=(MONDAY + timedelta(days=60)).isoformat(), check=audit)
        expect(page.locator("h1")).to_have_text("Thank you, Dana")
        audit()
        page.get_by_role("link", name="Your booking").click()
        expect(page.get_by_text("Your questionnaire was received on")).to_be_visible()

        page.get_by_role("link", name="Move to another time").click()
        audit()
        page.locator(".calendar a").nth(1).click()
        audit()
        page.locator(".time-list a").last.click()
        expect(page.locator("h1")).to_have_text("Move your visit")
        audit()
        page.get_by_role("button", name="Move my visit").click()
        expect(page.locator("h1")).to_have_text("You’re booked, Dana")
        audit()
        booking.refresh_from_db()
        assert booking.slot.starts_at != first_time
        assert booking.status == "confirmed"

        page.get_by_role("link", name="Cancel this visit").click()
        audit()
        page.get_by_role("button", name="Yes, cancel my visit").click()
        expect(page.locator("h1")).to_have_text("This visit is cancelled")
        audit()

    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert Intake.objects.get(booking=booking).completed_at is not None
    assert len(audit.pages) == 20  # every page of the journey was checked


def test_front_desk_logs_in_reads_today_books_a_caller_and_marks_the_visit_attended(
    desktop_page, live_server, service, django_user_model, settings, week_of_slots
):
    settings.SESSION_COOKIE_AGE = 24 * 60 * 60  # the clock jumps to the visit in one step
    desk = django_user_model.objects.create_user("desk", "desk@example.com", "front-desk-password-1", is_staff=True)
    ensure_groups(Group, Permission)  # a transactional test may run after the database was flushed
    desk.groups.add(Group.objects.get(name=FRONT_DESK))
    page, audit = desktop_page, Audit(desktop_page)

    with time_machine.travel(local(MONDAY, 8), tick=True) as clock:
        page.goto(live_server.url + "/admin/")
        audit()
        page.get_by_label("Username").fill("desk")
        page.get_by_label("Password").fill("front-desk-password-1")
        page.get_by_role("button", name="Log in").click()
        audit()

        expect(page.get_by_role("heading", name="Today, Monday, November 30, 2026")).to_be_visible()
        page.get_by_role("link", name="The week").click()
        expect(page.get_by_role("heading", name="Week of Monday, November 30, 2026")).to_be_visible()
        expect(page.locator("caption")).to_contain_text("Week of Monday, November 30, 2026 · 0 visits")
        audit()

        page.goto(live_server.url + "/admin/booking/booking/")
        audit()
        page.get_by_role("link", name="Book a caller").click()
        audit()
        page.get_by_label("10:00 AM · $175").check()
        page.get_by_label("Full name").fill("Pat Caller")
        page.get_by_label("Email").fill("pat@example.com")
        page.get_by_label("Mobile phone").fill("(619) 555-0188")
        page.get_by_role("button", name="Book").click()
        expect(page.get_by_text("Booked Pat Caller at $175, due at the visit.")).to_be_visible()
        audit()
        booking = Booking.objects.get()

        clock.move_to(local(MONDAY, 11, 5))  # the visit is over
        page.goto(live_server.url + "/admin/")
        expect(page.locator(".today-visit").filter(has_text="Pat Caller")).to_contain_text("Confirmed")
        audit()
        page.goto(live_server.url + "/admin/booking/booking/")
        page.get_by_role("row").filter(has_text=booking.reference).get_by_role("checkbox").check()
        page.locator("select[name=action]").select_option(label="Mark attended")
        page.get_by_role("button", name="Go").click()
        expect(page.get_by_text("1 booking marked attended.")).to_be_visible()
        audit()

    booking.refresh_from_db()
    assert booking.status == "attended"
    assert booking.events.last().user == desk
