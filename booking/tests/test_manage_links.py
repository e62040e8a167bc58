"""The private link's token, `/manage/<signed token>/`: how long it works, what a forged or garbled one
shows, and the outbox admin masking it.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16.
A visit on PROMO_DAY (Wed April 8) at 10:00 AM may be changed online until Tue April 7, 10:00 AM.
"""

from datetime import date, timedelta

import pytest
from django.core import signing
from django.test import Client

from booking.links import LinkGone, Purpose, booking_for_token, manage_path, private_link, private_token
from booking.manage import patient_reschedule
from booking.models import Booking
from booking.rules import Patient
from booking.tests.factories import BookingFactory, local
from booking.tests.manage_helpers import (
    CHANGE_PAGES,
    OTHER_DAY,
    PHONE,
    Kind,
    booked,
    fresh,
    manage_token,
    unchanged,
    url,
)
from booking.tests.pages import FRIENDLY_404, PROMO_DAY, does_not_say, hrefs, says, slot_at
from notifications.models import Message
from notifications.transports import text_as_sent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "offer")]

# Every page the private link opens.
EVERY_PAGE = [("", "get"), ("calendar.ics", "get"), *CHANGE_PAGES]


# The token ------------------------------------------------------------------------------------------


def test_token_round_trip_gives_the_booking_and_the_path_and_link_carry_it(service, settings):
    booking = booked(service)
    token = manage_token(booking)

    assert booking_for_token(token, Purpose.MANAGE) == booking
    assert manage_path(booking) == f"/manage/{token}/"
    assert private_link(booking, Purpose.MANAGE) == f"{settings.PUBLIC_BASE_URL}/manage/{token}/"
    assert manage_token(booking) == token  # the same booking with the same links: the same link
    assert len(token) < 80  # short enough for a text message


def test_token_carries_the_reference_and_link_version_and_no_database_id(service):
    booking = BookingFactory(id=987_654_321, slot=slot_at(service, PROMO_DAY, 10))
    token = manage_token(booking)

    payload = signing.Signer(salt="booking.link.manage").unsign(token)
    assert payload == f"{booking.reference}.1"
    assert "987654321" not in token
    assert signing.b62_encode(987_654_321) not in token
    # Staff know the reference; without the server's key it opens nothing.
    assert Client().get(f"/manage/{booking.reference}/").status_code == 404


def test_link_works_until_seven_days_after_the_visit_ends_then_expires(service, clock):
    booking = booked(service)  # Wed April 8, 10:00 to 11:00 AM
    token = manage_token(booking)
    expires_at = local(date(2026, 4, 15), 11)

    assert booking_for_token(token, Purpose.MANAGE, now=expires_at - timedelta(seconds=1)) == booking
    with pytest.raises(LinkGone):
        booking_for_token(token, Purpose.MANAGE, now=expires_at)

    clock.move_to(expires_at - timedelta(seconds=1))
    assert Client().get(url(token)).status_code == 200
    clock.move_to(expires_at)
    expired = Client().get(url(token))
    says(expired, "This link no longer works", status=410)
    says(expired, PHONE, status=410)
    assert "tel:+16192681397" in hrefs(expired)
    does_not_say(expired, booking.reference)
    does_not_say(expired, booking.patient_name)


@pytest.mark.parametrize(
    "rest, method",
    [("", "get"), ("calendar.ics", "get"), ("cancel/", "get"), ("cancel/", "post"), ("move/", "get")],
)
def test_an_expired_link_is_410_on_every_page_and_changes_nothing(service, clock, rest, method):
    booking = booked(service)
    token = manage_token(booking)
    clock.move_to(local(date(2026, 4, 16), 9))

    response = getattr(Client(), method)(url(token, rest))

    says(response, "This link no longer works", status=410)
    assert fresh(booking).status == Booking.Status.CONFIRMED


def _value(token: str) -> str:
    return token.rsplit(":", 1)[0]


def _signature(token: str) -> str:
    return token.rsplit(":", 1)[1]


def _later_version(token: str) -> str:
    reference, version = _value(token).split(".")
    return f"{reference}.{int(version) + 1}:{_signature(token)}"


