"""On phones: a patient cancels from their private link, and the patient waiting for a discounted spot claims it."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from booking.links import manage_path
from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_create, slots_generate
from booking.tests.factories import PromotionFactory, local
from notifications.models import Message
from notifications.transports import text_as_sent
from waitlist.models import WaitlistEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TUESDAY = date(2026, 12, 1)
DANA = Patient(name="Dana Cruz", email="dana@example.com", phone="+16195550142", sms_consent=True)


def press(locator):
    locator.focus()
    locator.press("Enter")


def test_a_cancellation_from_the_link_goes_to_the_patient_waiting_who_claims_it(
    chromium, live_server, service, twilio_recorder
):
    # Two phones: Dana holds the last discounted spot; Michael is waiting for one.
    dana_phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    michael_phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    dana, michael = dana_phone.new_page(), michael_phone.new_page()
    with time_machine.travel(local(TUESDAY, 10), tick=True):
        promotion = PromotionFactory(
            service=service,
            spots=1,
            visit_starts_on=TUESDAY + timedelta(days=2),
            visit_ends_on=TUESDAY + timedelta(days=9),
        )
        slots_generate(service=service, start=TUESDAY + timedelta(days=2), end=TUESDAY + timedelta(days=9))
        first_slot = service.slots.order_by("starts_at").first()
        booking = booking_create(  # Dana booked by phone
            slot_id=first_slot.pk, patient=DANA, quoted_price_cents=promotion.price_cents, online=False
        )

        michael.goto(live_server.url + "/")
        expect(michael.locator("#spots-left")).to_have_text("All 1 discounted spots are taken.")
        press(michael.get_by_role("link", name="Join the waiting list for a discounted spot"))
        michael.get_by_label("Full name").fill("Michael Green")
        michael.get_by_label("Email").fill("michael@example.com")
        michael.get_by_label("Mobile phone").fill("(619) 555-0123")
        michael.get_by_label("Text me when a place opens up").press("Space")
        press(michael.get_by_role("button", name="Join the waiting list"))
        expect(michael.locator("h1")).to_have_text("You’re on the waiting list")
        expect(michael.get_by_text("You are number 1 waiting for a $99 spot")).to_be_visible()

        # Dana opens the link from her confirmation and cancels, two days ahead: free, before the cut-off.
        dana.goto(live_server.url + manage_path(booking))
        expect(dana.locator("h1")).to_have_text("You’re booked, Dana")
        press(dana.get_by_role("link", name="Cancel this visit"))
        press(dana.get_by_role("button", name="Yes, cancel my visit"))
        expect(dana.locator("h1")).to_have_text("This visit is cancelled")
        assert Booking.objects.get(pk=booking.pk).status == "cancelled"

        # The freed spot was offered to Michael at once: a text and an email with the claim link.
        entry = WaitlistEntry.objects.get()
        assert entry.status == "offered"
        text = Message.objects.get(kind="waitlist_offer", channel="sms")
        assert text.recipient == "+16195550123"
        claim = re.search(r"https?://\S+/waitlist/claim/\S+/", text_as_sent(text)).group(0)
        michael.goto(live_server.url + "/waitlist/claim/" + claim.split("/waitlist/claim/")[1])
        expect(michael.locator("h1")).to_have_text("A place opened up for you")
        press(michael.get_by_role("button", name="Claim it: book this time"))
        expect(michael.locator("h1")).to_have_text("Check your texts")
        michael.get_by_label("The 6-digit code").fill(twilio_recorder.code_texted_to("+16195550123"))
        press(michael.get_by_role("button", name="Book my visit"))
        expect(michael.locator("h1")).to_have_text("You’re booked, Michael")

    claimed = Booking.objects.get(email="michael@example.com")
    assert (claimed.status, claimed.price_cents, claimed.promotion_id) == ("confirmed", 99_00, promotion.pk)
    assert michael.url == live_server.url + manage_path(claimed)
    assert Booking.objects.active(claimed.confirmed_at).filter(promotion=promotion).count() == 1
    dana_phone.close()
    michael_phone.close()
