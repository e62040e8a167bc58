"""The private link: a signed booking reference that opens the questionnaire, and nothing else."""

from datetime import timedelta

import pytest
from django.core import signing
from django.http import HttpResponse
from django.test import Client, RequestFactory

from booking.browser import remember_booked
from booking.links import Purpose, manage_path, private_link, private_path, private_token
from booking.models import Booking

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


def test_the_link_carries_the_signed_reference_and_link_version_for_the_questionnaire_only(booking, settings):
    token = private_token(booking, Purpose.INTAKE)

    assert private_path(booking, Purpose.INTAKE) == f"/intake/{token}/"
    assert private_link(booking, Purpose.INTAKE) == f"{settings.PUBLIC_BASE_URL}/intake/{token}/"
    # A reference alone opens nothing (staff see references everywhere): only the server's key signs one.
    value, signature = token.split(":")
    assert signing.Signer(salt="booking.link.intake").unsign(token) == value == f"{booking.reference}.1"
    assert len(signature) == 43
    assert token != private_token(booking, Purpose.MANAGE)


def test_the_private_booking_page_links_to_the_questionnaire_and_the_reference_page_does_not(client, booking):
    booked = HttpResponse()
    remember_booked(RequestFactory().get("/"), booked, booking)  # the browser that booked goes on from the reference
    client.cookies.update(booked.cookies)
    response = client.get(booking.get_absolute_url(), follow=True)
    assert response.redirect_chain == [(manage_path(booking), 302)]
    assert private_path(booking, Purpose.INTAKE) in [a.attrs.get("href") for a in html(response).find_all("a")]

    elsewhere = Client().get(booking.get_absolute_url())
    assert private_path(booking, Purpose.INTAKE) not in elsewhere.content.decode()
    assert "This booking is confirmed." in elsewhere.content.decode()


def tampered(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda booking: tampered(private_token(booking, Purpose.INTAKE)), id="tampered-signature"),
        pytest.param(lambda booking: private_token(booking, Purpose.INTAKE).replace(":", "x", 1), id="mangled"),
        pytest.param(lambda booking: private_token(booking, Purpose.INTAKE)[:-5], id="cut-short"),
        pytest.param(lambda booking: signing.Signer().sign(f"{booking.reference}.1"), id="signed-without-the-salt"),
        pytest.param(
            lambda booking: signing.Signer(salt="booking.other").sign(f"{booking.reference}.1"), id="another-salt"
        ),
        pytest.param(
            lambda booking: signing.Signer(salt="booking.link.intake").sign("NOSUCHREFERENCE2.1"), id="unknown-booking"
        ),
        pytest.param(lambda booking: private_token(booking, Purpose.MANAGE), id="the-manage-link"),
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


def assert_gone(response):
    """A link we made that no longer works: a page that says so, with the clinic's phone."""
    assert response.status_code == 410
    assert "This link no longer works" in text(response)
    assert "(619) 268-1397" in text(response)


def test_the_link_stops_working_seven_days_after_the_visit_ends(client, booking, clock, settings):
    assert settings.INTAKE_LINK_DAYS == 7
    clock.move_to(VISIT_ENDS + timedelta(days=7, seconds=-1))
    assert client.get(done_url(booking)).status_code == 200

    clock.move_to(VISIT_ENDS + timedelta(days=7))

    assert_gone(client.get(start_url(booking)))
    assert_gone(client.get(done_url(booking)))


def test_the_link_lifetime_follows_the_setting(client, booking, clock, settings):
    settings.INTAKE_LINK_DAYS = 2
    clock.move_to(VISIT_ENDS + timedelta(days=2, minutes=1))

    assert_gone(client.get(start_url(booking)))


def test_the_link_works_after_the_visit_for_an_attended_booking(client, booking, clock):
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.ATTENDED)
    clock.move_to(VISIT + timedelta(days=1))

    assert client.get(done_url(booking)).status_code == 200


@pytest.mark.parametrize("status", [Booking.Status.CANCELLED, Booking.Status.EXPIRED, Booking.Status.NO_SHOW])
def test_the_link_of_a_cancelled_or_lapsed_booking_is_a_404(client, booking, status):
    token = private_token(booking, Purpose.INTAKE)
    Booking.objects.filter(pk=booking.pk).update(status=status)

    assert_friendly_404(client.get(start_url(token)))
    assert_friendly_404(client.get(step_url(token, "about")))
    assert_friendly_404(client.get(done_url(token)))
