"""Fifty made-up patients from one address go for the $99 spots, with the rate limits on (as in production).

Each gets either a 429 or the page asking for the code texted to "their" mobile; only a patient who types
that code books a discounted spot, and the rest lapse and give the spots back: the codes' holds after 10
minutes, the times chosen and never confirmed after BOOKING_HOLD_MINUTES.
"""

from datetime import timedelta

import pytest
from django.test import Client

from booking.models import Booking
from booking.tests.pages import NOW, PROMO_DAY, VERIFY_URL, hidden_fields, slot_at, type_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

BOT_ADDRESS = "203.0.113.66"


def made_up(n: int) -> dict:
    return {"name": f"Pat Bot{chr(65 + n % 26)}", "email": f"bot{n}@example.net", "phone": f"(619) 555-{n:04d}"}


def attempt(slot, patient: dict) -> tuple[str, Client, object]:
    """One made-up patient, in a browser of their own, through details and confirm: how it ended."""
    browser = Client(REMOTE_ADDR=BOT_ADDRESS)
    response = browser.post(f"/book/time/{slot.pk}/")  # the time, held
    if response.status_code != 303:
        return str(response.status_code), browser, response
    response = browser.post(response.url, patient)  # the details
    if response.status_code != 303:
        return str(response.status_code), browser, response
    review = response.url
    response = browser.post(review.replace("/review/", "/confirm/"), hidden_fields(browser.get(review)))
    if response.status_code == 302 and VERIFY_URL.match(response.url):
        return "code asked", browser, response
    return str(response.status_code), browser, response


def test_fifty_made_up_patients_from_one_address_take_no_spot_they_cannot_prove(service, promotion, clock, settings):
    assert settings.RATELIMIT_ENABLE
    assert promotion.spots == 8
    slots = [slot_at(service, PROMO_DAY + timedelta(days=n // 10), 7 + n % 10) for n in range(50)]

    outcomes = [attempt(slot, made_up(n)) for n, slot in enumerate(slots)]

    ended = [outcome for outcome, _, _ in outcomes]
    assert set(ended) <= {"429", "code asked"}, ended
    assert ended.count("code asked") <= promotion.spots
    assert "429" in ended
    for outcome, _, response in outcomes:
        if outcome == "429":
            assert "call" in response.content.decode()  # the friendly page, with the clinic's phone
    # The one real person among them types the code their phone received.
    _, real_browser, real_response = next(o for o in outcomes if o[0] == "code asked")
    real = Booking.objects.get(reference=VERIFY_URL.match(real_response.url)["reference"])
    assert type_code(real_browser, real).status_code == 302

    later = NOW + timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 1)
    clock.move_to(later)  # every code has expired; every unproven hold has lapsed

    now = later
    discounted = Booking.objects.active(now).filter(promotion=promotion)
    assert list(discounted) == [Booking.objects.get(pk=real.pk)]
    assert discounted.get().phone_verified_at is not None
    assert promotion.spots - discounted.count() == 7  # the other seven spots are free again
    phones = list(discounted.values_list("phone", flat=True))
    assert len(phones) == len(set(phones))  # at most one discounted spot per verified phone


def test_a_script_choosing_times_it_never_books_holds_no_more_than_two_discounted_spots(service, promotion):
    times = [slot_at(service, PROMO_DAY, 7 + n) for n in range(4)]

    held = []
    for slot in times:  # no cookies kept: every choice comes from a new "browser", all from one address
        response = Client(REMOTE_ADDR=BOT_ADDRESS).post(f"/book/time/{slot.pk}/")
        assert response.status_code == 303
        held.append(Booking.objects.get(slot=slot))

    assert [b.price_cents for b in held] == [99_00, 99_00, 175_00, 175_00]
    assert promotion.bookings.count() == 2  # six of the eight $99 spots are still there for people
    person = Client(REMOTE_ADDR="198.51.100.23")
    response = person.post(f"/book/time/{slot_at(service, PROMO_DAY, 12).pk}/")
    assert Booking.objects.get(reference=response.url.split("/")[-2]).price_cents == 99_00


def test_a_time_held_at_the_regular_rate_for_its_address_says_why_and_stays_at_it(service, promotion):
    for hour in (7, 8):
        Client(REMOTE_ADDR=BOT_ADDRESS).post(f"/book/time/{slot_at(service, PROMO_DAY, hour).pk}/")
    browser = Client(REMOTE_ADDR=BOT_ADDRESS)
    details = browser.get(browser.post(f"/book/time/{slot_at(service, PROMO_DAY, 9).pk}/").url)

    assert "Discounted times are already being booked from your connection" in details.content.decode()
    response = browser.post(details.wsgi_request.path, made_up(1))
    review = browser.get(response.url)
    assert hidden_fields(review) == {"quoted_price_cents": "17500"}
    assert Booking.objects.get(patient_name=made_up(1)["name"]).promotion is None
