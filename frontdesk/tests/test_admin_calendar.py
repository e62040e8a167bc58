"""The front desk's two slot pages in the admin: open slots from opening hours, and the agenda.

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego (PDT). The conftest clinic is open
Mon–Fri 7:00–19:00 (12 one-hour slots) and Sat 7:00–15:00 (8 slots), closed on Sundays.
"""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Intake
from booking.models import Booking, Payment, Slot
from booking.tests.factories import BookingFactory, ServiceFactory, SlotFactory, local
from booking.tests.pages import hidden_fields, page
from clinic.tests.factories import ClosureFactory, PractitionerFactory
from clinic.tests.html import Page

pytestmark = pytest.mark.django_db

GENERATE = "/admin/booking/slot/generate/"
AGENDA = "/admin/booking/slot/agenda/"
CHANGELIST = "/admin/booking/slot/"
TODAY = date(2026, 4, 6)  # a Monday
NOW = local(TODAY, 8)
TUESDAY, WEDNESDAY = TODAY + timedelta(days=1), TODAY + timedelta(days=2)
SUNDAY = TODAY + timedelta(days=6)


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


@pytest.fixture
def plain_staff(client, django_user_model):
    return _staff_client(client, django_user_model, None)


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


# The agenda -------------------------------------------------------------------------------------------


def booking_items(response) -> dict[str, str]:
    """Each booking shown, by patient name: what its line says."""
    html = response.content.decode()
    items = re.findall(r'<li class="agenda-booking">(.*?)</li>', html, re.S)
    return {Page(item).links[0][1]: Page(item).text for item in items}


def captions(response) -> list[str]:
    """The caption of each day's table."""
    found = re.findall(r'<table class="agenda"[^>]*>\s*<caption>(.*?)</caption>', response.content.decode(), re.S)
    return [Page(caption).text for caption in found]


@pytest.fixture
def tuesday(clinic, service, promotion):
    """Tuesday's bookings in every state, with payments and intakes."""
    nine = SlotFactory(service=service, starts_at=local(TUESDAY, 9), capacity=2)
    ten = SlotFactory(service=service, starts_at=local(TUESDAY, 10), practitioner=PractitionerFactory(clinic=clinic))
    SlotFactory(service=service, starts_at=local(TUESDAY, 11), is_blocked=True)
    ana = BookingFactory(slot=nine, patient_name="Ana Promo", promotion=promotion, review_before_visit=True)
    Payment.objects.create(booking=ana, checkout_session_id="cs_ana", amount_cents=99_00, status="paid")
    Intake.objects.create(booking=ana, completed_at=NOW)
    ben = BookingFactory(
        slot=nine, patient_name="Ben Held", status=Booking.Status.HELD, hold_expires_at=NOW + timedelta(minutes=10)
    )
    Payment.objects.create(booking=ben, checkout_session_id="cs_ben", amount_cents=175_00, status="open")
    Intake.objects.create(booking=ben)  # started, not finished
    BookingFactory(slot=ten, patient_name="Cal Attended", status=Booking.Status.ATTENDED)
    # Not active: none of these is listed.
    BookingFactory(slot=ten, patient_name="Dee Cancelled", status=Booking.Status.CANCELLED)
    BookingFactory(slot=ten, patient_name="Eve Lapsed", status=Booking.Status.HELD, hold_expires_at=NOW)
    BookingFactory(slot=ten, patient_name="Fay Expired", status=Booking.Status.EXPIRED)
    # Another day.
    BookingFactory(slot=SlotFactory(service=service, starts_at=local(WEDNESDAY, 9)), patient_name="Gus Wednesday")
    return {"ana": ana, "ben": ben}


def test_the_agenda_lists_active_bookings_with_their_labels(front_desk, tuesday):
    response = front_desk.get(AGENDA, {"day": "2026-04-07"})
    assert response.status_code == 200
    assert response.context["title"] == "Agenda: Tuesday, April 7, 2026"
    assert captions(response) == ["Tuesday, April 7, 2026 · 3 slots, 3 bookings"]
    assert booking_items(response) == {
        "Ana Promo": "Ana Promo Confirmed · promo · paid · intake done · review before visit",
        "Ben Held": "Ben Held Held until 8:10 AM · regular · due · intake not yet",
        "Cal Attended": "Cal Attended Attended · regular · due · intake not yet",
    }
    shown = text(response)
    assert "9:00 AM–10:00 AM Active Back & Hip Reset Assessment Anyone 2 (2 booked)" in shown
    assert "10:00 AM–11:00 AM Active Back & Hip Reset Assessment Brandon Pascual 1 (1 booked)" in shown
    assert "11:00 AM–12:00 PM Active Back & Hip Reset Assessment Anyone 1 (0 booked) Blocked Open" in shown
    links = dict((name, href) for href, name in page(response).links)
    assert links["Ana Promo"] == f"/admin/booking/booking/{tuesday['ana'].pk}/change/"
    html = response.content.decode()
    # The colour is only a second signal: each badge says its status.
    assert '<span class="agenda-badge agenda-badge--confirmed">Confirmed</span>' in html
    assert '<span class="agenda-badge agenda-badge--held">Held</span>' in html
    # The linked change page opens for the front desk.
    assert front_desk.get(links["Ana Promo"]).status_code == 200


