"""Rate limits on the public POSTs (clinic/limits.py): per client address, per email and per phone.

The limits are those in the views' decorators (booking/hold_views.py, waitlist/views.py), copied below:
per address and per email or phone, an hour. Confirming counts the email and mobile of the hold it
confirms (the details step saved them there). django-ratelimit counts
every POST to a view, valid or not, so most posts here are quick invalid ones; a valid post after
the limit shows that the refused request saved nothing. The counts live in Django's cache, which
the root conftest clears before each test; the clock is frozen, so no hour ends mid-test.
"""

import pytest
import time_machine
from django.test import Client

from booking.models import Booking
from booking.tests.pages import MICHAEL, NOW, REGULAR_DAY, does_not_say, says, slot_at
from clinic.client import TrustedProxies
from waitlist.models import WaitlistEntry
from waitlist.tests.offers import fill

pytestmark = pytest.mark.django_db

PAUSED = "Please wait a moment"
DETAILS_PER_ADDRESS, DETAILS_PER_PERSON = 20, 10  # booking/hold_views.py hold_details
CONFIRM_PER_ADDRESS, CONFIRM_PER_PERSON = 5, 3  # booking/hold_views.py hold_confirm
CHOOSE_PER_ADDRESS = 30  # booking/hold_views.py choose_time
JOIN_PER_ADDRESS, JOIN_PER_PERSON = 5, 3  # waitlist/views.py join_offer and join_day
GMAIL_SPELLINGS = ["a.lice@gmail.com", "alice+1@gmail.com", "ALICE@googlemail.com", "al.ice+2@googlemail.com"]
PHONE_TYPINGS = ["(619) 555-0123", "+16195550123", "619-555-0123", "+1 619 555 0123", "619.555.0123"]
VALID_CONFIRM = {"quoted_price_cents": "17500"}  # a regular-price time: booked at once


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def slot(service):
    return slot_at(service, REGULAR_DAY, 10, capacity=100)  # a time every browser here can hold


@pytest.fixture
def hold(slot):
    """A browser at `ip` chooses the time: the browser and its details page's address."""

    def chosen(ip: str = "192.0.2.1", details: dict | None = None) -> tuple[Client, str]:
        browser = Client(REMOTE_ADDR=ip)
        response = browser.post(f"/book/time/{slot.pk}/")
        assert response.status_code == 303, response.content.decode()
        if details:
            assert browser.post(response.url, details).status_code == 303
        return browser, response.url

    return chosen


def asked_for():
    return Booking.objects.exclude(requested_at=None)


@pytest.fixture
def join_url(promotion):
    fill(promotion)  # the waiting list is open once every discounted spot is taken
    return f"/waitlist/offer/{promotion.pk}/"


def address(n: int) -> str:
    return f"203.0.113.{n}"


def post(url: str, data: dict, *, ip: str = "198.51.100.7", browser: Client | None = None):
    """A POST from `browser` (else a browser of its own) at `ip` (REMOTE_ADDR: no proxy in front, the default)."""
    return (browser or Client()).post(url, data, REMOTE_ADDR=ip)


def paused(response, clinic) -> None:
    """The friendly 429 page, with the clinic's phone to call instead."""
    says(response, PAUSED, status=429)
    says(response, clinic.phone_display, status=429)
    assert f'href="tel:{clinic.phone}"' in response.content.decode()


def not_paused(response) -> None:
    assert response.status_code != 429, response.content.decode()
    does_not_say(response, PAUSED)


# Per client address -----------------------------------------------------------------------------


def test_one_details_post_too_many_from_one_address_gets_the_friendly_429(clinic, hold):
    browser, url = hold()
    for _ in range(DETAILS_PER_ADDRESS):
        assert post(url, {}, browser=browser).status_code == 400  # names no one: only the address counts

    paused(post(url, MICHAEL, browser=browser), clinic)

    assert post(url, MICHAEL, browser=browser, ip=address(1)).status_code == 303  # another address is not held up


