"""A front-desk morning in the admin, on a desktop window: open a week of slots, book a caller, mark a no-show."""

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from assessments.roles import FRONT_DESK, ensure_groups
from booking.models import Booking, Slot
from booking.tests.factories import local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = date(2026, 12, 7)


def test_front_desk_opens_a_week_books_a_caller_and_marks_a_no_show(
    desktop_page, live_server, service, django_user_model, settings
):
    settings.SESSION_COOKIE_AGE = 24 * 60 * 60  # the test jumps past the visit in one step
    desk = django_user_model.objects.create_user("desk", "desk@example.com", "front-desk-password-1", is_staff=True)
    ensure_groups(Group, Permission)  # a transactional test may run after the database was flushed
    desk.groups.add(Group.objects.get(name=FRONT_DESK))
    page = desktop_page

    with time_machine.travel(local(MONDAY, 8), tick=True) as clock:
        page.goto(live_server.url + "/admin/")
        page.get_by_label("Username").fill("desk")
        page.get_by_label("Password").fill("front-desk-password-1")
        page.get_by_role("button", name="Log in").click()

        page.goto(live_server.url + "/admin/booking/slot/")
        page.get_by_role("link", name="Open slots from opening hours").click()
        page.get_by_label("Service").select_option(label=service.name)
        page.get_by_label("First day").fill(MONDAY.isoformat())
        page.get_by_label("Last day").fill((MONDAY + timedelta(days=6)).isoformat())
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_text("Creates 68 slots")).to_be_visible()  # Mon–Fri 12 each, Saturday 8, Sunday closed
        page.get_by_role("button", name="Generate").click()
        expect(page.get_by_text("Created 68 slots.")).to_be_visible()
        assert Slot.objects.count() == 68

        page.goto(live_server.url + "/admin/booking/booking/")
        page.get_by_role("link", name="Book a caller").click()
        page.get_by_label("10:00 AM · $175").check()
        page.get_by_label("Full name").fill("Pat Caller")
        page.get_by_label("Email").fill("pat@example.com")
        page.get_by_label("Mobile phone").fill("(619) 555-0188")
        page.get_by_role("button", name="Book").click()
        expect(page.get_by_text("Booked Pat Caller at $175, due at the visit.")).to_be_visible()
        booking = Booking.objects.get()
        assert booking.status == "confirmed"

        clock.move_to(local(MONDAY, 10, 20))  # the caller did not come
        page.goto(live_server.url + "/admin/booking/booking/")
        page.get_by_role("row").filter(has_text=booking.reference).get_by_role("checkbox").check()
        page.locator("select[name=action]").select_option(label="Mark no-show")
        page.get_by_role("button", name="Go").click()
        expect(page.get_by_text("1 booking marked no-show.")).to_be_visible()

    booking.refresh_from_db()
    assert booking.status == "no_show"
    assert booking.events.last().user == desk
