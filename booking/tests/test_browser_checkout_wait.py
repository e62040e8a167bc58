"""On a phone, back from Stripe's page before Stripe's word has come: the page waits without reloading itself, and
shows the booking once Stripe's webhook has confirmed it."""

from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone
from playwright.sync_api import expect

from booking.browser import BOOKED_COOKIE, remember_booked
from booking.links import manage_path
from booking.payments import checkout_hold, checkout_start
from booking.services import booking_hold
from booking.tests.factories import SlotFactory
from booking.tests.manage_helpers import DANA_P, session_completed
from clinic.tests.audit import Audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_paid_page_waits_without_reloading_then_shows_the_booking(
    phone_page, live_server, service, stripe_recorder
):
    slot = SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=3))
    booking = booking_hold(slot_id=slot.pk, patient=DANA_P, quoted_price_cents=175_00, hold_for=checkout_hold())
    checkout_start(booking=booking)
    booked = HttpResponse()
    remember_booked(RequestFactory().get("/"), booked, booking)  # this browser booked it, and went to pay
    cookie = {"name": BOOKED_COOKIE, "value": booked.cookies[BOOKED_COOKIE].value, "url": live_server.url}
    phone_page.context.add_cookies([cookie])
    page, audit = phone_page, Audit(phone_page)

    page.goto(f"{live_server.url}/booking/{booking.reference}/paid/")
    expect(page.locator("h1")).to_have_text("Payment received, confirming your booking…")
    audit()
    page.evaluate("window.sameDocument = true")
    with page.expect_request(f"**/booking/{booking.reference}/paid/"):  # it looks again, in the background
        pass
    page.wait_for_timeout(500)
    assert page.evaluate("window.sameDocument === true")  # not reloaded: a screen reader keeps its place

    session_completed(Client(), booking.payments.get(), "pi_test_waited")  # Stripe's word arrives

    expect(page).to_have_url(live_server.url + manage_path(booking), timeout=10_000)
    expect(page.locator("h1")).to_have_text("You’re booked, Dana")
    audit()
