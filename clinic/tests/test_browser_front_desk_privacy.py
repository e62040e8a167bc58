"""A Front desk login tries, in a browser, every path that once led to a patient's intake answers, and reaches none.

The paths (issue "Health answers stay with the people allowed to read them"): the clinic's own "New booking"
email, lookups on the outbox and the booking lists, and changing the booking's email to one's own.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from assessments.roles import FRONT_DESK, ensure_groups
from assessments.tests.browser import fill_questionnaire
from assessments.tests.helpers import SECRETS
from booking.links import Purpose, private_path
from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_create
from booking.tests.factories import SlotFactory
from clinic.tests.audit import Audit
from notifications.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DANA = Patient(name="Dana Cruz", email="dana@example.com", phone="+16195550142", sms_consent=True)
DESK_EMAIL = "frontdesk.mallory@example.net"
URL = re.compile(r"https?://[^\s<>\"']+")
PRIVATE = re.compile(r"/(manage|intake|waitlist/claim)/")


def answers_in(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret.lower() in text.lower()]


def test_a_front_desk_login_reaches_no_intake_answer(chromium, live_server, service, django_user_model, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    ensure_groups(Group, Permission)  # a transactional test may run after the database was flushed
    desk_user = django_user_model.objects.create_user("mallory", password="front-desk-password-1", is_staff=True)
    desk_user.groups.add(Group.objects.get(name=FRONT_DESK))
    slot = SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=3))
    booking = booking_create(slot_id=slot.pk, patient=DANA, quoted_price_cents=service.regular_price_cents)

    # Dana answers the whole questionnaire on her phone, from her private link.
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    phone.goto(live_server.url + private_path(booking, Purpose.INTAKE))
    race_day = (timezone.localdate() + timedelta(days=40)).isoformat()
    fill_questionnaire(phone, race_day=race_day)
    expect(phone.locator("h1")).to_have_text("Thank you, Dana")

    desk = chromium.new_context(viewport={"width": 1366, "height": 900}).new_page()
    desk.set_default_timeout(10_000)
    seen: list[str] = []

    def look(url: str):
        response = desk.goto(url)
        seen.append(desk.content())
        return response

    look(live_server.url + "/admin/")
    desk.get_by_label("Username").fill("mallory")
    desk.get_by_label("Password").fill("front-desk-password-1")
    desk.get_by_role("button", name="Log in").click()
    expect(desk.get_by_role("link", name="Bookings")).to_be_visible()

    # 1. The clinic's "New booking" email: the admin and the patient's phone, no private link.
    [new_booking] = [email for email in mail.outbox if email.subject.startswith("New booking")]
    links = URL.findall(new_booking.body + new_booking.alternatives[0][0])
    assert links and not [link for link in links if PRIVATE.search(link)]
    for link in set(links):
        look(link)
        expect(desk.get_by_text("done", exact=False).first).to_be_visible()  # the intake's status, never answers

    # 2. Lookups the lists do not declare, on the outbox and the bookings: refused.
    for path in (
        "/admin/notifications/message/?body__regex=%5Ehttp&booking__id__exact=1",
        "/admin/booking/booking/?intake__medications__icontains=Q",
        "/admin/assessments/intake/?medications__icontains=Q",
        f"/admin/assessments/intake/{booking.intake.pk}/change/",
        f"/staff/intakes/{booking.pk}/print/",
    ):
        assert look(live_server.url + path).status in (400, 403), path

    # 3. The booking's email changed to the desk's own: the new link comes, and the answers stay shut.
    look(f"{live_server.url}/admin/booking/booking/{booking.pk}/change/")
    desk.get_by_label("Email").fill(DESK_EMAIL)
    desk.get_by_role("button", name="Save", exact=True).click()
    expect(desk.get_by_text("earlier links no longer work")).to_be_visible()
    [stolen] = [email for email in mail.outbox if email.to == [DESK_EMAIL]]
    [manage_link] = [link for link in URL.findall(stolen.body) if "/manage/" in link]
    [told] = [email for email in mail.outbox if email.to == [DANA.email] and "have changed" in email.subject]
    assert not PRIVATE.search(told.body)

    # Signed in, the desk's browser is refused the patient's questionnaire outright ...
    assert look(live_server.url + private_path(Booking.objects.get(pk=booking.pk), Purpose.INTAKE)).status == 403
    # ... so the link goes to a private window, signed in as no one.
    desk = chromium.new_context(viewport={"width": 1366, "height": 900}).new_page()
    look(manage_link)
    expect(desk.get_by_text("Your questionnaire was received on")).to_be_visible()
    desk.get_by_role("link", name="See or change your answers").click()
    seen.append(desk.content())
    intake_link = desk.url.removesuffix("done/")
    # A code goes only where Dana herself said: her mobile, never the email the desk typed.
    expect(desk.get_by_label("Email to", exact=False)).to_have_count(0)
    Audit(desk)()
    desk.get_by_label("Text to my mobile, •••-0142").check()
    desk.get_by_role("button", name="Send me a code").click()
    expect(desk.locator("h1")).to_have_text("Type your code")
    [code_text] = Message.objects.filter(kind=Message.Kind.ACCESS_CODE)
    assert (code_text.channel, code_text.recipient) == ("sms", DANA.phone)
    for guess in ("000000", "111111", "222222", "333333", "444444"):
        desk.get_by_label("The 6-digit code").fill(guess)
        desk.get_by_role("button", name="Open my answers").click()
        seen.append(desk.content())
    expect(desk.get_by_text("Too many wrong codes")).to_be_visible()
    expect(desk.get_by_text("(619) 268-1397").first).to_be_visible()
    for step in ("about", "pain", "history", "screen"):
        look(f"{intake_link}{step}/")
        assert desk.url == f"{intake_link}done/", step
    # The old link, which went to Dana, no longer opens anything.
    assert look(live_server.url + private_path(booking, Purpose.INTAKE)).status == 410

    for page in seen:
        assert not answers_in(page), answers_in(page)
    assert Booking.objects.get(pk=booking.pk).intake.steps_done[-1] == "consent"  # nothing was changed either
