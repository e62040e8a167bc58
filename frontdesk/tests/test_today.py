"""Today, the admin's home: the day's calendar, a visit's panel, a time's page and the day's takings.

The clock is stopped at Monday 2026-04-06, 8:00 AM in San Diego (PDT), as in the booking tests; the
conftest offer is $99 for visits April 7 to 16, the regular rate $175.
"""

import csv
import io
from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Intake, RedFlagReview
from booking.manage import patient_cancel, patient_reschedule
from booking.models import Booking, DeskPayment, Slot
from booking.tests.factories import BookingFactory, SlotFactory, local
from booking.tests.pages import NOW, PROMO_DAY, page
from clinic.tests.factories import ClosureFactory, PractitionerFactory
from clinic.tests.html import html
from notifications.models import Message, OptOut

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

TODAY = NOW.date()
HOME = "/admin/"


def visit_url(booking) -> str:
    return f"/admin/today/visit/{booking.pk}/"


def time_url(slot) -> str:
    return f"/admin/today/time/{slot.pk}/"


def notices(response) -> list[str]:
    return [m.message for m in response.context["messages"]]


def shown(response, status: int = 200) -> str:
    assert response.status_code == status, response.content.decode()[:3000]
    return page(response).text


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


@pytest.fixture
def brandon(clinic):
    return PractitionerFactory(clinic=clinic, name="Brandon Pascual")


@pytest.fixture
def alexis(clinic):
    return PractitionerFactory(clinic=clinic, name="Alexis Moreno")


def visit(service, day: date, hour: int, practitioner=None, promotion=None, **fields) -> Booking:
    slot = SlotFactory(service=service, practitioner=practitioner, starts_at=local(day, hour))
    price = promotion.price_cents if promotion else service.regular_price_cents
    return BookingFactory(slot=slot, promotion=promotion, price_cents=price, **fields)


def reviewed(intake: Intake, by: str) -> RedFlagReview:
    first, last = by.split()
    user, _ = User.objects.get_or_create(username=first.lower(), defaults={"first_name": first, "last_name": last})
    review = RedFlagReview.objects.create(intake=intake, reviewed_by=user, outcome=RedFlagReview.Outcome.CALLED)
    Intake.objects.filter(pk=intake.pk).update(red_flag_review=review)
    return review


# The calendar --------------------------------------------------------------------------------------------


def test_today_is_the_admins_home_a_column_per_practitioner_and_a_row_per_time(desk, service, offer, brandon, alexis):
    dana = visit(service, TODAY, 10, brandon, offer, patient_name="Dana Cruz", phone="+18585550199")
    Intake.objects.create(booking=dana, completed_at=NOW)
    visit(service, TODAY, 10, alexis, patient_name="Sam Lee", review_before_visit=True)
    SlotFactory(service=service, practitioner=alexis, starts_at=local(TODAY, 11))
    SlotFactory(service=service, starts_at=local(TODAY, 12), is_blocked=True, block_reason="Team meeting")
    visit(service, TODAY + timedelta(days=1), 10, brandon, patient_name="Tomorrow Patient")

    response = desk.get(HOME)

    text = shown(response)
    assert response.context["title"] == "Today, Monday, April 6, 2026"
    calendar = response.context["calendar"]
    assert calendar.columns == ["Alexis Moreno", "Brandon Pascual", "Anyone"]
    assert [f"{row.at:%H:%M}" for row in calendar.rows] == ["10:00", "11:00", "12:00"]
    ten = calendar.rows[0]
    assert [[v.booking.patient_name for t in cell for v in t.visits] for cell in ten.cells] == [
        ["Sam Lee"],
        ["Dana Cruz"],
        [],
    ]
    assert "Dana Cruz" in text and "Tomorrow Patient" not in text
    markup = response.content.decode()
    assert 'href="tel:+18585550199"' in markup
    boxes = {
        box.visible_text.split()[0]: " ".join(box.visible_text.split())
        for box in html(response).find_all("div")
        if box.has_class("today-visit")
    }
    assert "Confirmed Promo Due $99 Intake done" in boxes["Dana"]
    assert "Confirmed Regular Due $175 No intake yet Red flag" in boxes["Sam"]
    assert "Blocked (Team meeting)" in text
    assert "Open" in text
    assert f'href="{visit_url(dana)}"' in markup


