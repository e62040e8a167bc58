"""On a phone: a patient waiting for a discounted spot is offered one, chooses another free discounted time than
the one offered, and claims it; every page on the way is checked with axe-core and against the CSP."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from booking.links import manage_path
from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_cancel, booking_create, slots_generate
from booking.tests.factories import PromotionFactory, local
from clinic.tests.audit import Audit
from notifications.models import Message
from notifications.transports import text_as_sent
from waitlist.models import WaitlistEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TUESDAY = date(2026, 12, 1)
DANA = Patient(name="Dana Cruz", email="dana@example.com", phone="+16195550142", sms_consent=True)


def link_in(kind: str, path: str) -> str:
    """The path of the private link in the email of this kind, as Michael's inbox shows it."""
    email = Message.objects.get(kind=kind, channel="email", recipient="michael@example.com")
    return re.search(rf"https?://[^/\s]+({path}\S+/)", text_as_sent(email)).group(1)


def test_a_waiting_patient_chooses_another_discounted_time_and_claims_it(
    phone_page, live_server, service, twilio_recorder
):
    page, audit = phone_page, Audit(phone_page)
    with time_machine.travel(local(TUESDAY, 10), tick=True):
        promotion = PromotionFactory(
            service=service,
            spots=1,
            visit_starts_on=TUESDAY + timedelta(days=2),
            visit_ends_on=TUESDAY + timedelta(days=4),
        )
        slots_generate(service=service, start=TUESDAY + timedelta(days=2), end=TUESDAY + timedelta(days=4))
        first = service.slots.order_by("starts_at").first()
        dana = booking_create(slot_id=first.pk, patient=DANA, quoted_price_cents=99_00, online=False)

        page.goto(f"{live_server.url}/waitlist/offer/{promotion.pk}/")
        audit()
        page.get_by_label("Full name").fill("Michael Green")
        page.get_by_label("Email").fill("michael@example.com")
        page.get_by_label("Mobile phone").fill("(619) 555-0123")
        page.get_by_label("Text me when a place opens up").check()
        page.get_by_role("button", name="Join the waiting list").click()
        expect(page.locator("h1")).to_have_text("You’re on the waiting list")
        audit()

        booking_cancel(booking=dana, reason="Patient called")  # the spot is offered to Michael at once
        entry = WaitlistEntry.objects.select_related("booking__slot").get()
        assert (entry.status, entry.booking.slot) == ("offered", first)
        page.goto(live_server.url + link_in("waitlist_offer", "/waitlist/claim/"))
        expect(page.locator("h1")).to_have_text("A place opened up for you")
        audit()

        # "I can't make it" asks first; he keeps the place.
        page.get_by_role("link", name="I can’t make it: let the place go").click()
        expect(page.locator("h1")).to_have_text("Let this place go?")
        audit()
        page.get_by_role("link", name="No, keep it: back to my place").click()

        # Another discounted time, two days later: chosen with the keyboard.
        chosen = service.slots.filter(starts_at__gte=local(TUESDAY + timedelta(days=4), 0)).order_by("starts_at")[2]
        at = timezone.localtime(chosen.starts_at, service.clinic.tz)
        choice = page.get_by_role("button", name=f"Hold {at:%A, %B %-d} at {at:%-I:%M %p} instead")
        choice.focus()
        choice.press("Enter")
        expect(page.get_by_text("Done: this is the time we are holding for you now.")).to_be_visible()
        expect(page.locator(".summary")).to_contain_text(f"{at:%A, %B %-d} at {at:%-I:%M %p}")
        expect(page.locator(".summary")).to_contain_text("$99")
        audit()

        claim = page.get_by_role("button", name="Claim it: book this time")
        claim.focus()
        claim.press("Enter")
        expect(page.locator("h1")).to_have_text("Check your texts")
        audit()
        page.get_by_label("The 6-digit code").fill(twilio_recorder.code_texted_to("+16195550123"))
        page.get_by_role("button", name="Book my visit").click()
        expect(page.locator("h1")).to_have_text("You’re booked, Michael")
        audit()
        booked = Booking.objects.get(email="michael@example.com")
        assert page.url == live_server.url + manage_path(booked)

        # The link to leave the list, from the email that confirmed the join, now says he booked.
        page.goto(live_server.url + link_in("waitlist_joined", "/waitlist/leave/"))
        expect(page.locator("h1")).to_have_text("You booked a visit from the waiting list")
        audit()

    booked.refresh_from_db()
    assert (booked.status, booked.slot, booked.price_cents, booked.promotion) == ("confirmed", chosen, 99_00, promotion)
    assert not first.bookings.active(timezone.now()).exists()  # the time offered first is free again
    assert len(audit.pages) == 8
