"""Who may read intake answers: clinicians and superusers, never the front desk; every read is logged."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group

from assessments.models import Intake, IntakeAccess
from booking.links import Purpose, private_token
from clinic.tests.html import html
from notifications.models import Message

from .helpers import NOW, SECRETS, STEP_NAMES, answer_steps, post_step, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ADMIN_IP = "192.0.2.44"


def change_url(intake) -> str:
    return f"/admin/assessments/intake/{intake.pk}/change/"


def print_url(intake) -> str:
    return f"/staff/intakes/{intake.booking_id}/print/"


def assert_no_answers(response) -> None:
    page = response.content.decode()
    for secret in SECRETS:
        assert secret not in page, f"{secret!r} is shown"


# The roles -----------------------------------------------------------------------------------------------


def test_the_migration_made_the_front_desk_and_clinician_groups():
    front_desk = {
        f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name="Front desk").permissions.all()
    }
    clinician = {
        f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name="Clinician").permissions.all()
    }

    assert {"booking.view_booking", "booking.change_booking", "clinic.add_closure"} <= front_desk
    assert not [perm for perm in front_desk if perm.startswith("assessments.")]
    assert {"assessments.view_intake", "assessments.view_intake_answers", "assessments.view_intakeaccess"} <= clinician
    assert not [perm for perm in clinician if perm.startswith("assessments.") and perm.split(".")[1][:4] != "view"]


def test_the_front_desk_is_refused_the_intake_page_and_the_printable_summary(client, intake, front_desk):
    client.force_login(front_desk)

    assert client.get(change_url(intake)).status_code == 403
    assert client.get(print_url(intake)).status_code == 403
    assert client.get("/admin/assessments/intake/").status_code == 403
    assert client.get("/admin/assessments/intakeaccess/").status_code == 403
    assert not IntakeAccess.objects.filter(user=front_desk).exists()


def test_the_front_desk_does_not_see_intakes_in_the_admin_index(client, intake, front_desk):
    client.force_login(front_desk)

    today = client.get("/admin/")
    assert today.status_code == 200
    assert not [a for a in html(today).find_all("a") if a.attrs.get("href", "").startswith("/admin/assessments/")]
    response = client.get("/admin/sections/")

    assert response.status_code == 200
    hrefs = [a.attrs.get("href", "") for a in html(response).find_all("a")]
    assert "/admin/booking/booking/" in hrefs
    assert not [href for href in hrefs if href.startswith("/admin/assessments/")]
    assert "Intake" not in text(response)


def test_the_front_desks_booking_pages_show_no_intake_answers(client, intake, front_desk):
    client.force_login(front_desk)

    listing = client.get("/admin/booking/booking/")
    change = client.get(f"/admin/booking/booking/{intake.booking_id}/change/")

    for response in (listing, change):
        assert response.status_code == 200
        assert intake.booking.reference in text(response)
        assert_no_answers(response)
        assert print_url(intake) not in response.content.decode()


def intake_cell(client, booking) -> str:
    listing = html(client.get("/admin/booking/booking/"))
    [cell] = [
        td
        for td in listing.find_all("td")
        if td.has_class("field-intake_progress") and booking.reference in td.parent.text
    ]
    return cell.text


def intake_field(client, booking) -> str:
    change = html(client.get(f"/admin/booking/booking/{booking.pk}/change/"))
    [box] = [div for div in change.find_all("div") if div.has_class("field-intake_progress")]
    return box.find("div", **{"class": "readonly"}).text


def test_the_front_desk_sees_that_the_intake_is_done_and_flagged(client, intake, front_desk):
    client.force_login(front_desk)

    assert intake_cell(client, intake.booking) == "done · review before visit"
    assert intake_field(client, intake.booking) == "done · review before visit"


@pytest.mark.parametrize(
    ("steps", "status"),
    [([], "not started"), (["about", "pain"], "started"), (STEP_NAMES, "done")],
)
def test_the_booking_list_and_page_show_the_intake_status(client, booking, front_desk, steps, status):
    answer_steps(client, booking, steps)
    client.force_login(front_desk)

    assert intake_cell(client, booking) == status
    assert intake_field(client, booking) == status


def test_the_front_desk_sees_the_review_flag_on_the_booking_page(client, intake, front_desk):
    client.force_login(front_desk)

    change = html(client.get(f"/admin/booking/booking/{intake.booking_id}/change/"))

    [box] = [div for div in change.find_all("div") if div.has_class("field-review_before_visit")]
    assert box.find("img").attrs["alt"] == "True"


@pytest.mark.parametrize("role", ["clinician", "superuser"])
def test_clinicians_and_superusers_read_the_answers_in_the_admin(client, intake, role, request):
    client.force_login(request.getfixturevalue(role))

    response = client.get(change_url(intake))

    assert response.status_code == 200
    page = text(response)
    for answer in ("Quixotamol 20mg", "Pelicanitis", "Zebracrossing tumble on a hill repeat", "Yellowhammer Marathon"):
        assert answer in page
    assert 'Review before the visit: a "yes" on the safety screen.' in page
    assert "Do you have a recent fall or accident? Yes" in page
    [summary] = [a for a in html(response).find_all("a") if a.text == "Printable one-page summary"]
    assert summary.attrs["href"] == print_url(intake)


@pytest.mark.parametrize("role", ["clinician", "superuser"])
def test_clinicians_and_superusers_open_the_printable_summary(client, intake, role, request):
    client.force_login(request.getfixturevalue(role))

    response = client.get(print_url(intake))

    assert response.status_code == 200
    page = text(response)
    assert f"Booking {intake.booking.reference} · signed by “Dana Cruz” on Apr 6, 2026 8:00 AM from 127.0.0.1" in page
    assert "Quixotamol 20mg" in page
    assert "Pelicanitis" in page
    [flagged] = html(response).find_all("dd", **{"class": "flag"})
    assert flagged.text == "Yes"


def test_a_clinician_sees_intakes_in_the_admin_index(client, intake, clinician):
    client.force_login(clinician)

    today = [a.attrs.get("href", "") for a in html(client.get("/admin/")).find_all("a")]
    hrefs = [a.attrs.get("href", "") for a in html(client.get("/admin/sections/")).find_all("a")]

    assert "/admin/assessments/intake/" in today
    assert "/admin/assessments/intake/" in hrefs
    assert "/admin/assessments/intakeaccess/" in hrefs


def test_anonymous_visitors_are_sent_to_the_login_page(client, intake):
    for url in (change_url(intake), print_url(intake), "/admin/assessments/intakeaccess/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")
    assert not IntakeAccess.objects.exclude(action=IntakeAccess.Action.PATIENT_SAVE).exists()


def test_a_staff_user_without_a_role_is_refused(client, intake, django_user_model):
    nobody = django_user_model.objects.create_user("temp", is_staff=True)
    client.force_login(nobody)

    assert client.get(change_url(intake)).status_code == 403
    assert client.get(print_url(intake)).status_code == 403


# The access log ----------------------------------------------------------------------------------------------


def staff_reads(booking):
    return list(
        IntakeAccess.objects.filter(booking=booking)
        .exclude(action=IntakeAccess.Action.PATIENT_SAVE)
        .order_by("pk")
        .values_list("user__username", "action", "ip_address")
    )


def test_each_clinician_view_and_print_is_logged(client, intake, clinician, clock):
    client.force_login(clinician)

    client.get(change_url(intake), REMOTE_ADDR=ADMIN_IP)
    clock.shift(timedelta(minutes=2))
    client.get(print_url(intake), REMOTE_ADDR=ADMIN_IP)
    clock.shift(timedelta(minutes=2))
    client.get(change_url(intake), REMOTE_ADDR=ADMIN_IP)

    assert staff_reads(intake.booking) == [
        ("clinician", "view", ADMIN_IP),
        ("clinician", "print", ADMIN_IP),
        ("clinician", "view", ADMIN_IP),
    ]
    times = list(IntakeAccess.objects.filter(user=clinician).order_by("pk").values_list("at", flat=True))
    assert times == [NOW, NOW + timedelta(minutes=2), NOW + timedelta(minutes=4)]


def test_a_superusers_reads_are_logged_too(client, intake, superuser):
    client.force_login(superuser)

    client.get(change_url(intake))
    client.get(print_url(intake))

    assert staff_reads(intake.booking) == [("boss", "view", "127.0.0.1"), ("boss", "print", "127.0.0.1")]


def test_listing_and_searching_intakes_shows_no_answers_and_logs_each_query(client, intake, clinician):
    client.force_login(clinician)

    listing = client.get("/admin/assessments/intake/", REMOTE_ADDR=ADMIN_IP, HTTP_USER_AGENT="Clinic laptop")
    search = client.get("/admin/assessments/intake/?q=Dana")

    assert listing.status_code == search.status_code == 200
    assert_no_answers(listing)
    assert_no_answers(search)
    assert staff_reads(intake.booking) == []  # no one booking's answers were opened
    lists = IntakeAccess.objects.filter(action=IntakeAccess.Action.LIST).order_by("pk")
    assert [(row.user, row.booking, row.detail, row.granted_by) for row in lists] == [
        (clinician, None, "", "staff"),
        (clinician, None, "q=Dana", "staff"),
    ]
    assert (lists[0].ip_address, lists[0].user_agent) == (ADMIN_IP, "Clinic laptop")


def test_each_step_a_patient_saves_is_logged_with_the_step(client, booking):
    for step in STEP_NAMES:
        post_step(client, booking, step, REMOTE_ADDR="203.0.113.9")
    post_step(client, booking, "pain", REMOTE_ADDR="203.0.113.10")

    rows = IntakeAccess.objects.filter(booking=booking).order_by("pk")
    assert [(row.action, row.detail, row.user, row.ip_address) for row in rows] == [
        *(("patient_save", step, None, "203.0.113.9") for step in STEP_NAMES),
        ("patient_save", "pain", None, "203.0.113.10"),
    ]


def test_the_access_log_cannot_be_added_to_changed_or_deleted_even_by_a_superuser(client, intake, superuser):
    client.force_login(superuser)
    client.get(change_url(intake))
    row = IntakeAccess.objects.get(action=IntakeAccess.Action.VIEW)
    count = IntakeAccess.objects.count()
    change = f"/admin/assessments/intakeaccess/{row.pk}/change/"

    assert client.get("/admin/assessments/intakeaccess/add/").status_code == 403
    assert (
        client.post("/admin/assessments/intakeaccess/add/", {"action": "view", "booking": row.booking_id}).status_code
        == 403
    )
    page = client.get(change)
    assert page.status_code == 200
    assert not html(page).find_all("input", name="_save")
    forged = {"booking": row.booking_id, "user": "", "action": "print", "detail": "forged", "ip_address": "10.0.0.1"}
    assert client.post(change, forged).status_code == 403
    assert client.get(f"/admin/assessments/intakeaccess/{row.pk}/delete/").status_code == 403
    assert client.post(f"/admin/assessments/intakeaccess/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    listing = client.get("/admin/assessments/intakeaccess/")
    assert "delete_selected" not in listing.content.decode()
    client.post(
        "/admin/assessments/intakeaccess/",
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )

    row.refresh_from_db()
    assert (row.action, row.detail, row.ip_address, row.user) == ("view", "", "127.0.0.1", superuser)
    assert IntakeAccess.objects.count() == count


def test_a_clinician_can_read_the_access_log(client, intake, clinician):
    client.force_login(clinician)

    response = client.get("/admin/assessments/intakeaccess/")

    assert response.status_code == 200
    assert "Patient saved a step" in text(response)


# Idle staff sessions -----------------------------------------------------------------------------------------


def test_a_staff_session_ends_after_fifteen_idle_minutes(client, front_desk, clock, settings):
    assert settings.SESSION_IDLE_MINUTES == 15
    client.force_login(front_desk)
    assert client.get("/admin/").status_code == 200

    clock.shift(timedelta(minutes=16))
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_a_staff_session_lasts_while_it_is_used(client, clinician, clock):
    client.force_login(clinician)

    for _ in range(3):  # 42 minutes in all, never 15 idle
        clock.shift(timedelta(minutes=14))
        assert client.get("/admin/").status_code == 200

    clock.shift(timedelta(minutes=15, seconds=1))
    assert client.get("/admin/").status_code == 302


def test_the_front_desk_is_refused_the_patients_questionnaire_pages(client, intake, front_desk):
    client.force_login(front_desk)
    response = client.get(f"/intake/{private_token(intake.booking, Purpose.INTAKE)}/history/")
    assert response.status_code == 403
    assert not IntakeAccess.objects.filter(action=IntakeAccess.Action.PATIENT_VIEW).exists()


def test_saved_answers_opened_through_the_patients_link_are_logged(client, booking):
    answer_steps(client, booking, STEP_NAMES)
    # The browser that filled them in opens them again: the patient's, while it is in use.
    response = client.get(
        f"/intake/{private_token(booking, Purpose.INTAKE)}/history/",
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone)",
    )
    assert response.status_code == 200
    [entry] = IntakeAccess.objects.filter(action=IntakeAccess.Action.PATIENT_VIEW)
    assert (entry.user, entry.booking, entry.detail, entry.granted_by) == (None, booking, "history", "browser")
    assert (entry.ip_address, entry.user_agent) == ("203.0.113.9", "Mozilla/5.0 (iPhone)")


def test_the_outbox_hides_the_questionnaire_link(admin_client, intake):
    message = Message.objects.create(
        booking=intake.booking,
        channel=Message.Channel.EMAIL,
        kind=Message.Kind.CONFIRMATION,
        recipient=intake.booking.email,
        body=f"Please answer: https://book.example.com/intake/{private_token(intake.booking, Purpose.INTAKE)}/ thanks",
        dedupe_key="outbox-redaction",
    )
    page = admin_client.get(f"/admin/notifications/message/{message.pk}/change/").content.decode()
    assert private_token(intake.booking, Purpose.INTAKE) not in page
    assert "/intake/[private link]/" in page


def test_the_booking_admin_offers_no_view_on_site_link(client, intake, front_desk):
    client.force_login(front_desk)
    page = client.get(f"/admin/booking/booking/{intake.booking_id}/change/").content.decode()
    assert f"/booking/{intake.booking.reference}/" not in page


def test_an_enormous_booking_id_on_the_printable_summary_is_404(client, clinician):
    client.force_login(clinician)
    assert client.get("/staff/intakes/99999999999999999999999/print/").status_code == 404


def test_an_empty_post_to_a_step_shows_its_errors_and_saves_nothing(client, booking):
    response = client.post(f"/intake/{private_token(booking, Purpose.INTAKE)}/about/", {})
    assert response.status_code == 400
    assert not Intake.objects.filter(booking=booking).exists()
