"""Opening slots from opening hours, in the slot admin (Today, the calendar, is tested in test_today*.py).

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego (PDT). The conftest clinic is open
Mon–Fri 7:00–19:00 (12 one-hour slots) and Sat 7:00–15:00 (8 slots), closed on Sundays.
"""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group

from booking.models import Slot
from booking.tests.factories import ServiceFactory, SlotFactory, local
from booking.tests.pages import hidden_fields, page
from clinic.tests.factories import ClosureFactory, PractitionerFactory
from clinic.tests.html import Page

pytestmark = pytest.mark.django_db

GENERATE = "/admin/booking/slot/generate/"
CHANGELIST = "/admin/booking/slot/"
TODAY = date(2026, 4, 6)  # a Monday
NOW = local(TODAY, 8)
TUESDAY, WEDNESDAY = TODAY + timedelta(days=1), TODAY + timedelta(days=2)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _staff_client(client, django_user_model, group: str | None):
    user = django_user_model.objects.create_user("staff", password="not-used-here", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


@pytest.fixture
def front_desk(client, django_user_model):
    return _staff_client(client, django_user_model, "Front desk")


@pytest.fixture
def clinician(client, django_user_model):
    return _staff_client(client, django_user_model, "Clinician")


def notices(response) -> list[str]:
    return [m.message for m in response.context["messages"]]


def text(response) -> str:
    assert response.status_code == 200, response.content.decode()
    return page(response).text


# Opening slots ---------------------------------------------------------------------------------------


def week_form(service, /, **changes) -> dict:
    fields = {"service": service.pk, "practitioner": "", "first_day": "2026-04-06", "last_day": "2026-04-12"}
    return {**fields, **changes}


@pytest.fixture
def week_with_gaps(clinic, service):
    """Wednesday closed, and 3 of Tuesday's slots already open."""
    ClosureFactory(clinic=clinic, starts_on=WEDNESDAY, ends_on=WEDNESDAY, reason="Staff training")
    for hour in (7, 8, 9):
        SlotFactory(service=service, starts_at=local(TUESDAY, hour))
    # Neither of these is a duplicate: another practitioner's slot, and another service's slot.
    SlotFactory(service=service, practitioner=PractitionerFactory(clinic=clinic), starts_at=local(TUESDAY, 10))
    SlotFactory(service=ServiceFactory(clinic=clinic, name="Follow-up"), starts_at=local(TUESDAY, 11))
    return service


def test_the_form_offers_active_services_and_starts_today(front_desk, service, clinic):
    ServiceFactory(clinic=clinic, name="Retired service", is_active=False)
    response = front_desk.get(GENERATE)
    assert response.status_code == 200
    assert response.context["title"] == "Open slots from opening hours"
    assert "Open slots from opening hours" in text(response)
    shown = page(response)
    assert list(response.context["form"].fields["service"].queryset) == [service]
    assert "Retired service" not in response.content.decode()
    first, last = (next(c for c in shown.controls if c.get("name") == n) for n in ("first_day", "last_day"))
    assert (first["type"], first["value"]) == ("date", "2026-04-06")
    assert (last["type"], last["value"]) == ("date", "2026-05-03")
    assert {"id_service", "id_practitioner", "id_first_day", "id_last_day"} <= set(shown.label_for)
    assert 'id="user-tools"' in response.content.decode()  # the admin chrome is there


def test_preview_counts_new_existing_and_closed_days_and_creates_nothing(front_desk, week_with_gaps):
    before = Slot.objects.count()
    response = front_desk.post(GENERATE, {**week_form(week_with_gaps), "preview": "Preview"})
    shown = text(response)
    # Mon, Tue, Thu, Fri: 4 × 12, less Tuesday's 3 that exist; Saturday 8; Wednesday closed; Sunday has no hours.
    assert "Creates 53 slots, skips 3 that exist, 1 closed day" in shown
    assert "Closed days (no slots): Wednesday, April 8, 2026" in shown
    assert "First new slot: Monday, April 6, 2026, 7:00 AM PDT." in shown
    assert "Last new slot: Saturday, April 11, 2026, 2:00 PM PDT." in shown
    assert Slot.objects.count() == before
    assert hidden_fields(response) == {
        "service": str(week_with_gaps.pk),
        "practitioner": "",
        "first_day": "2026-04-06",
        "last_day": "2026-04-12",
    }
    assert '<input type="submit" name="generate" value="Generate"' in response.content.decode()


def test_preview_words_single_counts_in_the_singular(front_desk, clinic, service):
    ClosureFactory(clinic=clinic, starts_on=TUESDAY, ends_on=WEDNESDAY)
    SlotFactory(service=service, starts_at=local(TODAY, 7))
    response = front_desk.post(GENERATE, {**week_form(service, last_day="2026-04-08"), "preview": "Preview"})
    assert "Creates 11 slots, skips 1 that exists, 2 closed days" in text(response)


def test_generate_creates_exactly_the_previewed_slots(front_desk, week_with_gaps):
    preview = front_desk.post(GENERATE, {**week_form(week_with_gaps), "preview": "Preview"})
    planned = {slot.starts_at for slot in preview.context["plan"].new}
    before = set(Slot.objects.values_list("pk", flat=True))

    response = front_desk.post(GENERATE, {**hidden_fields(preview), "generate": "Generate"})

    assert response.status_code == 302
    assert response.url == CHANGELIST
    created = Slot.objects.exclude(pk__in=before)
    assert created.count() == 53
    assert set(created.values_list("starts_at", flat=True)) == planned
    assert set(created.values_list("service", flat=True)) == {week_with_gaps.pk}
    assert set(created.values_list("practitioner", flat=True)) == {None}
    assert not created.filter(starts_at__gte=local(WEDNESDAY, 0), starts_at__lt=local(WEDNESDAY, 23)).exists()
    assert notices(front_desk.get(CHANGELIST)) == ["Created 53 slots."]


def test_generate_for_a_practitioner_gives_them_their_own_slots(admin_client, clinic, service):
    brandon = PractitionerFactory(clinic=clinic)
    SlotFactory(service=service, starts_at=local(TODAY, 7))  # nobody's slot: not a duplicate of Brandon's
    form = week_form(service, practitioner=brandon.pk, last_day="2026-04-06")
    preview = admin_client.post(GENERATE, {**form, "preview": "Preview"})
    assert "Creates 12 slots, skips 0 that exist, 0 closed days" in text(preview)
    response = admin_client.post(GENERATE, {**hidden_fields(preview), "generate": "Generate"}, follow=True)
    assert "Created 12 slots." in text(response)
    assert Slot.objects.filter(practitioner=brandon).count() == 12


def test_generating_twice_creates_nothing_more(admin_client, service):
    form = week_form(service, last_day="2026-04-06")
    admin_client.post(GENERATE, {**form, "generate": "Generate"})
    response = admin_client.post(GENERATE, {**form, "preview": "Preview"})
    shown = text(response)
    assert "Creates 0 slots, skips 12 that exist, 0 closed days" in shown
    assert "Nothing to create" in shown
    assert 'name="generate"' not in response.content.decode()
    admin_client.post(GENERATE, {**form, "generate": "Generate"})
    assert Slot.objects.count() == 12


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"last_day": "2026-04-05"}, "last_day", "The last day must be on or after the first day."),
        ({"last_day": "2026-07-07"}, "last_day", "Open at most 92 days at a time; this range has 93 days."),
        ({"service": ""}, "service", "Choose the service to open slots for."),
        ({"first_day": ""}, "first_day", "Enter the first day."),
        ({"first_day": "06/04/2026"}, "first_day", "Enter the first day as a date."),
        ({"practitioner": "999999"}, "practitioner", "Select a valid choice."),
    ],
)
@pytest.mark.parametrize("button", ["preview", "generate"])
def test_bad_input_shows_the_form_again_with_the_error_next_to_its_field(
    admin_client, service, changes, field, error, button
):
    response = admin_client.post(GENERATE, {**week_form(service, **changes), button: "Go"})
    shown = text(response)
    assert "Please correct the errors below; nothing was created." in shown
    assert error in shown
    html = response.content.decode()
    # The message sits in the field's row, and the control points to it for screen readers.
    row = re.search(rf'<div class="form-row errors field-{field}">(.*?)</div>\s*</div>', html, re.S).group(1)
    assert error in Page(row).text
    control = next(c for c in page(response).controls if c.get("name") == field)
    assert control.get("aria-invalid") == "true"
    assert f"id_{field}_error" in control.get("aria-describedby", "")
    assert response.context["plan"] is None
    assert Slot.objects.count() == 0