def test_the_week_is_a_calendar_grid_a_column_per_day(desk, service, brandon):
    visit(service, TODAY, 9, brandon, patient_name="Monday Patient")
    visit(service, TODAY + timedelta(days=3), 9, brandon, patient_name="Thursday Patient")
    visit(service, TODAY + timedelta(days=7), 9, brandon, patient_name="Next Week")

    response = desk.get(HOME, {"day": "2026-04-08", "span": "week"})

    text = shown(response)
    calendar = response.context["calendar"]
    assert calendar.columns == [
        "Mon Apr 6",
        "Tue Apr 7",
        "Wed Apr 8",
        "Thu Apr 9",
        "Fri Apr 10",
        "Sat Apr 11",
        "Sun Apr 12",
    ]
    [nine] = calendar.rows
    assert [len(cell) for cell in nine.cells] == [1, 0, 0, 1, 0, 0, 0]
    assert "Thursday Patient" in text and "Next Week" not in text
    assert response.context["title"] == "Week of Monday, April 6, 2026"


def test_a_daylight_saving_week_puts_each_visit_on_its_own_day_and_hour(desk, service, brandon):
    # Sunday November 1, 2026: the clocks go back at 2 AM. 9 AM is 17:00 UTC that day, 16:00 UTC the day before.
    visit(service, date(2026, 10, 31), 9, brandon, patient_name="Saturday Nine")
    visit(service, date(2026, 11, 1), 9, brandon, patient_name="Sunday Nine")

    response = desk.get(HOME, {"day": "2026-11-01", "span": "week"})

    calendar = response.context["calendar"]
    [nine] = calendar.rows
    assert f"{nine.at:%H:%M}" == "09:00"
    names = [[v.booking.patient_name for t in cell for v in t.visits] for cell in nine.cells]
    assert names[5:] == [["Saturday Nine"], ["Sunday Nine"]]


def test_previous_next_and_a_day_that_cannot_be_shown(desk, service):
    response = desk.get(HOME, {"day": "2026-04-10"})
    assert response.context["previous_url"] == "/admin/?day=2026-04-09&span=day"
    assert response.context["next_url"] == "/admin/?day=2026-04-11&span=day"
    assert response.context["today_url"] == "/admin/?day=2026-04-06&span=day"

    for bad in ("tomorrow", "2026-13-40", "1900-01-01"):
        response = desk.get(HOME, {"day": bad})
        assert response.status_code == 200
        assert response.context["day"] == TODAY
        assert any("is not a day we can show" in n for n in notices(response))
    response = desk.get(HOME, {"span": "month"})
    assert response.context["span"] == "day"
    assert any("is not a view we know" in n for n in notices(response))


def test_a_time_a_patient_is_choosing_online_shows_as_held_with_no_name_yet(desk, service, brandon):
    chosen = visit(service, TODAY, 15, brandon, status=Booking.Status.HELD, patient_name="", requested_at=None)

    today = shown(desk.get(HOME))
    panel = shown(desk.get(visit_url(chosen)))

    assert "Being booked online" in today
    assert "Being booked online" in panel


def test_a_closed_day_says_so(desk, clinic, service):
    ClosureFactory(clinic=clinic, starts_on=TODAY, ends_on=TODAY, reason="Holiday")
    assert "The clinic is closed on Monday, April 6." in shown(desk.get(HOME))


@pytest.mark.parametrize("span", ["day", "week"])
def test_today_runs_the_same_queries_however_many_visits(desk, service, offer, brandon, alexis, span):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert desk.get(HOME, {"span": span}).status_code == 200
        return len(queries)

    visit(service, TODAY, 9, brandon, offer)
    few = count()
    for hour in range(10, 18):
        for practitioner in (brandon, alexis):
            booking = visit(service, TODAY, hour, practitioner, offer if hour % 2 else None, review_before_visit=True)
            intake = Intake.objects.create(booking=booking, completed_at=NOW)
            reviewed(intake, practitioner.name)
    assert count() == few