def test_one_confirm_too_many_from_one_address_gets_the_429_and_books_nothing(clinic, hold):
    browser, url = hold()  # no details yet: only the address counts
    for _ in range(CONFIRM_PER_ADDRESS):
        assert post(url + "confirm/", {}, browser=browser).status_code == 400
    assert post(url, MICHAEL, browser=browser, ip=address(2)).status_code == 303

    paused(post(url + "confirm/", VALID_CONFIRM, browser=browser), clinic)
    assert not asked_for().exists()

    assert post(url + "confirm/", VALID_CONFIRM, browser=browser, ip=address(1)).status_code == 302
    assert asked_for().get().email == "michael@example.com"


def test_one_waiting_list_join_too_many_from_one_address_gets_the_429_and_saves_no_entry(clinic, join_url):
    for _ in range(JOIN_PER_ADDRESS):
        assert post(join_url, {}).status_code == 400

    paused(post(join_url, MICHAEL), clinic)
    assert not WaitlistEntry.objects.exists()

    assert post(join_url, MICHAEL, ip=address(1)).status_code == 302
    assert WaitlistEntry.objects.get().email == "michael@example.com"


def test_behind_the_clinics_proxy_the_address_counted_is_the_one_the_proxy_saw(clinic, join_url, settings):
    settings.TRUSTED_PROXIES = TrustedProxies.parse("10.0.0.1")  # the clinic's proxy appends the client's address
    proxy = "10.0.0.1"

    def via_proxy(client_ip: str, forged: str):
        return Client().post(join_url, {}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"{forged}, {client_ip}")

    for n in range(JOIN_PER_ADDRESS):
        assert via_proxy(address(1), forged=address(100 + n)).status_code == 400  # a new forged entry each time

    paused(via_proxy(address(1), forged=address(200)), clinic)
    assert via_proxy(address(2), forged=address(1)).status_code == 400  # another client through the same proxy


# Per email, across addresses and spellings of one inbox -------------------------------------------


def test_the_details_step_counts_one_inbox_across_addresses_and_plus_tags(clinic, hold):
    browser, url = hold()
    for n in range(DETAILS_PER_PERSON):
        assert post(url, {"email": f"alice+{n}@example.com"}, ip=address(n), browser=browser).status_code == 400

    paused(post(url, {**MICHAEL, "email": "Alice+new@Example.com"}, ip=address(99), browser=browser), clinic)

    assert post(url, MICHAEL, ip=address(99), browser=browser).status_code == 303  # not the address: the inbox


def test_the_confirm_step_counts_one_inbox_across_addresses_and_spellings_and_books_nothing_after(clinic, hold):
    for n in range(CONFIRM_PER_PERSON):
        email = GMAIL_SPELLINGS[n % len(GMAIL_SPELLINGS)]
        browser, url = hold(address(n), {**MICHAEL, "email": email, "phone": f"(619) 555-014{n}"})
        assert post(url + "confirm/", {}, ip=address(n), browser=browser).status_code == 400

    browser, url = hold(address(99), {**MICHAEL, "email": "alice+3@gmail.com", "phone": "(619) 555-0149"})
    paused(post(url + "confirm/", VALID_CONFIRM, ip=address(99), browser=browser), clinic)
    assert not asked_for().exists()

    browser, url = hold(address(99), MICHAEL)
    assert post(url + "confirm/", VALID_CONFIRM, ip=address(99), browser=browser).status_code == 302


def test_the_waiting_list_counts_one_inbox_across_addresses_and_saves_no_entry_after(clinic, join_url):
    for n in range(JOIN_PER_PERSON):
        email = ["bob+1@example.com", "BOB@example.com", "bob+2@Example.com"][n % 3]
        assert post(join_url, {"email": email}, ip=address(n)).status_code == 400

    paused(post(join_url, {**MICHAEL, "email": "bob+3@example.com"}, ip=address(99)), clinic)
    assert not WaitlistEntry.objects.exists()

    assert post(join_url, MICHAEL, ip=address(99)).status_code == 302


# Per phone, across addresses and ways of typing one number ----------------------------------------