def test_inactive_services_and_other_clinics_practitioners_are_refused(admin_client, clinic, service):
    retired = ServiceFactory(clinic=clinic, name="Retired", is_active=False)
    response = admin_client.post(GENERATE, {**week_form(retired), "generate": "Generate"})
    assert "Select a valid choice." in text(response)
    stranger = PractitionerFactory(name="Dr Elsewhere")  # works at another clinic
    response = admin_client.post(GENERATE, {**week_form(service, practitioner=stranger.pk), "generate": "Generate"})
    assert "Dr Elsewhere does not work at Project Performance Physical Therapy." in text(response)
    assert Slot.objects.count() == 0


def test_ninety_two_days_is_allowed(admin_client, service):
    response = admin_client.post(GENERATE, {**week_form(service, last_day="2026-07-06"), "preview": "Preview"})
    assert "Creates " in text(response)
    assert response.context["form"].errors == {}


def test_staff_without_add_slot_get_403_and_create_nothing(clinician, service):
    assert clinician.get(GENERATE).status_code == 403
    assert clinician.post(GENERATE, {**week_form(service), "generate": "Generate"}).status_code == 403
    assert Slot.objects.count() == 0


def test_signed_out_visitors_are_sent_to_the_login_page(client, service):
    response = client.post(GENERATE, {**week_form(service), "generate": "Generate"})
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
    assert Slot.objects.count() == 0


@pytest.mark.parametrize(("who", "may_open_slots"), [("front_desk", True), ("clinician", False)])
def test_the_slots_list_links_to_today_and_to_opening_slots(request, who, may_open_slots):
    links = {name: href for href, name in page(request.getfixturevalue(who).get(CHANGELIST)).links}
    assert links["Today"] == "/admin/"
    assert (links.get("Open slots from opening hours") == GENERATE) is may_open_slots
