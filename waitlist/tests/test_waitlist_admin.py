"""The waiting list in the admin: the front desk sees it in order, reorders it and takes people off it."""

import re
from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.roles import CLINICIAN, FRONT_DESK, ensure_groups
from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_cancel
from booking.tests.factories import BookingFactory, SlotFactory, local
from waitlist.models import WaitlistEntry
from waitlist.services import offers_make, waitlist_join

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

NOW = local(date(2026, 4, 6), 10)  # Monday, 10:00 AM in San Diego
CHANGELIST = "/admin/waitlist/waitlistentry/"
Status = WaitlistEntry.Status

PEOPLE = [
    Patient(name="Ann Lee", email="ann@example.com", phone="+16195550101", sms_consent=True),
    Patient(name="Ben Ortiz", email="ben@example.com", phone="+16195550102"),
    Patient(name="Cat Moss", email="cat@example.com", phone="+16195550103", sms_consent=True),
]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def line(promotion, sold_out) -> list[WaitlistEntry]:
    return [waitlist_join(service=promotion.service, patient=p, promotion=promotion) for p in PEOPLE]


def staff(client, django_user_model, role: str | None):
    ensure_groups(Group, Permission)
    if role is None:
        user = django_user_model.objects.create_superuser("boss", "boss@example.com", "a-long-test-password")
    else:
        user = django_user_model.objects.create_user(
            role.lower().replace(" ", ""), "s@example.com", "a-long-test-password", is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


@pytest.fixture
def desk(client, django_user_model):
    return staff(client, django_user_model, FRONT_DESK)


@pytest.fixture
def clinician(client, django_user_model):
    return staff(client, django_user_model, CLINICIAN)


def names_in_order(response) -> list[str]:
    """The people on the changelist, top to bottom."""
    html = response.content.decode()
    return re.findall(r'<th class="field-person"><a href="[^"]+">([^<]+)</a></th>', html)


def reorder(client, entries_positions: list[tuple[WaitlistEntry, int]], **extra):
    """The changelist's list_editable form, as the browser posts it on "Save"."""
    data = {
        "form-TOTAL_FORMS": str(len(entries_positions)),
        "form-INITIAL_FORMS": str(len(entries_positions)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
        **extra,
    }
    for i, (entry, position) in enumerate(entries_positions):
        data[f"form-{i}-id"] = str(entry.pk)
        data[f"form-{i}-position"] = str(position)
    return client.post(CHANGELIST, data)


def positions(*entries) -> list[int]:
    return [WaitlistEntry.objects.get(pk=e.pk).position for e in entries]


def statuses(*entries) -> list[str]:
    return [WaitlistEntry.objects.get(pk=e.pk).status for e in entries]


def test_front_desk_groups_grant_view_and_change_only():
    ensure_groups(Group, Permission)
    desk = set(Group.objects.get(name=FRONT_DESK).permissions.filter(content_type__app_label="waitlist"))
    assert {p.codename for p in desk} == {"view_waitlistentry", "change_waitlistentry"}
    clinician = Group.objects.get(name=CLINICIAN).permissions.filter(content_type__app_label="waitlist")
    assert not clinician.exists()


def test_front_desk_sees_the_list_in_the_order_places_are_offered(desk, line):
    response = desk.get(CHANGELIST)
    assert response.status_code == 200
    assert names_in_order(response) == ["Ann Lee", "Ben Ortiz", "Cat Moss"]
    html = response.content.decode()
    for i in range(3):
        assert f'name="form-{i}-position"' in html  # editable in place
    assert "a $99 spot (Launch week)" in html


def test_front_desk_reorders_the_list_and_offers_follow_the_new_order(desk, line, sold_out):
    ann, ben, cat = line

    response = reorder(desk, [(ann, 3), (ben, 2), (cat, 1)])

    assert (response.status_code, response.url) == (302, CHANGELIST)
    assert positions(ann, ben, cat) == [3, 2, 1]
    assert names_in_order(desk.get(CHANGELIST)) == ["Cat Moss", "Ben Ortiz", "Ann Lee"]

    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert offers_make() == 1
    assert statuses(ann, ben, cat) == [Status.WAITING, Status.WAITING, Status.OFFERED]

    booking_cancel(booking=sold_out[1], reason="Patient called")
    assert offers_make() == 1
    assert statuses(ann, ben, cat) == [Status.WAITING, Status.OFFERED, Status.OFFERED]


def test_a_reorder_with_an_invalid_position_changes_nothing(desk, line):
    ann, ben, cat = line
    response = reorder(desk, [(ann, 3), (ben, -1), (cat, 1)])
    assert response.status_code == 200  # the changelist again, with the error
    assert positions(ann, ben, cat) == [1, 2, 3]


def test_clinicians_cannot_see_or_reorder_the_list(clinician, line):
    ann, ben, cat = line
    assert clinician.get(CHANGELIST).status_code == 403
    assert reorder(clinician, [(ann, 3), (ben, 2), (cat, 1)]).status_code == 403
    assert clinician.get(f"{CHANGELIST}{ann.pk}/change/").status_code == 403
    assert clinician.post(f"{CHANGELIST}{ann.pk}/change/", {"position": "9"}).status_code == 403
    assert positions(ann, ben, cat) == [1, 2, 3]


def test_staff_with_view_only_cannot_reorder(client, django_user_model, line):
    user = django_user_model.objects.create_user("viewer", "v@example.com", "a-long-test-password", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_waitlistentry"))
    client.force_login(user)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert 'name="form-0-position"' not in response.content.decode()
    reorder(client, [(e, 10 - i) for i, e in enumerate(line)])
    assert positions(*line) == [1, 2, 3]


@pytest.mark.parametrize("role", [FRONT_DESK, None], ids=["front-desk", "superuser"])
def test_nobody_adds_entries_in_the_admin(client, django_user_model, role, line):
    client = staff(client, django_user_model, role)
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.post(f"{CHANGELIST}add/", {"name": "X", "email": "x@example.com"}).status_code == 403
    assert f'href="{CHANGELIST}add/"' not in client.get(CHANGELIST).content.decode()
    assert WaitlistEntry.objects.count() == 3


def change(client, entry, **changes):
    data = {"name": entry.name, "email": entry.email, "phone": entry.phone, "position": str(entry.position)}
    data["language"] = entry.language
    return client.post(f"{CHANGELIST}{entry.pk}/change/", {**data, **changes})


def test_front_desk_changes_a_position_and_a_phone_on_the_change_form(desk, line):
    ann = line[0]
    response = change(desk, ann, position="7", phone="(619) 555-0177")
    assert response.status_code == 302, response.content.decode()
    ann.refresh_from_db()
    assert (ann.position, ann.phone) == (7, "+16195550177")  # E.164, as the offers and the duplicate checks need


def test_a_mobile_typed_at_the_desk_stays_the_desks_on_the_booking_it_is_offered(desk, line, sold_out):
    """The offer's booking remembers who typed the mobile: no code that opens saved answers is texted to it."""
    ann = line[0]
    change(desk, ann, phone="(619) 555-0177", position=str(ann.position))
    ann.refresh_from_db()
    assert (ann.phone_by_staff, ann.email_by_staff) == (True, False)

    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert offers_make() == 1

    offered = WaitlistEntry.objects.select_related("booking").get(pk=ann.pk).booking
    assert (offered.phone, offered.phone_by_staff, offered.email_by_staff) == ("+16195550177", True, False)


def test_the_desk_sees_and_sets_the_language_a_waiting_patient_gets_offers_in(desk, line):
    ann = line[0]
    listed = desk.get(CHANGELIST, {"language": "es"})
    assert list(listed.context["cl"].result_list) == []
    assert ("es", "Spanish") in [(code, name) for code, name in listed.context["cl"].filter_specs[-1].lookup_choices]

    assert change(desk, ann, language="es").status_code == 302
    ann.refresh_from_db()
    assert ann.language == "es"
    assert list(desk.get(CHANGELIST, {"language": "es"}).context["cl"].result_list) == [ann]
    assert change(desk, ann, language="fr").status_code == 200  # not a language of the site: refused, unsaved
    ann.refresh_from_db()
    assert ann.language == "es"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"email": "ANN@example.com"}, "Someone on this waiting list already has this email"),
        ({"phone": "(619) 555-0101"}, "Someone on this waiting list already has this mobile phone"),
        ({"phone": "555"}, "That number does not look right. Check it and try again."),
    ],
    ids=["email-of-another-entry", "phone-of-another-entry", "bad-phone"],
)
def test_the_change_form_refuses_details_that_would_break_one_entry_a_person(desk, line, changes, error):
    """Two live entries for one person on one list would get two offers: the form says so, it does not crash."""
    ben = line[1]
    response = change(desk, ben, **changes)
    assert response.status_code == 200
    assert error in response.content.decode()
    ben.refresh_from_db()
    assert (ben.email, ben.phone) == ("ben@example.com", "+16195550102")


