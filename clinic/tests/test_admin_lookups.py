"""The staff site filters each list only by what its admin declares (clinic/admin_site.py).

Django applies any `field__lookup=value` left in a change list's query string; through those, a
screen that shows nothing private can be searched for it one character at a time.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import RequestFactory

from assessments.admin import IntakeAdmin
from assessments.models import Intake, IntakeAccess
from assessments.tests.helpers import make_booking
from notifications.models import Message

pytestmark = pytest.mark.django_db

TEXT_FIELDS = (
    models.CharField,
    models.TextField,
    models.EmailField,
    models.SlugField,
    models.URLField,
    models.GenericIPAddressField,
    models.JSONField,
)
UNDECLARED = ["regex=.", "startswith=a"]
# Not answers: what the questionnaire is attached to and how far it got.
INTAKE_BOOKKEEPING = {"id", "booking", "steps_done", "completed_at", "created_at", "updated_at"}


@pytest.fixture
def booking(service):
    return make_booking(service)  # Dana Cruz, Thursday 2026-04-09 at 10:00


@pytest.fixture
def intake(booking):
    return Intake.objects.create(
        booking=booking, steps_done=["about", "history", "screen"], medications="Quixotamol 20mg", flag_cancer=True
    )


def listed(response) -> set[int]:
    assert response.status_code == 200, response.status_code
    return {row.pk for row in response.context["cl"].result_list}


def message(n, **fields) -> Message:
    defaults = {"kind": "confirmation", "channel": "email", "recipient": f"p{n}@example.org", "dedupe_key": f"t:{n}"}
    return Message.objects.create(**{"body": "See you soon.", **defaults, **fields})


# Every admin on the site -------------------------------------------------------------------------------------


def test_every_admin_refuses_undeclared_lookups_on_every_text_field(client, superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    client.force_login(superuser)
    walked, failures = set(), []

    for app in admin.site.get_app_list(request):
        for entry in app["models"]:
            model = entry["model"]
            name = type(admin.site.get_model_admin(model)).__name__
            walked.add(model._meta.label)
            url = entry["admin_url"]
            if (plain := client.get(url).status_code) != 200:
                failures.append(f"{name}: the plain list {url} answered {plain}")
            for field in model._meta.concrete_fields:
                if not isinstance(field, TEXT_FIELDS):
                    continue
                for lookup in UNDECLARED:
                    query = f"?{field.name}__{lookup}"
                    if (status := client.get(url + query).status_code) != 400:
                        failures.append(f"{name}: {url}{query} answered {status}, not 400")

    assert not failures, "\n".join(failures)
    registered = {model._meta.label for model in apps.get_models() if admin.site.is_registered(model)}
    assert walked == registered
    project = {"booking.Booking", "booking.Payment", "notifications.Message", "assessments.Intake"}
    assert project | {"assessments.IntakeAccess", "waitlist.WaitlistEntry", "auth.User"} <= walked


# What each admin declares still works ------------------------------------------------------------------------


def test_declared_filters_and_search_still_answer(client, superuser, service, booking):
    later = make_booking(service, starts_at=datetime(2027, 2, 1, 18, tzinfo=UTC), patient_name="Lee Ortiz")
    cancelled = make_booking(service, starts_at=datetime(2026, 5, 1, 18, tzinfo=UTC), status="cancelled")
    with time_machine.travel(datetime(2025, 6, 1, 12, tzinfo=UTC)):
        old_text = message(1, channel="sms", recipient="+16195550100")
    with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC)):
        new_text = message(2, channel="sms", recipient="+16195550101")
        new_email = message(3)
    client.force_login(superuser)

    assert listed(client.get("/admin/booking/booking/?visit=all&status__exact=confirmed")) == {booking.pk, later.pk}
    assert listed(client.get("/admin/booking/booking/?q=Ortiz")) == {later.pk}
    assert listed(client.get("/admin/notifications/message/?channel__exact=sms")) == {old_text.pk, new_text.pk}
    # As the date filter's own links write it: an aware time (a bare date is read as a naive one, with a warning).
    year_2026 = {"created_at__gte": "2026-01-01 00:00:00-08:00", "created_at__lt": "2027-01-01 00:00:00-08:00"}
    assert listed(client.get("/admin/notifications/message/", year_2026)) == {new_text.pk, new_email.pk}
    assert listed(client.get("/admin/notifications/message/?q=%2B16195550101")) == {new_text.pk}
    with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC)):
        assert listed(client.get("/admin/booking/booking/?visit=past")) == {booking.pk, cancelled.pk}
        assert listed(client.get("/admin/booking/booking/")) == {later.pk}  # from today on


# The front desk cannot read what its screens hide -----------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "body__regex=^https&booking__id__exact=1",  # the issue: a private link's next character, for one booking
        "body__regex=^https",
        "body__startswith=https",
        "booking__id__exact=1",
        "dedupe_key__contains=new_link",
    ],
)
def test_the_front_desk_cannot_search_message_bodies(client, front_desk, booking, query):
    message(1, booking=booking, kind="new_link", body="Your link: https://clinic.example/b/secret-token/")
    client.force_login(front_desk)

    assert client.get("/admin/notifications/message/").status_code == 200
    refused = client.get(f"/admin/notifications/message/?{query}")
    assert refused.status_code == 400
    assert "We could not handle that request" in refused.content.decode()  # a page that says so, not a bare 400
    assert "secret-token" not in refused.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "intake__medications__icontains=a",
        "intake__flag_cancer__exact=1",
        "messages__body__regex=.",
        "payments__checkout_url__startswith=https",
    ],
)
def test_the_front_desk_cannot_filter_bookings_through_related_rows(client, front_desk, intake, query):
    client.force_login(front_desk)

    assert listed(client.get("/admin/booking/booking/?visit=all")) == {intake.booking_id}
    assert client.get(f"/admin/booking/booking/?{query}").status_code == 400


# Clinicians search intakes by booking, never by answer ------------------------------------------------------


@pytest.mark.parametrize("query", ["medications__icontains=Quix", "flag_cancer__exact=1", "steps_done__contains=x"])
def test_a_clinician_cannot_filter_intakes_by_answer(client, clinician, intake, query):
    client.force_login(clinician)

    assert client.get(f"/admin/assessments/intake/?{query}").status_code == 400


def test_a_clinicians_search_finds_intakes_by_patient_never_by_answer(client, clinician, intake):
    client.force_login(clinician)

    assert listed(client.get("/admin/assessments/intake/?q=Dana")) == {intake.pk}
    assert listed(client.get(f"/admin/assessments/intake/?q={intake.booking.reference}")) == {intake.pk}
    assert listed(client.get("/admin/assessments/intake/?q=Quixotamol")) == set()


def test_the_intake_admin_declares_no_answer_field_to_search_or_filter():
    answers = {field.name for field in Intake._meta.concrete_fields} - INTAKE_BOOKKEEPING
    assert {"medications", "flag_cancer", "signature_name", "date_of_birth"} <= answers
    model_admin = admin.site.get_model_admin(Intake)
    assert isinstance(model_admin, IntakeAdmin)
    declared = [name.lstrip("^=@") for name in model_admin.search_fields]
    for spec in model_admin.list_filter:
        declared.append(spec[0] if isinstance(spec, (list, tuple)) else getattr(spec, "parameter_name", spec))
    declared.append(model_admin.date_hierarchy or "")

    assert [path for path in declared if set(str(path).split("__")) & answers] == []


# Every list a clinician runs is on record -------------------------------------------------------------------


def test_each_intake_list_and_search_is_logged_and_a_refused_one_is_not(client, clinician, intake):
    client.force_login(clinician)

    assert client.get("/admin/assessments/intake/", REMOTE_ADDR="192.0.2.44").status_code == 200
    assert client.get("/admin/assessments/intake/?medications__icontains=Quix").status_code == 400
    assert client.get("/admin/assessments/intake/?q=Dana").status_code == 200
    assert client.get("/admin/assessments/intake/?flag_cancer__exact=1").status_code == 400

    rows = IntakeAccess.objects.filter(action=IntakeAccess.Action.LIST).order_by("pk")
    assert [(row.user, row.booking, row.detail) for row in rows] == [(clinician, None, ""), (clinician, None, "q=Dana")]
    assert rows[0].ip_address == "192.0.2.44"
    assert not IntakeAccess.objects.exclude(action=IntakeAccess.Action.LIST).exists()
