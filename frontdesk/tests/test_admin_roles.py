"""Each role's main admin pages: they render, for the roles that may see them, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking.rules import Patient
from booking.services import booking_create
from booking.tests.factories import SlotFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/",
    "/admin/booking/booking/",
    "/admin/booking/slot/",
    "/admin/?span=week",
    "/admin/booking/promotion/",
    "/admin/notifications/message/",
    "/admin/texts/",
]
SEES = {
    "Front desk": set(PAGES),
    "Clinician": {
        "/admin/",
        "/admin/booking/booking/",
        "/admin/booking/slot/",
        "/admin/?span=week",
        "/admin/texts/",
    },
    None: set(PAGES),  # a superuser
}


@pytest.fixture(params=["Front desk", "Clinician", None], ids=["front-desk", "clinician", "superuser"])
def staff_client(request, client, django_user_model):
    if request.param is None:
        user = django_user_model.objects.create_superuser("boss", "boss@example.com", "a-long-test-password")
    else:
        user = django_user_model.objects.create_user("staff", "s@example.com", "a-long-test-password", is_staff=True)
        user.groups.add(Group.objects.get(name=request.param))
    client.force_login(user)
    client.role = request.param
    return client


def book(service, n: int):
    slot = SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=1, hours=n))
    patient = Patient(name=f"Runner {n}", email=f"r{n}@example.com", phone=f"+1619555{n:04d}")
    return booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=service.regular_price_cents)


@pytest.mark.parametrize("url", PAGES)
def test_admin_pages_render_for_each_role_in_a_fixed_number_of_queries(staff_client, service, url):
    book(service, 1)
    with CaptureQueriesContext(connection) as few:
        response = staff_client.get(url)
    if url not in SEES[staff_client.role]:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    for n in range(2, 12):
        book(service, n)
    with CaptureQueriesContext(connection) as many:
        assert staff_client.get(url).status_code == 200
    assert len(many) == len(few)