def test_the_change_form_allows_the_details_of_someone_no_longer_waiting(desk, line):
    ann, ben, _ = line
    WaitlistEntry.objects.filter(pk=ann.pk).update(status=Status.LAPSED)
    assert change(desk, ben, email="ann@example.com").status_code == 302
    assert WaitlistEntry.objects.get(pk=ben.pk).email == "ann@example.com"


def remove(client, entries):
    data = {"action": "remove", "_selected_action": [e.pk for e in entries]}
    return client.post(CHANGELIST, data, follow=True)


def test_a_removed_entry_is_skipped_when_a_spot_frees(desk, line, sold_out):
    ann, ben, cat = line

    response = remove(desk, [ann])

    assert response.status_code == 200
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["1 taken off the waiting list."]
    assert statuses(ann, ben, cat) == [Status.REMOVED, Status.WAITING, Status.WAITING]
    booking_cancel(booking=sold_out[0], reason="Patient called")
    assert offers_make() == 1
    assert statuses(ann, ben, cat) == [Status.REMOVED, Status.OFFERED, Status.WAITING]
    assert WaitlistEntry.objects.get(pk=ann.pk).booking is None


def test_removing_someone_with_an_open_offer_releases_it_for_the_next_person(
    desk, line, sold_out, django_capture_on_commit_callbacks
):
    ann, ben, cat = line
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    held = WaitlistEntry.objects.get(pk=ann.pk).booking

    with django_capture_on_commit_callbacks(execute=True):
        remove(desk, [ann, cat])

    held.refresh_from_db()
    assert held.status == Booking.Status.EXPIRED
    assert statuses(ann, ben, cat) == [Status.REMOVED, Status.OFFERED, Status.REMOVED]
    assert WaitlistEntry.objects.get(pk=ben.pk).booking.slot == held.slot


