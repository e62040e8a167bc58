"""The private link: a signed booking reference that opens the questionnaire, and nothing else."""

import json
from datetime import timedelta

import pytest
from django.core import signing
from django.http import HttpResponse
from django.test import Client

from assessments.links import TOKEN_SALT, intake_link, intake_path, intake_token
from booking.links import manage_path
from booking.models import Booking
from booking.views import remember_booked

from .helpers import (
    FRIENDLY_404,
    VISIT,
    VISIT_ENDS,
    answer_steps,
    done_url,
    html,
    start_url,
    step_url,
    text,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def assert_friendly_404(response):
    assert response.status_code == 404
    assert FRIENDLY_404 in text(response)


def test_the_link_for_a_confirmed_booking_opens_the_first_step(client, booking):
    response = client.get(start_url(booking))

    assert response.status_code == 302
    assert response["Location"] == step_url(booking, "about")


def test_the_link_resumes_at_the_first_step_not_yet_saved(client, booking):
    answer_steps(client, booking, ["about", "pain"])

    response = client.get(start_url(booking))

    assert response["Location"] == step_url(booking, "running")


def test_the_link_carries_only_the_signed_intake_key_not_the_reference(booking, settings):
    token = intake_token(booking)

    assert intake_path(booking) == f"/intake/{token}/"
    assert intake_link(booking) == f"{settings.PUBLIC_BASE_URL}/intake/{token}/"
    assert signing.loads(token, salt=TOKEN_SALT) == booking.intake_key
    assert booking.reference not in token  # staff see references everywhere; they must not lead here
    payload, timestamp, signature = token.split(":")
    # The readable part is the intake key and nothing else (the rest is the signing time and the signature).
    assert json.loads(signing.b64_decode(payload.encode())) == booking.intake_key
    assert signing.b62_decode(timestamp) > 0
    assert len(signature) == 43


def test_the_private_booking_page_links_to_the_questionnaire_and_the_reference_page_does_not(client, booking):
    booked = HttpResponse()
    remember_booked(booked, [booking.reference])  # the browser that booked goes on to the private page
    client.cookies.update(booked.cookies)
    response = client.get(booking.get_absolute_url(), follow=True)
    assert response.redirect_chain == [(manage_path(booking), 302)]
    assert intake_path(booking) in [a.attrs.get("href") for a in html(response).find_all("a")]

    elsewhere = Client().get(booking.get_absolute_url())
    assert intake_path(booking) not in elsewhere.content.decode()
    assert "Your confirmation email" in elsewhere.content.decode()


def tampered(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda booking: tampered(intake_token(booking)), id="tampered-signature"),
        pytest.param(lambda booking: intake_token(booking).replace(":", "x", 1), id="mangled"),
        pytest.param(lambda booking: signing.dumps(booking.reference), id="signed-without-the-salt"),
        pytest.param(lambda booking: signing.dumps(booking.reference, salt="booking.other"), id="another-salt"),
        pytest.param(lambda booking: signing.dumps("NOSUCHREFERENCE2", salt=TOKEN_SALT), id="unknown-booking"),
        pytest.param(lambda booking: "Zm9vYmFy-not-a-token", id="random-string"),
        pytest.param(lambda booking: booking.reference, id="bare-reference"),
        pytest.param(lambda booking: str(booking.pk), id="database-id"),
    ],
)
def test_a_bad_link_gets_the_friendly_404_on_every_page(client, booking, make_token):
    token = make_token(booking)

    assert_friendly_404(client.get(start_url(token)))
    assert_friendly_404(client.get(step_url(token, "about")))
    assert_friendly_404(client.post(step_url(token, "about"), {"date_of_birth": "1988-03-14"}))
    assert_friendly_404(client.get(done_url(token)))


def test_an_unknown_step_is_a_404(client, booking):
    assert_friendly_404(client.get(step_url(booking, "payment")))


def test_the_link_still_works_the_day_before_it_expires(client, booking, clock):
    clock.move_to(VISIT_ENDS + timedelta(days=6))

    response = client.get(start_url(booking))

    assert response.status_code == 302
    assert response["Location"] == done_url(booking)
    assert client.get(done_url(booking)).status_code == 200


def test_the_link_stops_working_seven_days_after_the_visit_ends(client, booking, clock, settings):
    assert settings.INTAKE_LINK_DAYS == 7
    clock.move_to(VISIT_ENDS + timedelta(days=7))
    assert client.get(done_url(booking)).status_code == 200

    clock.move_to(VISIT_ENDS + timedelta(days=7, minutes=1))

    assert_friendly_404(client.get(start_url(booking)))
    assert_friendly_404(client.get(done_url(booking)))


def test_the_link_lifetime_follows_the_setting(client, booking, clock, settings):
    settings.INTAKE_LINK_DAYS = 2
    clock.move_to(VISIT_ENDS + timedelta(days=2, minutes=1))

    assert_friendly_404(client.get(start_url(booking)))


def test_the_link_works_after_the_visit_for_an_attended_booking(client, booking, clock):
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.ATTENDED)
    clock.move_to(VISIT + timedelta(days=1))

    assert client.get(done_url(booking)).status_code == 200


@pytest.mark.parametrize("status", [Booking.Status.CANCELLED, Booking.Status.EXPIRED, Booking.Status.NO_SHOW])
def test_the_link_of_a_cancelled_or_lapsed_booking_is_a_404(client, booking, status):
    token = intake_token(booking)
    Booking.objects.filter(pk=booking.pk).update(status=status)

    assert_friendly_404(client.get(start_url(token)))
    assert_friendly_404(client.get(step_url(token, "about")))
    assert_friendly_404(client.get(done_url(token)))
