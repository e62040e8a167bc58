"""Redis (Django's cache) unreachable (the `cache_down` fixture): the rate limits count nothing and the patient still
books."""

import pytest
from django.test import Client

from booking.links import manage_path
from booking.models import Booking
from booking.tests.pages import PROMO_DAY, REGULAR_DAY, confirm, hidden_fields, review, says, slot_at
from notifications.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def test_with_the_cache_down_a_regular_visit_is_booked_and_lands_on_its_page(cache_down, service, promotion):
    browser = Client()
    slot = slot_at(service, REGULAR_DAY, 10)

    response = confirm(browser, slot, hidden_fields(review(browser, slot)))

    booking = Booking.objects.get()
    assert (response.status_code, response.url) == (302, manage_path(booking))
    assert booking.status == Booking.Status.CONFIRMED


def test_with_the_cache_down_a_discounted_spot_is_held_and_the_patient_can_ask_for_a_code_later(
    cache_down, service, promotion
):
    browser = Client()
    slot = slot_at(service, PROMO_DAY, 10)

    response = confirm(browser, slot, hidden_fields(review(browser, slot)))

    booking = Booking.objects.get()
    assert (response.status_code, response.url) == (302, f"/booking/{booking.reference}/verify/")
    says(browser.get(response.url), "Text me a new code")
    assert Message.objects.filter(booking=booking, kind=Message.Kind.ACCESS_CODE).exists()