def test_removing_leaves_settled_entries_alone(desk, line, sold_out):
    ann, ben, cat = line
    WaitlistEntry.objects.filter(pk=ann.pk).update(status=Status.BOOKED)
    response = remove(desk, [ann, ben])
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["1 taken off the waiting list."]
    assert statuses(ann, ben, cat) == [Status.BOOKED, Status.REMOVED, Status.WAITING]


def test_clinicians_cannot_remove_anyone(clinician, line):
    assert remove(clinician, line).status_code == 403
    assert statuses(*line) == [Status.WAITING] * 3


def test_the_change_page_links_to_the_offered_booking(desk, line, sold_out):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    ann = WaitlistEntry.objects.get(pk=line[0].pk)
    response = desk.get(f"{CHANGELIST}{ann.pk}/change/")
    assert response.status_code == 200
    assert f'href="/admin/booking/booking/{ann.booking_id}/change/"' in response.content.decode()


def test_the_changelist_runs_a_fixed_number_of_queries(desk, promotion, line, service):
    day = date(2026, 4, 20)
    BookingFactory(slot=SlotFactory(service=service, starts_at=local(day, 9)))
    waitlist_join(
        service=service, patient=Patient(name="Day One", email="d1@example.com", phone="+16195550201"), day=day
    )
    with CaptureQueriesContext(connection) as few:
        assert desk.get(CHANGELIST).status_code == 200
    for n in range(10):
        patient = Patient(name=f"Runner {n}", email=f"r{n}@example.com", phone=f"+1619555{n + 300:04d}")
        waitlist_join(service=service, patient=patient, promotion=promotion if n % 2 else None, day=day)
    with CaptureQueriesContext(connection) as many:
        response = desk.get(CHANGELIST)
    assert response.status_code == 200
    assert len(names_in_order(response)) == 14
    assert len(many) == len(few)