def test_the_details_step_counts_one_phone_across_addresses_and_formats(clinic, hold):
    browser, url = hold()
    for n in range(DETAILS_PER_PERSON):
        typed = {"phone": PHONE_TYPINGS[n % len(PHONE_TYPINGS)]}
        assert post(url, typed, ip=address(n), browser=browser).status_code == 400

    paused(post(url, {**MICHAEL, "email": "new@example.com"}, ip=address(99), browser=browser), clinic)

    assert post(url, {**MICHAEL, "phone": "(619) 555-0124"}, ip=address(99), browser=browser).status_code == 303


def test_the_confirm_step_counts_one_phone_across_addresses_and_formats_and_books_nothing_after(clinic, hold):
    for n in range(CONFIRM_PER_PERSON):
        typed = {**MICHAEL, "email": f"m{n}@example.com", "phone": PHONE_TYPINGS[n % len(PHONE_TYPINGS)]}
        browser, url = hold(address(n), typed)
        assert post(url + "confirm/", {}, ip=address(n), browser=browser).status_code == 400

    browser, url = hold(address(99), {**MICHAEL, "email": "new@example.com"})
    paused(post(url + "confirm/", VALID_CONFIRM, ip=address(99), browser=browser), clinic)
    assert not asked_for().exists()

    browser, url = hold(address(99), {**MICHAEL, "phone": "(619) 555-0124"})
    assert post(url + "confirm/", VALID_CONFIRM, ip=address(99), browser=browser).status_code == 302


def test_the_waiting_list_counts_one_phone_across_addresses_and_formats(clinic, join_url):
    for n in range(JOIN_PER_PERSON):
        assert post(join_url, {"phone": PHONE_TYPINGS[n % len(PHONE_TYPINGS)]}, ip=address(n)).status_code == 400

    paused(post(join_url, {**MICHAEL, "email": "new@example.com"}, ip=address(99)), clinic)
    assert not WaitlistEntry.objects.exists()

    assert post(join_url, {**MICHAEL, "phone": "(619) 555-0124"}, ip=address(99)).status_code == 302


# What is never limited ----------------------------------------------------------------------------


def test_pages_are_never_limited_even_for_an_address_whose_posts_are(clinic, hold, join_url):
    browser, details_url = hold("198.51.100.7")
    for _ in range(DETAILS_PER_ADDRESS):
        browser.post(details_url, {})
    for _ in range(JOIN_PER_ADDRESS):
        browser.post(join_url, {})
    paused(browser.post(details_url, {}), clinic)
    paused(browser.post(join_url, {}), clinic)

    for _ in range(40):
        assert browser.get(details_url).status_code == 200
        assert browser.get(join_url).status_code == 200


def test_choosing_times_is_limited_per_address_and_holds_nothing_after(clinic, slot):
    for _ in range(CHOOSE_PER_ADDRESS):
        assert post(f"/book/time/{slot.pk}/", {}).status_code == 303

    paused(post(f"/book/time/{slot.pk}/", {}), clinic)
    assert Booking.objects.count() == CHOOSE_PER_ADDRESS

    assert post(f"/book/time/{slot.pk}/", {}, ip=address(1)).status_code == 303


def test_with_ratelimit_enable_off_nothing_is_limited(clinic, hold, join_url, settings):
    settings.RATELIMIT_ENABLE = False
    browser, url = hold()

    for _ in range(DETAILS_PER_ADDRESS + 1):
        not_paused(post(url, MICHAEL, browser=browser))
    for _ in range(CONFIRM_PER_ADDRESS):
        not_paused(post(url + "confirm/", {}, browser=browser))
    assert post(url + "confirm/", VALID_CONFIRM, browser=browser).status_code == 302
    for _ in range(JOIN_PER_ADDRESS):
        not_paused(post(join_url, {"email": "alice@example.com"}))
    assert post(join_url, MICHAEL).status_code == 302

    assert asked_for().filter(email="michael@example.com").count() == 1
    assert WaitlistEntry.objects.count() == 1
