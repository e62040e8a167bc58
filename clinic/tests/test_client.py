"""The client's address and scheme behind the clinic's own proxies (clinic/client.py), and what keys on them."""

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from assessments.tests.helpers import NOW, make_booking
from booking.links import Purpose, private_token
from clinic.client import ForwardedProtoFromTrustedProxies, TrustedProxies, client_ip

PROXY = "10.0.0.2"  # the proxy the app server sees: every request arrives from it
STRANGER = "198.51.100.9"  # a peer that is no proxy of the clinic's: it reached the app server directly
LOGIN = "/admin/login/?next=/admin/"


def trust(settings, value: str) -> None:
    """TRUSTED_PROXIES as the environment would give it."""
    settings.TRUSTED_PROXIES = TrustedProxies.parse(value)


def ip(forwarded: str | None = None, remote: str = PROXY) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


# client_ip ------------------------------------------------------------------------------------------------


def test_with_no_proxy_the_address_is_the_connections_whatever_the_header_says(settings):
    trust(settings, "")

    assert ip() == PROXY
    assert ip("203.0.113.5") == PROXY
    assert ip("6.6.6.6, 203.0.113.5") == PROXY


def test_behind_one_proxy_the_address_is_the_one_the_proxy_appended(settings):
    trust(settings, "1")

    assert ip("203.0.113.5") == "203.0.113.5"
    assert ip("6.6.6.6, 203.0.113.5") == "203.0.113.5"  # the left-most entry is the client's own say-so
    assert ip("6.6.6.6,7.7.7.7,  203.0.113.5 ") == "203.0.113.5"


def test_behind_two_proxies_the_address_is_second_from_the_right(settings):
    trust(settings, "2")

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
    trust(settings, str(proxies))

    assert ip(forwarded) == PROXY


def test_ipv6_addresses_are_read_and_written_in_their_short_form(settings):
    trust(settings, "1")

    assert ip("6.6.6.6, 2001:db8::5") == "2001:db8::5"
    assert ip("2001:DB8:0:0:0:0:0:5") == "2001:db8::5"
    trust(settings, "")
    assert ip("2001:db8::5", remote="2001:db8::2") == "2001:db8::2"


# TRUSTED_PROXIES ------------------------------------------------------------------------------------------


def test_trusted_proxies_is_nothing_a_count_or_addresses_and_networks():
    assert not TrustedProxies.parse("")
    assert not TrustedProxies.parse("0")
    assert TrustedProxies.parse(" 2 ") == TrustedProxies(count=2)
    proxies = TrustedProxies.parse(" 10.0.0.2, 10.1.0.0/16,2001:db8::/32, ")
    assert [str(network) for network in proxies.networks] == ["10.0.0.2/32", "10.1.0.0/16", "2001:db8::/32"]


@pytest.mark.parametrize("value", ["proxy.internal", "10.0.0.1/24", "-1", "10.0.0.2 10.0.0.3", "*", "10.0.0.256"])
def test_trusted_proxies_that_are_neither_stop_the_site_with_a_message_naming_the_setting(value):
    with pytest.raises(ImproperlyConfigured, match=r"^TRUSTED_PROXIES=.*their addresses or networks"):
        TrustedProxies.parse(value)


def test_behind_proxies_named_by_address_the_client_is_the_first_address_from_the_right_that_is_not_one(settings):
    trust(settings, "10.0.0.2, 10.1.0.0/16")

    assert ip("203.0.113.5") == "203.0.113.5"
    assert ip("6.6.6.6, 203.0.113.5") == "203.0.113.5"  # the left-most entry is the client's own say-so
    assert ip("6.6.6.6, 203.0.113.5, 10.1.4.4") == "203.0.113.5"  # through an inner proxy of the clinic's
    assert ip("2001:DB8:0:0:0:0:0:5") == "2001:db8::5"
    assert ip("10.1.4.4") == "10.1.4.4"  # a check from inside: every hop is a proxy
    assert ip() == PROXY  # nothing forwarded: the proxy itself asked
    assert ip(remote="::ffff:10.0.0.2", forwarded="203.0.113.5") == "203.0.113.5"  # IPv4 on a dual-stack socket


