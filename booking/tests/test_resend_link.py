""" "Resend my link" (booking/resend.py): the link goes only to the address on the booking, the page says the same
whether or not a booking matched, and it is rate-limited.

The clock is stopped at Monday 2026-04-06, 8:00 AM in San Diego.
"""

from datetime import timedelta

import pytest

from booking.links import Purpose, private_path
from booking.models import Booking
from booking.tests.factories import BookingFactory, SlotFactory
from booking.tests.pages import NOW, PROMO_DAY, page, slot_at
from clinic.tests.html import html
from notifications.models import Message, OptOut

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

RESEND = "/booking/resend-link/"
SENT = "/booking/resend-link/sent/"
SAME_ANSWER = "If a visit is booked with that email or mobile number, its link is on its way"


@pytest.fixture
def dana(service) -> Booking:
    return BookingFactory(
        slot=slot_at(service, PROMO_DAY, 10),
        patient_name="Dana Cruz",
        email="Dana.Cruz+runs@example.com",
        phone="+16195550142",
    )


def resent() -> list[tuple[str, str]]:
    return [(m.channel, m.recipient) for m in Message.objects.filter(kind=Message.Kind.LINK_RESENT).order_by("pk")]


def test_the_form_asks_for_the_email_or_mobile_booked_with(client):
    response = client.get(RESEND)
    assert response.status_code == 200
    assert "id_contact" in page(response).label_for
    assert "Your email or mobile number" in page(response).text


def test_an_email_of_a_booking_gets_its_link_at_the_email_on_the_booking(client, dana):
    response = client.post(RESEND, {"contact": "dana.cruz@EXAMPLE.com"})  # the same inbox, written otherwise

    assert (response.status_code, response.url) == (302, SENT)
    assert SAME_ANSWER in page(client.get(SENT)).text
    assert resent() == [("email", "Dana.Cruz+runs@example.com")]  # as on file, not as typed
    [message] = Message.objects.filter(kind=Message.Kind.LINK_RESENT)
    assert message.booking == dana
    assert Message.Kind.LINK_RESENT in Message.Kind.with_private_links()


def test_a_mobile_of_a_booking_gets_its_link_by_text(client, dana):
    client.post(RESEND, {"contact": "(619) 555-0142"})
    assert resent() == [("sms", "+16195550142")]


def test_a_mobile_that_cannot_be_texted_gets_the_link_at_the_email_instead(client, dana):
    OptOut.objects.create(phone=dana.phone, keyword="STOP")
    client.post(RESEND, {"contact": "619-555-0142"})
    assert resent() == [("email", "Dana.Cruz+runs@example.com")]


def test_no_booking_gets_the_same_answer_and_sends_nothing(client, dana):
    response = client.post(RESEND, {"contact": "someone.else@example.com"})
    assert (response.status_code, response.url) == (302, SENT)
    assert resent() == []


def test_only_visits_still_ahead_and_on_get_their_link(client, service, dana):
    past = SlotFactory(service=service, starts_at=NOW - timedelta(days=2))
    BookingFactory(slot=past, email="dana.cruz@example.com", phone="+16195550142", status=Booking.Status.ATTENDED)
    BookingFactory(slot=slot_at(service, PROMO_DAY, 11), email="dana.cruz@example.com", status="cancelled")
    client.post(RESEND, {"contact": "dana.cruz@example.com"})
    assert [m.booking for m in Message.objects.filter(kind=Message.Kind.LINK_RESENT)] == [dana]


@pytest.mark.parametrize("typed", ["", "dana", "dana@", "12", "not a number"])
def test_what_is_neither_an_email_nor_a_mobile_is_asked_again(client, dana, typed):
    response = client.post(RESEND, {"contact": typed})
    assert response.status_code == 400
    assert "Enter the email address or mobile number you booked with" in page(response).text
    assert resent() == []


def test_the_same_email_asked_for_again_and_again_is_refused(client, dana, settings):
    settings.RATELIMIT_ENABLE = True
    for written in ("dana.cruz@example.com", "Dana.Cruz@example.com", "dana.cruz+x@example.com"):
        assert client.post(RESEND, {"contact": written}).status_code == 302
    refused = client.post(RESEND, {"contact": "DANA.CRUZ@example.com"})
    assert refused.status_code == 429
    assert len(resent()) == 1  # and within a minute, one message however often it was asked for


def test_a_link_that_no_longer_works_offers_to_send_the_newest(client, dana):
    dana.link_version = 2
    dana.save()
    stale = client.get(f"/manage/{_old_token(dana)}/")
    assert stale.status_code == 410
    links = [a.attrs.get("href") for a in html(stale).find_all("a")]
    assert RESEND in links


def _old_token(booking) -> str:
    """The manage link made at link_version 1, before staff sent a new one."""
    booking.link_version = 1
    path = private_path(booking, Purpose.MANAGE)
    booking.link_version = 2
    return path.strip("/").split("/")[-1]