def test_a_lapsed_hold_leaves_the_agenda_when_it_lapses(front_desk, tuesday, clock):
    clock.move_to(NOW + timedelta(minutes=10))
    assert "Ben Held" not in booking_items(front_desk.get(AGENDA, {"day": "2026-04-07"}))


def test_the_agenda_is_a_real_table_with_headers_and_a_caption(front_desk, tuesday):
    html = front_desk.get(AGENDA, {"day": "2026-04-07", "span": "week"}).content.decode()
    html = html.split('id="content-main"')[1]  # not the admin's own navigation
    assert html.count('<table class="agenda"') == len(re.findall(r'class="agenda"[^>]*>\s*<caption>', html)) == 7
    assert html.count('<th scope="col">') == 7 * 6
    assert html.count('<th scope="row">') == 4  # one per slot: Tuesday's three and Wednesday's one
    # Every link is a real link (keyboard-focusable), none taken out of the tab order.
    assert all(href for href, _ in page(front_desk.get(AGENDA)).links)
    assert 'tabindex="-1"' not in html


@pytest.fixture
def week(service):
    """A slot on Monday, Tuesday, Saturday and Sunday, and one on each side of the week."""
    for day, hour, name in [
        (TODAY - timedelta(days=1), 9, "Before Week"),
        (TODAY, 7, "Mon Morning"),
        (TUESDAY, 12, "Tue Noon"),
        (TODAY + timedelta(days=5), 14, "Sat Afternoon"),
        (SUNDAY, 23, "Sun Late"),
        (SUNDAY + timedelta(days=1), 0, "After Week"),
    ]:
        BookingFactory(slot=SlotFactory(service=service, starts_at=local(day, hour)), patient_name=name)


def test_the_day_view_shows_today_by_default_with_links_to_the_days_around(front_desk, week):
    response = front_desk.get(AGENDA)
    assert captions(response) == ["Monday, April 6, 2026 (today) · 1 slot, 1 booking"]
    assert list(booking_items(response)) == ["Mon Morning"]
    links = {name: href for href, name in page(response).links}
    assert links["← Previous day"] == f"{AGENDA}?day=2026-04-05&span=day"
    assert links["Next day →"] == f"{AGENDA}?day=2026-04-07&span=day"
    assert links["Today"] == f"{AGENDA}?day=2026-04-06&span=day"
    assert links["Show the week"] == f"{AGENDA}?day=2026-04-06&span=week"
    day_input = next(c for c in page(response).controls if c.get("name") == "day")
    assert (day_input["type"], day_input["value"]) == ("date", "2026-04-06")
    assert "agenda-day" in page(response).label_for


def test_the_week_view_runs_monday_to_sunday(front_desk, week):
    response = front_desk.get(AGENDA, {"day": "2026-04-09", "span": "week"})  # a Thursday
    assert response.context["title"] == "Agenda: week of Monday, April 6, 2026"
    assert captions(response) == [
        "Monday, April 6, 2026 (today) · 1 slot, 1 booking",
        "Tuesday, April 7, 2026 · 1 slot, 1 booking",
        "Wednesday, April 8, 2026 · no slots",
        "Thursday, April 9, 2026 · no slots",
        "Friday, April 10, 2026 · no slots",
        "Saturday, April 11, 2026 · 1 slot, 1 booking",
        "Sunday, April 12, 2026 · 1 slot, 1 booking",
    ]
    assert list(booking_items(response)) == ["Mon Morning", "Tue Noon", "Sat Afternoon", "Sun Late"]
    assert "No slots on this day." in text(response)
    links = {name: href for href, name in page(response).links}
    assert links["← Previous week"] == f"{AGENDA}?day=2026-03-30&span=week"
    assert links["Next week →"] == f"{AGENDA}?day=2026-04-13&span=week"
    assert links["Show the day"] == f"{AGENDA}?day=2026-04-09&span=day"


def test_today_is_the_clinics_today(front_desk, week, clock, django_user_model):
    clock.move_to(local(TODAY, 23, 30))  # already Tuesday in UTC
    front_desk.force_login(django_user_model.objects.get(username="staff"))  # the idle session has ended
    response = front_desk.get(AGENDA)
    assert response.context["today"] == TODAY
    assert captions(response)[0].startswith("Monday, April 6, 2026 (today)")


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"day": "2026-02-30"}, "“2026-02-30” is not a day we can show (use YYYY-MM-DD). Showing today."),
        ({"day": "tomorrow"}, "“tomorrow” is not a day we can show (use YYYY-MM-DD). Showing today."),
        ({"day": "04/07/2026"}, "“04/07/2026” is not a day we can show (use YYYY-MM-DD). Showing today."),
        ({"day": "0001-01-01", "span": "week"}, "“0001-01-01” is not a day we can show"),
        ({"day": "9999-12-31", "span": "week"}, "“9999-12-31” is not a day we can show"),
        ({"day": "2026-04-07<script>"}, "“2026-04-07<script>” is not a day we can show"),
        ({"day": "2026-04-06", "span": "month"}, "“month” is not a view we know (day or week). Showing one day."),
    ],
)
def test_bad_values_show_today_with_an_error(front_desk, week, query, error):
    response = front_desk.get(AGENDA, query)
    assert response.status_code == 200
    assert any(m.startswith(error) for m in notices(response)), notices(response)
    assert "<script>" not in response.content.decode().split('id="content"')[1]
    assert response.context["day"] == TODAY
    assert next(iter(booking_items(response))) == "Mon Morning"


