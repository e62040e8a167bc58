from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from booking.tests.factories import BookingFactory, SlotFactory
from clinic.tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db

# The booking page's read-only inlines still post their (empty) management forms.
NO_INLINES = {
    f"{prefix}-{field}": "0"
    for prefix in ("events", "payments", "desk_payments", "messages")
    for field in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
}


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("desk", "desk@example.com", "a-long-test-password")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/clinic/clinic/",
        "/admin/clinic/closure/",
        "/admin/clinic/practitioner/",
        "/admin/booking/service/",
        "/admin/booking/promotion/",
        "/admin/booking/slot/",
        "/admin/booking/booking/",
        "/admin/booking/booking/?q=runner",
    ],
)
def test_admin_lists_render(staff_client, promotion, url):
    BookingFactory(slot=SlotFactory(service=promotion.service), promotion=promotion)
    response = staff_client.get(url)
    assert response.status_code == 200


def test_booking_page_shows_the_locked_price_read_only(staff_client, promotion):
    booking = BookingFactory(slot=SlotFactory(service=promotion.service), promotion=promotion)
    response = staff_client.get(f"/admin/booking/booking/{booking.pk}/change/")
    assert response.status_code == 200
    assert b'name="price_cents"' not in response.content
    assert b'name="status"' not in response.content
    assert b"9900" in response.content


def test_promotion_price_must_be_below_the_regular_rate(staff_client, promotion):
    response = staff_client.post(
        f"/admin/booking/promotion/{promotion.pk}/change/",
        {
            "service": promotion.service.pk,
            "name": promotion.name,
            "headline": "",
            "price_cents": 200_00,
            "spots": 8,
            "visit_starts_on": promotion.visit_starts_on.isoformat(),
            "visit_ends_on": promotion.visit_ends_on.isoformat(),
            "opens_at_0": "2026-01-01",
            "opens_at_1": "00:00",
            "closes_at_0": "2026-12-31",
            "closes_at_1": "00:00",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert b"must be below the regular price" in response.content
    promotion.refresh_from_db()
    assert promotion.price_cents == 99_00


@pytest.mark.parametrize(
    "typed, stored, status", [("call me maybe", "+16195550100", 200), ("(619) 555-0177", "+16195550177", 302)]
)
def test_booking_phone_is_checked_and_stored_in_e164(staff_client, service, typed, stored, status):
    booking = BookingFactory(slot=SlotFactory(service=service), phone="+16195550100")
    response = staff_client.post(
        f"/admin/booking/booking/{booking.pk}/change/",
        {"patient_name": booking.patient_name, "email": booking.email, "phone": typed, "language": "en", **NO_INLINES},
    )
    assert response.status_code == status
    booking.refresh_from_db()
    assert booking.phone == stored


def test_a_closure_over_booked_days_warns_the_front_desk(staff_client, clinic, service):
    booking = BookingFactory(slot=SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=3)))
    day = timezone.localtime(booking.slot.starts_at, clinic.tz).date()
    response = staff_client.post(
        "/admin/clinic/closure/add/",
        {"clinic": clinic.pk, "starts_on": day.isoformat(), "ends_on": day.isoformat(), "reason": "Holiday"},
        follow=True,
    )
    notices = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(n.startswith("1 booking(s) fall on these days") for n in notices)


def test_manager_sets_the_parking_note_and_map_link_the_offer_page_shows(client, manager):
    clinic = ClinicFactory(hours=False)
    client.force_login(manager)
    form = client.get(f"/admin/clinic/clinic/{clinic.pk}/change/")
    assert b'name="parking_note"' in form.content and b'name="map_url"' in form.content

    response = client.post(
        f"/admin/clinic/clinic/{clinic.pk}/change/",
        {
            **{f: getattr(clinic, f) for f in ("name", "phone", "email", "street", "city", "region", "postal_code")},
            "time_zone": clinic.time_zone,
            "map_url": "https://www.openstreetmap.org/search?query=4901%20Morena%20Blvd",
            "parking_note": "Free parking in the building’s lot.",
            **{f"opening_hours-{k}": "0" for k in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")},
        },
    )

    assert response.status_code == 302, response.content.decode()
    clinic.refresh_from_db()
    assert clinic.map_link == "https://www.openstreetmap.org/search?query=4901%20Morena%20Blvd"
    assert clinic.parking_note == "Free parking in the building’s lot."
