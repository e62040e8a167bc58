"""The client's address behind the clinic's own proxies (clinic/client.py), and what keys on it."""

import pytest
import time_machine
from django.test import RequestFactory

from assessments.tests.helpers import NOW, make_booking
from booking.links import Purpose, private_token
from clinic.client import client_ip

PROXY = "10.0.0.2"  # the proxy the app server sees: every request arrives from it
LOGIN = "/admin/login/?next=/admin/"


def ip(forwarded: str | None = None, remote: str = PROXY) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


# client_ip ------------------------------------------------------------------------------------------------


def test_with_no_proxy_the_address_is_the_connections_whatever_the_header_says(settings):
    settings.PROXY_COUNT = 0

    assert ip() == PROXY
    assert ip("203.0.113.5") == PROXY
    assert ip("6.6.6.6, 203.0.113.5") == PROXY


def test_behind_one_proxy_the_address_is_the_one_the_proxy_appended(settings):
    settings.PROXY_COUNT = 1

    assert ip("203.0.113.5") == "203.0.113.5"
    assert ip("6.6.6.6, 203.0.113.5") == "203.0.113.5"  # the left-most entry is the client's own say-so
    assert ip("6.6.6.6,7.7.7.7,  203.0.113.5 ") == "203.0.113.5"


def test_behind_two_proxies_the_address_is_second_from_the_right(settings):
    settings.PROXY_COUNT = 2

    assert ip("203.0.113.5, 10.0.0.1") == "203.0.113.5"
    assert ip("6.6.6.6, 203.0.113.5, 10.0.0.1") == "203.0.113.5"


@pytest.mark.parametrize(
    "proxies, forwarded",
    [
        (1, None),  # no header at all
        (1, ""),
        (2, "203.0.113.5"),  # fewer entries than proxies: one of them did not append
        (1, "6.6.6.6, unknown"),
        (1, "6.6.6.6, 203.0.113.5:443"),
        (1, "6.6.6.6, 203.0.113.999"),
        (2, "203.0.113.5, not-an-address, 10.0.0.1"),
    ],
)
def test_a_header_the_proxies_could_not_have_written_falls_back_to_the_connection(settings, proxies, forwarded):
    settings.PROXY_COUNT = proxies

    assert ip(forwarded) == PROXY


def test_ipv6_addresses_are_read_and_written_in_their_short_form(settings):
    settings.PROXY_COUNT = 1

    assert ip("6.6.6.6, 2001:db8::5") == "2001:db8::5"
    assert ip("2001:DB8:0:0:0:0:0:5") == "2001:db8::5"
    settings.PROXY_COUNT = 0
    assert ip("2001:db8::5", remote="2001:db8::2") == "2001:db8::2"


# What keys on it ------------------------------------------------------------------------------------------


@pytest.fixture
def desk(django_user_model):
    return django_user_model.objects.create_user("desk", "desk@example.com", "the-right-password-1", is_staff=True)


def login(client, password, forwarded):
    data = {"username": "desk", "password": password}
    return client.post(LOGIN, data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
def test_a_login_lockout_follows_the_real_client_not_what_it_claims(client, desk, settings):
    settings.PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 5

    statuses = [login(client, "wrong", f"6.6.6.{n}, 203.0.113.5").status_code for n in range(5)]
    assert statuses == [200] * 4 + [429]  # the login form again with its error, then locked
    assert login(client, "the-right-password-1", "7.7.7.7, 203.0.113.5").status_code == 429
    assert "_auth_user_id" not in client.session

    # Another client behind the same proxy, claiming the locked client's address, is not locked.
    assert login(client, "wrong", "203.0.113.5, 203.0.113.77").status_code == 200
    assert login(client, "the-right-password-1", "6.6.6.6, 203.0.113.77").status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_with_no_proxy_every_claim_is_ignored_and_the_connection_is_locked(client, desk, settings):
    settings.PROXY_COUNT = 0
    settings.AXES_FAILURE_LIMIT = 5

    statuses = [login(client, "wrong", f"203.0.113.{n}").status_code for n in range(5)]
    assert statuses == [200] * 4 + [429]
    assert login(client, "the-right-password-1", "198.51.100.1").status_code == 429


@pytest.mark.django_db
def test_the_code_entry_rate_limit_counts_the_real_client(client, service, settings):
    """Typing codes: 30 tries an hour from one address (assessments/views.py, enter_code)."""
    settings.PROXY_COUNT = 1
    with time_machine.travel(NOW, tick=False):
        url = f"/intake/{private_token(make_booking(service), Purpose.INTAKE)}/code/"

        def enter(forwarded):
            return client.post(url, {"code": ""}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded).status_code

        statuses = [enter(f"6.6.{n}.6, 203.0.113.5") for n in range(30)]
        assert 429 not in statuses, statuses
        limited = client.post(url, {"code": ""}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="7.7.7.7, 203.0.113.5")
        assert limited.status_code == 429
        assert limited.templates[0].name == "429.html"  # the rate limit's page, not a code lockout
        assert enter("203.0.113.5, 203.0.113.77") != 429
