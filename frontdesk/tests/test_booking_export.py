"""The bookings list's CSV button: the list as it stands, every page of it, no intake answers, for staff who
may see bookings."""

import csv
import io
from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import Permission

from assessments.models import Intake
from booking.models import Payment
from booking.tests.factories import BookingFactory, SlotFactory, local
from clinic.tests.html import html
from clinic.tests.staff import staff_user

pytestmark = pytest.mark.django_db

BOOKINGS = "/admin/booking/booking/"
EXPORT = "/admin/booking/booking/export/"
HEADER = ["reference", "patient", "email", "mobile", "visit", "status", "price", "discounted", "paid", "intake"]
TODAY = date(2026, 3, 4)
PROMO_PAID = ["99.00", "yes", "yes", "not done"]  # price, discounted, paid online, intake
REGULAR_DUE = ["175.00", "no", "no", "not done"]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(local(TODAY, 9), tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


def visit(service, day: int, hour: int, **fields):
    return BookingFactory(slot=SlotFactory(service=service, starts_at=local(date(2026, 3, day), hour)), **fields)


def rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="bookings-2026-03-04.csv"'
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def export_link(response) -> str:
    [link] = [a for a in html(response).find_all("a") if a.text == "Export these bookings (CSV)"]
    assert link.parent.parent.has_class("object-tools")  # a button at the top of the list
    return link.attrs["href"]


def test_the_button_exports_the_list_as_filtered_and_searched(desk, service, promotion):
    promo = visit(promotion.service, 5, 9, promotion=promotion, price_cents=99_00, patient_name="Ana Diaz")
    regular = visit(service, 6, 10, patient_name="Ana Lopez")
    visit(service, 6, 11, patient_name="Ben Ortiz")
    visit(service, 7, 12, patient_name="Ana Cancelled", status="cancelled")
    visit(service, 2, 9, patient_name="Ana Past")
    Payment.objects.create(booking=promo, checkout_session_id="cs_1", amount_cents=99_00, status=Payment.Status.PAID)

    listing = desk.get(BOOKINGS, {"q": "ana", "visit": "upcoming", "status__exact": "confirmed"})
    href = export_link(listing)
    assert href.startswith(EXPORT + "?")
    table = rows(desk.get(href))

    assert table[0] == HEADER
    assert table[1:] == [
        [promo.reference, "Ana Diaz", promo.email, promo.phone, "2026-03-05 09:00", "Confirmed", *PROMO_PAID],
        [regular.reference, "Ana Lopez", regular.email, regular.phone, "2026-03-06 10:00", "Confirmed", *REGULAR_DUE],
    ]


def test_the_export_holds_every_page_not_only_the_first(desk, service):
    for n in range(105):
        visit(service, 5 + n // 12, 7 + n % 12)
    assert len(desk.get(BOOKINGS).context["cl"].result_list) == 100
    assert len(rows(desk.get(EXPORT))) == 1 + 105


def test_the_export_says_whether_the_intake_is_done_never_what_it_says(desk, service):
    booking = visit(service, 5, 9)
    Intake.objects.create(
        booking=booking,
        steps_done=["about", "pain", "history", "screen", "consent"],
        completed_at=local(TODAY, 8),
        medications="Quixotamol 20mg",
        pain_onset="Felt it pop on a trail run",
        previous_injuries="Left ACL, 2019",
        goals="Run the Rock 'n' Roll half",
        flag_cancer=True,
        signature_name="Dana Cruz",
    )
    [header, row] = rows(desk.get(EXPORT))
    assert row[HEADER.index("intake")] == "done"
    text = ",".join(header + row)
    for answer in ("Quixotamol", "trail run", "ACL", "Rock 'n' Roll", "cancer", "Dana Cruz"):
        assert answer not in text


def test_cells_never_run_as_spreadsheet_formulas(desk, service):
    visit(service, 5, 9, patient_name="=HYPERLINK(1)", email="@evil@example.com")
    [_, row] = rows(desk.get(EXPORT))
    assert row[1] == "'=HYPERLINK(1)"
    assert row[2] == "'@evil@example.com"


def test_the_export_is_a_button_not_an_action(desk, service):
    visit(service, 5, 9)
    form = desk.get(BOOKINGS).context["action_form"]
    assert "export_csv" not in {name for name, _ in form.fields["action"].choices}


def test_only_staff_who_may_see_bookings_export_them(client, django_user_model, service):
    visit(service, 5, 9)
    assert client.get(EXPORT).status_code == 302  # to the login page
    assert client.get(EXPORT)["Location"].startswith("/admin/login/")

    plain = staff_user(django_user_model, "plain")
    client.force_login(plain)
    assert client.get(EXPORT).status_code == 403

    plain.user_permissions.add(Permission.objects.get(codename="view_booking"))
    plain = django_user_model.objects.get(pk=plain.pk)  # permissions are cached on the user
    client.force_login(plain)
    assert len(rows(client.get(EXPORT))) == 2


@pytest.mark.parametrize(
    "query",
    [
        "intake__medications__icontains=a",  # the answers cannot be reached through the export either
        "messages__body__regex=.",
        "slot__starts_at__gte=2026-01-01",
    ],
)
def test_the_export_refuses_filters_the_list_does_not_offer(desk, service, query):
    visit(service, 5, 9)
    response = desk.get(f"{EXPORT}?{query}")
    assert response.status_code == 400


def test_an_unknown_visit_choice_is_refused_with_a_message(desk, service):
    visit(service, 5, 9)
    response = desk.get(EXPORT, {"visit": "someday"})
    assert response.status_code == 400
    assert "go back to it and choose again" in response.content.decode()