@pytest.mark.parametrize("forwarded", ["203.0.113.5", "6.6.6.6, 203.0.113.5", "203.0.113.5, 10.0.0.2"])
def test_a_peer_that_is_not_a_trusted_proxy_is_the_client_whatever_its_header_says(settings, forwarded):
    trust(settings, "10.0.0.2, 10.1.0.0/16")

    assert ip(forwarded, remote=STRANGER) == STRANGER


@pytest.mark.parametrize("forwarded", ["6.6.6.6, unknown", "6.6.6.6, 203.0.113.5:443", "203.0.113.5, , 10.1.4.4"])
def test_a_header_the_proxies_named_by_address_could_not_have_written_falls_back_to_the_connection(settings, forwarded):
    trust(settings, "10.0.0.2, 10.1.0.0/16")

    assert ip(forwarded) == PROXY


# X-Forwarded-Proto ----------------------------------------------------------------------------------------


def is_secure(remote: str, proto: str = "https") -> bool:
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_PROTO=proto)
    return ForwardedProtoFromTrustedProxies(lambda request: request.is_secure())(request)


@pytest.mark.parametrize(
    "proxies, remote, secure",
    [
        ("10.0.0.2", PROXY, True),
        ("10.0.0.0/24", PROXY, True),
        ("10.0.0.2", STRANGER, False),  # claims HTTPS over plain HTTP, straight to the app server
        ("1", STRANGER, True),  # counted proxies: only they reach the app server, so the peer is one
        ("", PROXY, False),  # no proxy: the header is anyone's
    ],
)
def test_x_forwarded_proto_makes_a_request_secure_only_from_a_trusted_proxy(settings, proxies, remote, secure):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # even were the header always read
    trust(settings, proxies)

    assert is_secure(remote) is secure
    assert is_secure(remote, proto="http") is False


@pytest.mark.django_db
def test_plain_http_claiming_to_be_https_is_still_sent_to_https_and_given_no_secure_cookie(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.CSRF_COOKIE_SECURE = True
    trust(settings, "10.0.0.2")

    forged = client.get(LOGIN, REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_PROTO="https")
    assert forged.status_code == 301
    assert forged["Location"] == "https://testserver" + LOGIN
    assert not forged.cookies

    proxied = client.get(LOGIN, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    assert proxied.cookies["csrftoken"]["secure"]


# What keys on it ------------------------------------------------------------------------------------------


@pytest.fixture
def desk(django_user_model):
    return django_user_model.objects.create_user("desk", "desk@example.com", "the-right-password-1", is_staff=True)


def login(client, password, forwarded):
    data = {"username": "desk", "password": password}
    return client.post(LOGIN, data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
def test_a_login_lockout_follows_the_real_client_not_what_it_claims(client, desk, settings):
    trust(settings, "1")
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
    trust(settings, "")
    settings.AXES_FAILURE_LIMIT = 5

    statuses = [login(client, "wrong", f"203.0.113.{n}").status_code for n in range(5)]
    assert statuses == [200] * 4 + [429]
    assert login(client, "the-right-password-1", "198.51.100.1").status_code == 429


@pytest.mark.django_db
def test_a_login_lockout_ignores_what_a_peer_that_is_not_a_trusted_proxy_claims(client, desk, settings):
    trust(settings, "10.0.0.2")
    settings.AXES_FAILURE_LIMIT = 5

    def login_direct(password, forwarded):
        data = {"username": "desk", "password": password}
        return client.post(LOGIN, data, REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_FOR=forwarded).status_code

    statuses = [login_direct("wrong", f"203.0.113.{n}") for n in range(5)]
    assert statuses == [200] * 4 + [429]
    assert login_direct("the-right-password-1", "198.51.100.1") == 429
    # The address it kept claiming is not locked: through the proxy, that client signs in.
    assert login(client, "the-right-password-1", "203.0.113.4").status_code == 302


@pytest.mark.django_db
def test_the_code_entry_rate_limit_counts_the_real_client(client, service, settings):
    """Typing codes: 30 tries an hour from one address (assessments/views.py, enter_code)."""
    trust(settings, "1")
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