def test_a_clinician_sees_the_day_but_cannot_act_on_it(client, clinician, service, brandon):
    booking = visit(service, TODAY, 10, brandon, patient_name="Dana Cruz")
    client.force_login(clinician)

    text = shown(client.get(HOME))
    assert "Dana Cruz" in text and "Book a caller" not in text

    panel = shown(client.get(visit_url(booking)))
    assert "Arrived" not in panel and "Record payment" not in panel
    for action in ("arrived", "no_show", "payment", "move", "cancel", "new_link", "text"):
        assert client.post(visit_url(booking), {"action": action}).status_code == 403
    assert client.post(time_url(booking.slot), {"action": "block", "reason": "x"}).status_code == 403
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_staff_without_a_role_get_the_list_of_sections(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    assert "calendar" not in response.context
    assert client.get("/admin/today/visit/1/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, service):
    booking = visit(service, TODAY, 10)
    for url in (HOME, visit_url(booking), time_url(booking.slot), "/admin/today/takings/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/")


# A visit's panel -----------------------------------------------------------------------------------------


def test_a_patient_who_arrives_early_is_checked_in_but_a_no_show_waits_for_the_start(desk, service, brandon):
    booking = visit(service, TODAY, 10, brandon)

    early = desk.post(visit_url(booking), {"action": "no_show"}, follow=True)
    assert "A no-show can be marked from the visit's start time on." in notices(early)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED

    arrived = desk.post(visit_url(booking), {"action": "arrived"}, follow=True)
    assert f"{booking.patient_name} has arrived." in notices(arrived)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED
    assert booking.events.last().user is not None


def test_tomorrows_patient_cannot_be_checked_in_today(desk, service):
    booking = visit(service, TODAY + timedelta(days=1), 10)
    response = desk.post(visit_url(booking), {"action": "arrived"}, follow=True)
    assert "The patient can be checked in on the day of the visit." in notices(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_no_show_from_the_start_time_on(desk, front_desk, service, clock):
    booking = visit(service, TODAY, 10)
    clock.move_to(local(TODAY, 10, 5))
    desk.force_login(front_desk)  # an idle staff session ends after 15 minutes
    response = desk.post(visit_url(booking), {"action": "no_show"}, follow=True)
    assert notices(response) == [f"{booking.patient_name} is marked as a no-show."]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW


def test_a_99_dollar_card_payment_at_the_desk_makes_the_visit_paid(desk, service, offer, brandon):
    booking = visit(service, TODAY, 10, brandon, offer)
    panel = desk.get(visit_url(booking))
    assert panel.context["payment_form"].initial["amount"] == 99

    response = desk.post(visit_url(booking), {"action": "payment", "method": "card", "amount": "99.00"}, follow=True)

    assert "Recorded $99 by card terminal." in notices(response)
    [payment] = DeskPayment.objects.filter(booking=booking)
    assert (payment.method, payment.amount_cents, payment.taken_by.username) == ("card", 99_00, "frontdesk")
    day = desk.get(HOME)
    [cell] = day.context["calendar"].rows[0].cells[0]
    [shown_visit] = cell.visits
    assert shown_visit.paid and shown_visit.due_cents == 0


@pytest.mark.parametrize(
    ("amount", "method", "says"),
    [
        ("175.00", "card", "$175 is more than the $99 due."),
        ("0", "cash", "Ensure this value is greater than or equal to 0.01."),
        ("ninety", "cash", "Enter an amount like 99.00."),
        ("", "cash", "Enter the amount the patient paid."),
        ("10", "cheque", "Select a valid choice."),
    ],
)
def test_a_payment_the_desk_cannot_take_is_refused_and_nothing_is_saved(desk, service, offer, amount, method, says):
    booking = visit(service, TODAY, 10, promotion=offer)
    response = desk.post(visit_url(booking), {"action": "payment", "method": method, "amount": amount})
    assert response.status_code == 400
    assert says in shown(response, 400)
    assert not DeskPayment.objects.exists()


def test_a_visit_paid_in_full_takes_no_more(desk, service, offer):
    booking = visit(service, TODAY, 10, promotion=offer)
    DeskPayment.objects.create(booking=booking, method="cash", amount_cents=99_00)
    response = desk.post(visit_url(booking), {"action": "payment", "method": "cash", "amount": "1"})
    assert "This visit is paid in full." in shown(response, 400)
    assert DeskPayment.objects.count() == 1


def test_moving_a_callers_booking_keeps_the_offer_price_inside_the_window_and_tells_the_patient(
    desk, service, offer, brandon, django_capture_on_commit_callbacks
):
    booking = visit(service, PROMO_DAY, 10, brandon, offer, sms_consent=False)
    later = SlotFactory(service=service, practitioner=brandon, starts_at=local(PROMO_DAY + timedelta(days=1), 15))
    panel = desk.get(visit_url(booking))
    labels = [label for _, label in panel.context["move_form"].fields["slot"].choices]
    assert "Thu Apr 9, 3:00 PM · Brandon Pascual · $99" in labels

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            visit_url(booking), {"action": "move", "slot": later.pk, "from_slot": booking.slot_id}, follow=True
        )

    assert "Moved to Thu Apr 9, 3:00 PM at $99; the patient is told." in notices(response)
    booking.refresh_from_db()
    assert (booking.slot, booking.price_cents, booking.promotion) == (later, 99_00, offer)
    assert Message.objects.filter(booking=booking, kind=Message.Kind.RESCHEDULE, channel="email").exists()


def test_staff_move_a_visit_past_the_patients_online_cut_off(desk, service, clock):
    booking = visit(service, TODAY, 9)  # an hour from now: online changes have closed
    other = SlotFactory(service=service, starts_at=local(TODAY, 9, 30))  # inside the online notice
    response = desk.post(visit_url(booking), {"action": "move", "slot": other.pk, "from_slot": booking.slot_id})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.slot == other


def test_a_move_into_a_full_or_blocked_time_is_refused(desk, service):
    booking = visit(service, TODAY, 10)
    full = visit(service, TODAY, 11).slot
    blocked = SlotFactory(service=service, starts_at=local(TODAY, 12), is_blocked=True)
    for slot in (full, blocked):
        response = desk.post(visit_url(booking), {"action": "move", "slot": slot.pk, "from_slot": booking.slot_id})
        assert "That time is no longer open." in shown(response, 400)
    booking.refresh_from_db()
    assert booking.slot.starts_at == local(TODAY, 10)


def test_two_staff_moving_the_same_visit_one_wins_and_the_other_is_told(desk, service):
    booking = visit(service, TODAY, 10)
    first, second = (SlotFactory(service=service, starts_at=local(TODAY, hour)) for hour in (14, 15))
    seen = booking.slot_id  # both opened the panel while the visit was at 10

    assert desk.post(visit_url(booking), {"action": "move", "slot": first.pk, "from_slot": seen}).status_code == 302
    late = desk.post(visit_url(booking), {"action": "move", "slot": second.pk, "from_slot": seen})

    assert "This visit has just been moved by someone else." in shown(late, 400)
    booking.refresh_from_db()
    assert booking.slot == first


def test_cancelling_asks_a_reason_then_frees_the_time_and_tells_the_patient(
    desk, service, django_capture_on_commit_callbacks
):
    booking = visit(service, TODAY, 10)
    missing = desk.post(visit_url(booking), {"action": "cancel", "reason": ""})
    assert missing.status_code == 400
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(visit_url(booking), {"action": "cancel", "reason": "Called in sick"}, follow=True)

    assert "cancelled; the patient is told." in notices(response)
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_reason) == (Booking.Status.CANCELLED, "Called in sick")
    assert Message.objects.filter(booking=booking, kind=Message.Kind.CANCELLATION).exists()


def test_a_new_private_link_ends_the_earlier_ones(desk, service):
    booking = visit(service, TODAY, 10)
    response = desk.post(visit_url(booking), {"action": "new_link"}, follow=True)
    assert any("A new private link is on its way" in n for n in notices(response))
    booking.refresh_from_db()
    assert booking.link_version == 2


def test_an_unknown_action_or_visit_changes_nothing(desk, service):
    booking = visit(service, TODAY, 10)
    response = desk.post(visit_url(booking), {"action": "delete"}, follow=True)
    assert "That is not something this page can do." in notices(response)
    assert desk.get("/admin/today/visit/999999/").status_code == 404
    assert desk.get("/admin/today/visit/not-a-number/").status_code == 404


# A time -----------------------------------------------------------------------------------------------------


def test_block_a_time_for_a_meeting_then_open_it_again(desk, service):
    slot = SlotFactory(service=service, starts_at=local(TODAY, 13))

    blank = desk.post(time_url(slot), {"action": "block", "reason": "  "})
    assert "Say why the time is blocked." in shown(blank, 400)

    desk.post(time_url(slot), {"action": "block", "reason": "Team meeting"})
    slot.refresh_from_db()
    assert (slot.is_blocked, slot.block_reason) == (True, "Team meeting")
    assert "Blocked (Team meeting)" in shown(desk.get(HOME))

    desk.post(time_url(slot), {"action": "unblock"})
    slot.refresh_from_db()
    assert (slot.is_blocked, slot.block_reason) == (False, "")


def test_a_time_with_a_visit_in_it_cannot_be_blocked(desk, service):
    booking = visit(service, TODAY, 13)
    response = desk.post(time_url(booking.slot), {"action": "block", "reason": "Team meeting"})
    assert "This time has 1 visit booked: move or cancel them first." in shown(response, 400)
    assert not Slot.objects.get(pk=booking.slot_pk if hasattr(booking, "slot_pk") else booking.slot_id).is_blocked


def test_an_open_time_offers_to_book_a_caller_into_it(desk, service):
    slot = SlotFactory(service=service, starts_at=local(TODAY, 15))
    response = desk.get(time_url(slot))
    assert f'href="/admin/booking/booking/phone/?slot={slot.pk}"' in response.content.decode()
    past = SlotFactory(service=service, starts_at=local(TODAY, 7))
    assert "Book a caller into this time" not in shown(desk.get(time_url(past)))


# The day's takings -----------------------------------------------------------------------------------------


def test_the_days_takings_by_method_and_as_csv(desk, service, offer):
    dana = visit(service, TODAY, 10, promotion=offer, patient_name="Dana Cruz")
    sam = visit(service, TODAY, 11, patient_name="=cmd|' /C calc'!A0")
    desk.post(visit_url(dana), {"action": "payment", "method": "card", "amount": "99"})
    desk.post(visit_url(sam), {"action": "payment", "method": "cash", "amount": "100"})
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        yesterday_after = visit(service, TODAY + timedelta(days=1), 10)
        DeskPayment.objects.create(booking=yesterday_after, method="cash", amount_cents=5_00)

    report = desk.get("/admin/today/takings/", {"day": "2026-04-06"})
    text = " ".join(shown(report).split())
    assert "Cash $100" in text and "Card terminal $99" in text and "Total $199" in text

    export = desk.get("/admin/today/takings/", {"day": "2026-04-06", "format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    assert 'filename="takings-2026-04-06.csv"' in export["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0] == ["taken at", "reference", "patient", "visit", "method", "amount", "taken by"]
    assert [r[4:6] for r in rows[1:-1]] == [["Card terminal", "99.00"], ["Cash", "100.00"]]
    assert rows[2][2].startswith("'=")  # a spreadsheet reads it as text, not a formula
    assert rows[-1][5] == "199.00"


def test_takings_need_the_payments_permission(client, clinician):
    client.force_login(clinician)
    assert client.get("/admin/today/takings/").status_code == 403


def test_takings_for_a_day_that_cannot_be_shown(desk):
    response = desk.get("/admin/today/takings/", {"day": "yesterday"})
    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()


# What patients change online ----------------------------------------------------------------------------------


def test_the_desk_is_told_of_a_patients_online_cancellation_and_move(desk, service, brandon, clinic):
    dana = visit(service, PROMO_DAY, 10, brandon, patient_name="Dana Cruz")
    pat = visit(service, PROMO_DAY, 11, brandon, patient_name="Pat Caller")
    later = SlotFactory(service=service, practitioner=brandon, starts_at=local(PROMO_DAY, 15))

    patient_cancel(booking=dana)
    patient_reschedule(booking=pat, slot_id=later.pk, quoted_price_cents=pat.price_cents)

    told = Message.objects.filter(kind=Message.Kind.CLINIC_ONLINE_CHANGE).order_by("pk")
    assert [(m.recipient, m.booking) for m in told] == [(clinic.email, dana), (clinic.email, pat)]
    assert "Dana Cruz cancelled their visit online" in told[0].body
    assert "from Wednesday, April 8 at 11:00 AM to Wednesday, April 8 at 3:00 PM" in told[1].body
    response = desk.get(HOME, {"day": PROMO_DAY.isoformat()})
    text = " ".join(shown(response).split())
    assert "Changed online by patients" in text
    assert "Dana Cruz cancelled Wed Apr 8, 10:00 AM" in text
    assert "Pat Caller moved from Wed Apr 8, 11:00 AM to Wed Apr 8, 3:00 PM" in text
    [moved] = [v for v in response.context["calendar"].visits() if v.booking == pat]
    assert moved.moved_online
    assert "Moved online" in text


def test_changes_staff_make_do_not_alert_the_desk(desk, service):
    booking = visit(service, PROMO_DAY, 10)
    desk.post(visit_url(booking), {"action": "cancel", "reason": "Called to cancel"})
    assert not Message.objects.filter(kind=Message.Kind.CLINIC_ONLINE_CHANGE).exists()
    assert "Changed online by patients" not in shown(desk.get(HOME, {"day": PROMO_DAY.isoformat()}))


def test_the_front_desk_sees_no_online_changes_without_seeing_patients(client, django_user_model, service):
    booking = visit(service, PROMO_DAY, 10, patient_name="Dana Cruz")
    patient_cancel(booking=booking)
    user = django_user_model.objects.create_user("slots", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_slot"))
    client.force_login(user)
    response = client.get(HOME, {"day": PROMO_DAY.isoformat()})
    assert "Dana Cruz" not in shown(response)


# Each role's sections ------------------------------------------------------------------------------------------


def sections(client) -> list[str]:
    response = client.get("/admin/sections/")
    assert response.status_code == 200
    return [m["name"] for app in response.context["app_list"] for m in app["models"]]


def test_the_front_desk_sees_the_sections_it_uses(desk):
    assert sorted(sections(desk)) == ["Bookings", "Messages", "Promotions", "Waiting list"]


def test_a_clinician_sees_bookings_and_intakes(client, clinician):
    client.force_login(clinician)
    assert set(sections(client)) == {"Bookings", "Intakes", "Intake access log"}


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_managers_and_superusers_also_see_the_technical_sections(client, request, who):
    client.force_login(request.getfixturevalue(who))
    names = sections(client)
    assert {"Bookings", "Slots", "Stripe events"} <= set(names)
    if who == "superuser":
        assert {"Users", "Groups", "Access attempts"} <= set(names)


def test_a_section_hidden_from_the_front_desk_still_opens_for_its_daily_links(desk):
    assert desk.get("/admin/booking/slot/").status_code == 200  # "Open times from opening hours" lives there


def test_a_red_flag_a_clinician_reviewed_shows_who_when_and_what_came_of_it(desk, service, brandon):
    flagged = visit(service, TODAY, 10, brandon, patient_name="Dana Cruz", review_before_visit=True)
    waiting = visit(service, TODAY, 11, brandon, patient_name="Sam Lee", review_before_visit=True)
    reviewed(Intake.objects.create(booking=flagged, completed_at=NOW), "Ana Ruiz")
    Intake.objects.create(booking=waiting, completed_at=NOW)

    response = desk.get(HOME)

    boxes = {v.booking.patient_name: v for v in response.context["calendar"].visits()}
    assert boxes["Dana Cruz"].flag_review == "Flag reviewed by Ana Ruiz, Apr 6, 8:00 AM: called the patient"
    assert boxes["Sam Lee"].flag_review == ""
    text = " ".join(shown(response).split())
    assert "Flag reviewed Flag reviewed by Ana Ruiz, Apr 6, 8:00 AM: called the patient" in text
    assert "Red flag" in text  # Sam's is still waiting
    assert "Flag reviewed by Ana Ruiz" in shown(desk.get(visit_url(flagged)))


# Quick actions in Today's panel (htmx) --------------------------------------------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_todays_panel_shows_a_visit_without_leaving_the_calendar(desk, service, brandon):
    booking = visit(service, TODAY, 10, brandon, patient_name="Dana Cruz")
    calendar = desk.get(HOME).content.decode()
    assert f'hx-get="{visit_url(booking)}" hx-target="#today-panel"' in calendar
    assert 'id="today-panel"' in calendar

    panel = desk.get(visit_url(booking), **HTMX)

    markup = panel.content.decode()
    assert panel.status_code == 200 and "<html" not in markup
    assert f'hx-post="{visit_url(booking)}" hx-target="#today-panel"' in markup
    assert "Dana Cruz" in markup


def test_a_quick_action_redraws_the_panel_and_the_visits_box(desk, service, offer, brandon):
    booking = visit(service, TODAY, 10, brandon, offer, patient_name="Dana Cruz")

    response = desk.post(visit_url(booking), {"action": "payment", "method": "cash", "amount": "99"}, **HTMX)

    markup = response.content.decode()
    assert response.status_code == 200 and "<html" not in markup
    assert "Recorded $99 by cash." in markup
    box = next(el for el in html(markup).find_all("div") if el.attrs.get("id") == f"visit-{booking.pk}")
    assert box.attrs.get("hx-swap-oob") == "true"
    assert "Paid" in box.visible_text


def test_a_refused_quick_action_says_why_in_the_panel(desk, service, offer):
    booking = visit(service, TODAY, 10, promotion=offer)
    response = desk.post(visit_url(booking), {"action": "payment", "method": "cash", "amount": "500"}, **HTMX)
    assert response.status_code == 400
    assert "<html" not in response.content.decode()
    assert "$500 is more than the $99 due." in html(response).visible_text
    assert not DeskPayment.objects.exists()


def test_a_move_from_the_panel_loads_today_again(desk, service):
    booking = visit(service, TODAY, 10)
    later = SlotFactory(service=service, starts_at=local(TODAY, 15))
    response = desk.post(visit_url(booking), {"action": "move", "slot": later.pk, "from_slot": booking.slot_id}, **HTMX)
    assert (response.status_code, response["HX-Refresh"]) == (204, "true")
    booking.refresh_from_db()
    assert booking.slot == later


# Texting the patient ---------------------------------------------------------------------------------------------


def test_the_desk_texts_a_patient_who_agreed_to_texts(desk, service, brandon, twilio_recorder):
    booking = visit(service, TODAY, 10, brandon, sms_consent=True, phone="+16195550142")

    response = desk.post(visit_url(booking), {"action": "text", "text": "Running 10 minutes late, sorry!"}, follow=True)

    assert "The text is on its way." in notices(response)
    [text] = Message.objects.filter(booking=booking, kind=Message.Kind.STAFF_TEXT)
    assert (text.channel, text.recipient) == ("sms", "+16195550142")
    assert text.body == "Project Performance Physical Therapy: Running 10 minutes late, sorry!"


@pytest.mark.parametrize(
    ("fields", "text", "says"),
    [
        ({"sms_consent": False}, "Hello", "The patient has not agreed to texts: call them instead."),
        ({"sms_consent": True, "phone": "+447700900123"}, "Hello", "This mobile cannot be texted"),
        ({"sms_consent": True}, "   ", "Write the text to send."),
        ({"sms_consent": True}, "x" * 301, "Ensure this value has at most 300 characters"),
    ],
)
def test_a_text_that_cannot_go_is_refused_and_nothing_queued(desk, service, fields, text, says):
    booking = visit(service, TODAY, 10, **fields)
    response = desk.post(visit_url(booking), {"action": "text", "text": text})
    assert response.status_code == 400
    assert says in shown(response, 400)
    assert not Message.objects.filter(kind=Message.Kind.STAFF_TEXT).exists()


def test_a_ready_made_text_is_filled_in_the_patients_language_and_sent_as_edited(desk, service, clinic):
    booking = visit(service, TODAY, 10, sms_consent=True, phone="+16195550142", language="es")
    english = visit(service, TODAY, 11, sms_consent=True, phone="+16195550143")

    filled = desk.post(visit_url(booking), {"action": "text_fill", "canned": "call", "text": ""}, **HTMX)

    assert filled.status_code == 200
    assert (
        filled.context["text_form"]["text"].value() == "Por favor, llámenos al (619) 268-1397 cuando pueda. ¡Gracias!"
    )
    choices = filled.context["text_form"].fields["canned"].choices
    assert ("call", "Please call us") in choices  # staff read the names in English
    assert not Message.objects.exists()  # filling in sends nothing
    other = desk.post(visit_url(english), {"action": "text_fill", "canned": "call"}, **HTMX)
    assert other.context["text_form"]["text"].value() == "Please call us at (619) 268-1397 when you can. Thank you!"

    clinic.parking_note, clinic.parking_note_es = "Park in the lot.", "Estacione en el lote."
    clinic.save()
    directions = desk.post(visit_url(booking), {"action": "text_fill", "canned": "directions"}, **HTMX)
    assert directions.context["text_form"]["text"].value() == (
        f"Estamos en {clinic.address_line}. Estacione en el lote. Mapa: {clinic.map_link}"
    )

    desk.post(visit_url(booking), {"action": "text", "canned": "call", "text": "Por favor, llámenos hoy."})
    [text] = Message.objects.filter(booking=booking, kind=Message.Kind.STAFF_TEXT)
    assert (
        text.body == "Project Performance Physical Therapy: Por favor, llamenos hoy."
    )  # GSM-7: one segment holds more


@pytest.mark.parametrize("canned", ["", "refund", "<script>"])
def test_filling_in_no_ready_made_text_says_so(desk, service, canned):
    booking = visit(service, TODAY, 10, sms_consent=True)
    response = desk.post(visit_url(booking), {"action": "text_fill", "canned": canned})
    assert "Choose one of the ready-made texts." in shown(response, 400)
    assert shown(response, 400).count("Choose one of the ready-made texts.") == 1  # said once, on the choice
    assert "Write the text to send." not in shown(response, 400)  # an empty box is no mistake when filling in
    assert not Message.objects.exists()


def test_a_patient_who_replied_stop_is_not_texted(desk, service):
    booking = visit(service, TODAY, 10, sms_consent=True, phone="+16195550142")
    OptOut.objects.create(phone="+16195550142", keyword="STOP")
    response = desk.post(visit_url(booking), {"action": "text", "text": "Hello"})
    assert "This mobile cannot be texted" in shown(response, 400)


def test_today_never_reads_intake_answers_into_memory(desk, service, brandon):
    booking = visit(service, TODAY, 10, brandon, review_before_visit=True)
    Intake.objects.create(booking=booking, completed_at=NOW)
    answers = [name.removeprefix("intake__") for name in Intake.answers_of("intake")]

    with CaptureQueriesContext(connection) as queries:
        assert desk.get(HOME).status_code == 200

    intake_reads = [q["sql"] for q in queries if '"assessments_intake"' in q["sql"]]
    assert intake_reads  # the progress is read...
    columns = {Intake._meta.get_field(name).column for name in answers}
    assert not [c for c in columns if any(f'"assessments_intake"."{c}"' in sql for sql in intake_reads)]  # ...not them


def test_a_cancellation_the_patient_asked_for_by_phone_may_go_without_a_notice(
    desk, service, django_capture_on_commit_callbacks
):
    booking = visit(service, TODAY, 10)
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            visit_url(booking), {"action": "cancel", "reason": "Called to cancel", "silent": "on"}, follow=True
        )
    assert "cancelled; no notice sent." in notices(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert not Message.objects.filter(booking=booking, kind=Message.Kind.CANCELLATION).exists()
