"""The promotion dashboard in Chromium: its charts are drawn (no script, nothing the CSP refuses) and axe-core finds
no serious or critical problem."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from assessments.roles import MANAGER, ensure_groups
from booking.tests.factories import BookingFactory, SlotFactory
from clinic.tests.audit import Audit
from clinic.tests.staff import staff_user
from waitlist.models import WaitlistEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_reads_the_dashboard_and_its_charts(desktop_page, live_server, promotion, django_user_model):
    ensure_groups(Group, Permission)  # a transactional test may run after the database was flushed
    owner = staff_user(django_user_model, "owner", MANAGER)
    for n, hours in enumerate([1, 3, 8]):
        slot = SlotFactory(service=promotion.service, starts_at=timezone.now() + timedelta(days=2, hours=n))
        BookingFactory(
            slot=slot,
            promotion=promotion,
            patient_name=f"Runner {n}",
            confirmed_at=promotion.opens_at + timedelta(hours=hours),
        )
    WaitlistEntry.objects.create(
        service=promotion.service, promotion=promotion, name="Wait Ing", email="w@example.com", phone="+16195550177"
    )
    client = Client()
    client.force_login(owner)
    page, audit = desktop_page, Audit(desktop_page)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])

    page.goto(f"{live_server.url}/admin/booking/promotion/{promotion.pk}/dashboard/")

    line = page.locator("polyline.chart-line").bounding_box()
    assert line["width"] > 300 and line["height"] > 20  # drawn across the chart, three steps up
    marks = page.locator("circle.chart-sale")
    assert marks.count() == 3 and all(marks.nth(n).is_visible() for n in range(3))
    bars = page.locator("rect.chart-bar")
    assert [round(bars.nth(n).bounding_box()["width"]) > 0 for n in range(4)] == [True, False, False, True]
    audit()


def test_an_offer_without_sales_passes_too(desktop_page, live_server, promotion, django_user_model):
    ensure_groups(Group, Permission)
    owner = staff_user(django_user_model, "owner", MANAGER)
    client = Client()
    client.force_login(owner)
    page, audit = desktop_page, Audit(desktop_page)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])

    page.goto(f"{live_server.url}/admin/booking/promotion/{promotion.pk}/dashboard/")

    assert page.get_by_role("cell", name="No sales yet.").is_visible()
    audit()