def _flipped_signature(token: str) -> str:
    last = "A" if _signature(token)[-1] != "A" else "B"
    return token[:-1] + last


FORGERIES = {
    "other-reference": lambda token, booking, other: token.replace(booking.reference, other.reference),
    "later-version": lambda token, booking, other: _later_version(token),
    "flipped-signature": lambda token, booking, other: _flipped_signature(token),
    "other-bookings-signature": lambda token, booking, other: f"{_value(token)}:{_signature(manage_token(other))}",
    "truncated-signature": lambda token, booking, other: token[:-4],
    "no-signature": lambda token, booking, other: _value(token) + ":",
    "unsigned": lambda token, booking, other: _value(token),
    "reference-only": lambda token, booking, other: booking.reference,
    "lowercased": lambda token, booking, other: token.lower(),
    "other-secret-key": lambda token, booking, other: signing.Signer(key="not-ours", salt="booking.link.manage").sign(
        _value(token)
    ),
    "no-salt": lambda token, booking, other: signing.Signer().sign(_value(token)),
    "intake-token": lambda token, booking, other: private_token(booking, Purpose.INTAKE),
    "garbage": lambda token, booking, other: "hello-there",
    "space": lambda token, booking, other: " ",
    "colon": lambda token, booking, other: ":",
    "dots-and-colons": lambda token, booking, other: "..::",
    "nul": lambda token, booking, other: "\x00",
    "unicode": lambda token, booking, other: "é:ü",
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_or_garbled_token_is_404_and_shows_nothing_of_the_booking(service, forge):
    booking = booked(service)
    other = booked(
        service, OTHER_DAY, 11, patient=Patient(name="Zed Other", email="z@example.com", phone="+16195550177")
    )
    token = forge(manage_token(booking), booking, other)
    assert token != manage_token(booking)

    assert booking_for_token(token, Purpose.MANAGE) is None
    response = Client().get(url(token))
    says(response, FRIENDLY_404, status=404)
    for shown in (booking, other):
        does_not_say(response, shown.reference)
        does_not_say(response, shown.patient_name)
    does_not_say(response, "April 8")

    # A forged cancel changes nothing.
    assert Client().post(url(token, "cancel/")).status_code == 404
    assert fresh(booking).status == fresh(other).status == Booking.Status.CONFIRMED


@pytest.mark.parametrize("rest, method", EVERY_PAGE)
def test_every_private_page_is_404_for_a_forged_token(service, rest, method):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    forged = _flipped_signature(manage_token(booking))
    before = fresh(booking)

    response = getattr(Client(), method)(url(forged, rest.format(slot=target.pk)), {"quoted_price_cents": 9900})

    assert response.status_code == 404
    assert booking.reference not in response.content.decode()
    unchanged(booking, before)
    assert fresh(booking).status == Booking.Status.CONFIRMED


def test_a_valid_token_for_a_booking_that_no_longer_exists_is_404(service):
    booking = BookingFactory(slot=slot_at(service, PROMO_DAY, 10))
    token = manage_token(booking)
    booking.delete()
    says(Client().get(url(token)), FRIENDLY_404, status=404)


# The outbox admin -----------------------------------------------------------------------------------


def test_outbox_admin_masks_the_private_link(admin_client, service):
    michael = Patient(name="Michael Green", email="michael@example.com", phone="+16195550123", sms_consent=True)
    booking = booked(service, patient=michael)
    patient_reschedule(booking=booking, slot_id=slot_at(service, OTHER_DAY, 11).pk, quoted_price_cents=99_00)
    booking = fresh(booking)

    for message in Message.objects.filter(booking=booking, kind__in=[Kind.CONFIRMATION, Kind.RESCHEDULE]):
        token = text_as_sent(message).split("/manage/")[1].split("/")[0]
        assert booking_for_token(token, Purpose.MANAGE) == booking  # a working link is sent

        response = admin_client.get(f"/admin/notifications/message/{message.pk}/change/")

        assert response.status_code == 200
        content = response.content.decode()
        assert "[private link: manage]" in content
        assert token not in content
        assert token.split(":")[1] not in content  # not even the signature