def test_an_empty_day_value_is_today_without_an_error(front_desk, week):
    response = front_desk.get(AGENDA, {"day": "", "span": ""})
    assert response.context["day"] == TODAY
    assert notices(response) == []


def test_the_agenda_takes_the_same_number_of_queries_for_one_slot_or_a_busy_week(
    admin_client, clinic, service, promotion
):
    BookingFactory(slot=SlotFactory(service=service, starts_at=local(TODAY, 9)))
    with CaptureQueriesContext(connection) as one:
        response = admin_client.get(AGENDA, {"day": "2026-04-06"})
    assert len(booking_items(response)) == 1

    practitioners = [PractitionerFactory(clinic=clinic, name=f"PT {n}") for n in range(3)]
    for n in range(1, 7):
        day = TODAY + timedelta(days=n)
        for hour in (9, 10, 11):
            slot = SlotFactory(
                service=service, starts_at=local(day, hour), capacity=3, practitioner=practitioners[hour - 9]
            )
            for seat in range(3):
                booking = BookingFactory(slot=slot, promotion=promotion if seat == 0 else None)
                Intake.objects.create(booking=booking, completed_at=NOW if seat == 1 else None)
                Payment.objects.create(
                    booking=booking, checkout_session_id=f"cs_{slot.pk}_{seat}", amount_cents=99_00, status="paid"
                )
    with CaptureQueriesContext(connection) as busy:
        response = admin_client.get(AGENDA, {"day": "2026-04-06", "span": "week"})
    assert len(booking_items(response)) == 1 + 6 * 3 * 3

    assert len(busy) == len(one), "\n".join(q["sql"] for q in busy.captured_queries)


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "America/New_York"])
def test_the_daylight_saving_week_keeps_local_times(admin_client, clinic, service, zone, settings):
    # US daylight saving time ends on Sunday 2026-11-01. The site's default zone stays Los Angeles:
    # the agenda must show the clinic's zone, whatever the server's.
    settings.TIME_ZONE = "America/Los_Angeles"
    clinic.time_zone = zone
    clinic.save()
    for day, hour, minute in [(date(2026, 10, 30), 7, 0), (date(2026, 11, 1), 23, 30), (date(2026, 11, 2), 7, 0)]:
        BookingFactory(slot=SlotFactory(service=service, starts_at=local(day, hour, minute, tz=zone)))

    dst_week = admin_client.get(AGENDA, {"day": "2026-10-30", "span": "week"})
    shown = text(dst_week)
    friday = re.search(r"Friday, October 30, 2026 · 1 slot(.*?)Saturday", shown).group(1)
    assert "7:00 AM–8:00 AM" in friday
    sunday = re.search(r"Sunday, November 1, 2026 · 1 slot(.*)", shown).group(1)
    assert "11:30 PM–12:30 AM" in sunday  # after the change, still on Sunday
    assert len(booking_items(dst_week)) == 2

    next_week = admin_client.get(AGENDA, {"day": "2026-11-02", "span": "week"})
    assert captions(next_week)[0] == "Monday, November 2, 2026 · 1 slot, 1 booking"
    assert "7:00 AM–8:00 AM" in text(next_week)
    assert len(booking_items(next_week)) == 1


def test_front_desk_sees_the_agenda(front_desk, tuesday):
    assert "Ana Promo" in booking_items(front_desk.get(AGENDA, {"day": "2026-04-07"}))


def test_clinicians_see_the_agenda_too(clinician, tuesday):
    assert "Ana Promo" in booking_items(clinician.get(AGENDA, {"day": "2026-04-07"}))


def test_staff_without_view_slot_get_403(plain_staff, tuesday):
    assert plain_staff.get(AGENDA).status_code == 403


def test_staff_who_may_see_slots_but_not_bookings_see_no_patients(plain_staff, tuesday, django_user_model):
    view_slot = Group.objects.get(name="Front desk").permissions.get(codename="view_slot")
    django_user_model.objects.get(username="staff").user_permissions.add(view_slot)
    response = plain_staff.get(AGENDA, {"day": "2026-04-07"})
    shown = text(response)
    assert booking_items(response) == {}
    assert "Ana Promo" not in shown
    assert "2 (2 booked)" in shown
