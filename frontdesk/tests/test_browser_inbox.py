"""A text to the clinic's number, answered from the text inbox, in Chromium on a 1366 px screen, every page checked
with axe-core and the CSP.

A runner texts about the $99 offer (Twilio's signed webhook, posted by the test); the front desk sees the unread
count on Today, opens the conversation, fills in the ready-made booking link (the live counter counts it), sends it,
and, once Twilio reports it delivered (its signed status callback), sees it delivered.
"""

import re
from datetime import date

import pytest
import time_machine
from django.test import Client
from playwright.sync_api import expect

from booking.tests.factories import PromotionFactory, local
from clinic.tests.audit import Audit
from notifications.models import Conversation, ConversationAccess, Message
from notifications.tests.test_webhooks import INBOUND, STATUS, inbound_params, status_params
from notifications.tests.twilio_fakes import twilio_post

from .test_browser_today import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = date(2026, 12, 7)
RUNNER = "+16195550177"
CLINIC = "Project Performance Physical Therapy"


def test_a_text_answered_with_the_booking_link_and_delivered(
    desktop_page, live_server, service, django_user_model, settings, twilio_recorder
):
    settings.SESSION_COOKIE_AGE = 24 * 60 * 60
    settings.PUBLIC_BASE_URL = live_server.url  # where Twilio posts, and signs
    page, audit = desktop_page, Audit(desktop_page)
    page.set_viewport_size({"width": 1366, "height": 900})
    twilio = Client()

    def twilio_says(path: str, params: dict) -> None:
        assert twilio_post(twilio, path, params, base_url=live_server.url).status_code == 200

    with time_machine.travel(local(MONDAY, 8, 50), tick=True):
        PromotionFactory(service=service, visit_starts_on=date(2026, 12, 8), visit_ends_on=date(2026, 12, 11))
        twilio_says(INBOUND, inbound_params("Hi! Is the $99 offer still on? Can I get one?", sender=RUNNER))

        sign_in(page, live_server, django_user_model)
        expect(page.locator(".today-links").get_by_role("link", name="Texts (1 unread)")).to_be_visible()
        expect(page.locator("#user-tools").get_by_role("link", name="Texts (1 unread)")).to_be_visible()
        audit()

        page.locator(".today-links").get_by_role("link", name="Texts (1 unread)").click()
        row = page.get_by_role("row").filter(has_text=RUNNER)
        expect(row).to_contain_text("1 unread")
        expect(row).to_contain_text("Open")
        audit()

        row.get_by_role("link", name=RUNNER).click()
        expect(page.locator(".thread")).to_contain_text("Hi! Is the $99 offer still on? Can I get one?")
        expect(page.locator(".thread")).to_contain_text("AM · Patient")
        answered = page.locator(".thread-entry").filter(has_text="Automatic")  # the answer the text got at once
        expect(answered).to_contain_text("8 of 8 $99 spots left. Book online: [private link: booking by text]")
        expect(page.locator("#user-tools")).not_to_contain_text("unread")  # read now
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # no sideways scrolling
        audit()

        # The counter counts as the text is typed, and says when it is too long.
        reply = page.get_by_role("textbox", name="Reply")
        reply.fill("Yes! " * 100)
        expect(page.locator("#id_text_count")).to_have_text("499 characters · 4 text messages: too long, 3 at most")
        reply.fill("See you soon 🏃")
        expect(page.locator("#id_text_count")).to_have_text("14 characters · 1 text message · sent as “?”: 🏃")

        page.get_by_label("Ready-made reply").select_option(label="Booking link, with the spots left")
        page.get_by_role("button", name="Fill in").click()
        link = f"{live_server.url}/book/"
        expect(reply).to_have_value(f"8 of 8 $99 spots left. Book online: {link}")
        expect(page.locator("#id_text_count")).to_have_text(re.compile(r"^\d+ characters · 1 text message$"))
        audit()

        page.get_by_role("button", name="Send the reply").click()
        expect(page.get_by_text("The reply is on its way.")).to_be_visible()
        last = page.locator(".thread-entry").last
        expect(last).to_contain_text("Staff: desk · Sent")
        expect(last).to_contain_text(f"{CLINIC}: 8 of 8 $99 spots left. Book online: {link}")
        audit()

        sent = Message.objects.get(kind=Message.Kind.STAFF_TEXT)
        twilio_says(STATUS, {**status_params(sent.provider_id, "delivered"), "To": RUNNER})
        page.reload()
        expect(page.locator(".thread-entry").last.locator(".thread-status")).to_have_text("Delivered")
        audit()

        page.get_by_role("button", name="Mark done").click()
        expect(page.get_by_text("Marked done.")).to_be_visible()
        audit()

    texts = [r.data for r in twilio_recorder.texts if r.data["To"] == RUNNER]
    answer, staff_reply = (t["Body"] for t in texts)
    assert answer.startswith(f"Thanks for texting {CLINIC}. 8 of 8 $99 spots left. Book online: {link}texted/")
    assert staff_reply == f"{CLINIC}: 8 of 8 $99 spots left. Book online: {link}"
    conversation = Conversation.objects.get(phone=RUNNER)
    assert (conversation.status, conversation.unread) == (Conversation.Status.DONE, 0)
    assert ConversationAccess.objects.filter(conversation=conversation, user__username="desk").count() >= 3
    assert len(audit.pages) >= 7
