"""A receptionist's morning on Today, in Chromium on a 1366 px screen, every page checked with axe-core and the CSP.

Open Today, check a patient in, take her $99 by card, move a caller's booking, book a walk-in into an open
time, block a time for a meeting, and export the day's takings.
"""

import csv
import io
import re
from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from assessments.roles import FRONT_DESK, ensure_groups
from booking.models import Booking, DeskPayment, Slot
from booking.services import slots_generate
from booking.tests.factories import BookingFactory, PromotionFactory, local
from clinic.tests.audit import Audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = date(2026, 12, 7)


@pytest.fixture
def morning(service):
    """Monday's slots, the $99 offer for the day, Dana at 9 (at $99) and a caller, Pat, at 11 (regular)."""
    with time_machine.travel(local(MONDAY, 7), tick=False):
        offer = PromotionFactory(service=service, visit_starts_on=MONDAY, visit_ends_on=MONDAY)
    slots_generate(service=service, start=MONDAY, end=MONDAY)
    dana = BookingFactory(
        slot=Slot.objects.get(starts_at=local(MONDAY, 9)),
        promotion=offer,
        price_cents=offer.price_cents,
        patient_name="Dana Cruz",
        phone="+16195550142",
    )
    pat = BookingFactory(slot=Slot.objects.get(starts_at=local(MONDAY, 11)), patient_name="Pat Caller")
    return dana, pat


def sign_in(page, live_server, django_user_model):
    desk = django_user_model.objects.create_user("desk", "desk@example.com", "front-desk-password-1", is_staff=True)
    ensure_groups(Group, Permission)  # a transactional test may run after the database was flushed
    desk.groups.add(Group.objects.get(name=FRONT_DESK))
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("desk")
    page.get_by_label("Password").fill("front-desk-password-1")
    page.get_by_role("button", name="Log in").click()
    return desk


def test_a_receptionists_morning_on_today(desktop_page, live_server, morning, django_user_model, settings):
    settings.SESSION_COOKIE_AGE = 24 * 60 * 60
    dana, pat = morning
    page, audit = desktop_page, Audit(desktop_page)
    page.set_viewport_size({"width": 1366, "height": 900})

    with time_machine.travel(local(MONDAY, 8, 50), tick=True):
        desk = sign_in(page, live_server, django_user_model)
        expect(page.locator("caption")).to_contain_text("Today, Monday, December 7, 2026")
        expect(page.locator(".today-visit").filter(has_text="Dana Cruz")).to_contain_text("Due $99")
        audit()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # no sideways scrolling

        # Dana arrives: her visit opens beside the calendar; check her in and take her $99 by card.
        page.get_by_role("link", name="Dana Cruz").click()
        expect(page.locator("#today-panel").get_by_role("heading", name="Arrival")).to_be_visible()
        assert page.url == live_server.url + "/admin/"  # still on Today: the panel came without a reload
        audit()
        page.get_by_role("button", name="Arrived").click()
        expect(page.get_by_text("Dana Cruz has arrived.")).to_be_visible()
        expect(page.locator(f"#visit-{dana.pk}")).to_contain_text("Attended")  # the calendar's box, redrawn
        page.get_by_label("How the patient paid").select_option(label="Card terminal")
        page.get_by_label("Amount ($)").fill("99.00")
        page.get_by_role("button", name="Record payment").click()
        expect(page.get_by_text("Recorded $99 by card terminal.")).to_be_visible()
        expect(page.locator(f"#visit-{dana.pk}")).to_contain_text("Paid")
        assert page.url == live_server.url + "/admin/"
        audit()

        # Pat calls: move him from 11 to 2 PM (Today loads again, as its calendar changes).
        page.get_by_role("link", name="Pat Caller").click()
        page.get_by_label("New time").select_option(label="Mon Dec 7, 2:00 PM · $175")
        page.get_by_role("button", name="Move", exact=True).click()
        expect(page.get_by_text("Moved to Mon Dec 7, 2:00 PM at $175; the patient is told.")).to_be_visible()
        expect(page.get_by_role("row", name=re.compile(r"^2:00 PM"))).to_contain_text("Pat Caller")
        page.get_by_role("link", name="The week").click()
        expect(page.locator("caption")).to_contain_text("Week of Monday, December 7, 2026")
        audit()

        # A walk-in for 10 AM.
        page.get_by_role("link", name="Today").first.click()
        page.locator(".today-calendar tr").filter(has_text="10:00 AM").get_by_role("link", name="Open").click()
        audit()
        page.get_by_role("link", name="Book a caller into this time").click()
        page.get_by_label("Full name").fill("Walk In")
        page.get_by_label("Email").fill("walk.in@example.com")
        page.get_by_label("Mobile phone").fill("(619) 555-0177")
        page.get_by_role("button", name="Book").click()
        expect(page.get_by_text("Booked Walk In at")).to_be_visible()

        # Block 4 PM for the team meeting.
        page.goto(live_server.url + "/admin/")
        page.locator(".today-calendar tr").filter(has_text="4:00 PM").get_by_role("link", name="Open").click()
        page.get_by_label("Why (for the staff: a meeting, a training)").fill("Team meeting")
        page.get_by_role("button", name="Block").click()
        expect(page.get_by_text("The time is blocked: patients cannot book it.")).to_be_visible()
        audit()
        page.get_by_role("link", name="Today").first.click()
        expect(page.locator(".today-calendar")).to_contain_text("Blocked (Team meeting)")

        # The day's takings, as a spreadsheet.
        page.get_by_role("link", name="Takings").click()
        expect(page.locator("#content-main table").first).to_contain_text("$99")
        audit()
        with page.expect_download() as download:
            page.get_by_role("link", name="Export the day’s takings (CSV)").click()
        rows = list(csv.reader(io.StringIO(download.value.path().read_text())))

        # A visit's own page (without the calendar, as a link or without scripts).
        page.goto(f"{live_server.url}/admin/today/visit/{pat.pk}/")
        expect(page.get_by_role("heading", name="Move to another time")).to_be_visible()
        audit()

    assert rows[1][1:6] == [dana.reference, "Dana Cruz", "2026-12-07 09:00", "Card terminal", "99.00"]
    assert rows[-1][5] == "99.00"
    dana.refresh_from_db()
    pat.refresh_from_db()
    assert dana.status == Booking.Status.ATTENDED
    assert DeskPayment.objects.get().taken_by == desk
    assert pat.slot.starts_at == local(MONDAY, 14)
    walk_in = Booking.objects.get(patient_name="Walk In")
    assert walk_in.slot.starts_at == local(MONDAY, 10)
    assert Slot.objects.get(starts_at=local(MONDAY, 16)).block_reason == "Team meeting"
    assert len(audit.pages) >= 6
