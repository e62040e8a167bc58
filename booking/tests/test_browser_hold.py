"""On a phone: a time is held from the moment it is chosen, and Back after Confirm shows the booking.

Two browsers stand for two patients: the second, on the same day's page, finds the first one's time taken
while the first is still typing. Every page is checked with axe-core (clinic/tests/audit.py).
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from booking.models import Booking
from booking.services import slots_generate
from clinic.tests.audit import Audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def week(service):
    start = timezone.localdate() + timedelta(days=1)
    slots_generate(service=service, start=start, end=start + timedelta(days=6))
    return start


def first_open_day(page, live_server) -> str:
    page.goto(live_server.url + "/book/")
    return page.locator("a[href^='/book/20']").first.get_attribute("href")


def test_a_second_browser_is_blocked_from_a_time_held_while_the_first_types(
    phone_page, second_phone_page, live_server, week
):
    first, second, audit = phone_page, second_phone_page, Audit(phone_page)
    day = first_open_day(first, live_server)
    first.goto(live_server.url + day)
    second.goto(live_server.url + day)  # both patients look at the same times
    audit()
    time = first.locator(".time-list button").first
    label = time.locator("time").inner_text()

    time.click()  # the first patient chooses it: held at once

    expect(first.locator("h1")).to_have_text("Your details")
    expect(first.locator("#hold-timer")).to_contain_text("We are holding this time for you until")
    expect(first.locator(".hold-countdown")).to_contain_text("left)")  # counting down, by the server's clock
    audit()
    second.locator(".time-list button").filter(has_text=label).first.click()
    expect(second.locator("h1")).to_have_text("That time is not available")
    expect(second.get_by_role("alert")).to_have_text("Sorry, someone has just booked that time. Please choose another.")
    expect(second.locator("main").get_by_role("link", name="call", exact=True)).to_have_attribute(
        "href", "tel:+16192681397"
    )
    audit(second)
    second.goto(live_server.url + day)
    expect(second.locator(".time-list button").filter(has_text=label)).to_have_count(0)  # no longer offered

    first.get_by_role("button", name="Choose another time").click()  # the first lets it go
    expect(first.locator(".time-list button").filter(has_text=label)).to_have_count(1)
    second.reload()
    expect(second.locator(".time-list button").filter(has_text=label)).to_have_count(1)
    assert Booking.objects.get().status == Booking.Status.EXPIRED


def test_back_and_reload_after_confirm_show_youre_booked(phone_page, live_server, week):
    page, audit = phone_page, Audit(phone_page)
    day = first_open_day(page, live_server)
    page.goto(live_server.url + day)
    page.locator(".time-list button").filter(has_text="$175").first.click()  # paid at the visit: booked at once
    page.get_by_label("Full name").fill("Dana Cruz")
    page.get_by_label("Email").fill("dana@example.com")
    page.get_by_label("Mobile phone").fill("(619) 555-0142")
    page.get_by_role("button", name="Review booking").click()
    expect(page.locator("h1")).to_have_text("Review and confirm")
    audit()
    page.get_by_role("button", name="Confirm booking at $175").click()
    expect(page.locator("h1")).to_have_text("You’re booked, Dana")
    expect(page.get_by_text("We emailed your confirmation to dana@example.com.")).to_be_visible()
    audit()

    page.go_back()  # to the review page's address: the booking, never "someone has just booked it"
    expect(page.locator("h1")).to_have_text("You’re booked, Dana")
    page.reload()
    expect(page.locator("h1")).to_have_text("You’re booked, Dana")
    page.go_back()
    expect(page.locator("h1")).to_have_text("You’re booked, Dana")  # the details step's address too

    booking = Booking.objects.get()
    assert (booking.status, booking.patient_name, booking.price_cents) == ("confirmed", "Dana Cruz", 175_00)
