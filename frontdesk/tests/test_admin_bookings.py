"""The front desk's verbs on bookings in the admin: each one's effect, and each refusal."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking.models import Booking, Payment
from booking.rules import Patient
from booking.services import booking_create
from booking.tests.factories import BookingFactory, SlotFactory
from booking.tests.pages import code_typed

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/booking/booking/"


@pytest.fixture
def front_desk(django_user_model):
    user = django_user_model.objects.create_user("desk", "desk@example.com", "a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Front desk"))
    return user


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


@pytest.fixture
def manager(client, django_user_model):
    user = django_user_model.objects.create_user("owner", "owner@example.com", "a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Manager"))
    client.force_login(user)
    return client


def book(service, n=1, *, price=None, **kwargs) -> Booking:
    slot = SlotFactory(service=service, **kwargs)
    patient = Patient(name=f"Runner {n}", email=f"runner{n}@example.com", phone=f"+1619555{n:04d}", sms_consent=True)
    price = price or service.regular_price_cents
    return code_typed(booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=price))


def paid_online(booking: Booking, payment_intent_id: str) -> Payment:
    return Payment.objects.create(
        booking=booking,
        checkout_session_id=f"cs_{payment_intent_id}",
        payment_intent_id=payment_intent_id,
        amount_cents=booking.price_cents,
        status=Payment.Status.PAID,
    )


def act(client, action, bookings, **extra):
    data = {"action": action, "_selected_action": [b.pk for b in bookings], **extra}
    return client.post(CHANGELIST, data, follow=True)


def notices(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_history_records_who_did_what(desk, front_desk, service, django_capture_on_commit_callbacks):
    booking = book(service)
    with django_capture_on_commit_callbacks(execute=True):
        act(desk, "cancel_bookings", [booking], apply="1", reason="Called to cancel")
    steps = list(booking.events.values_list("from_status", "to_status", "user", "note"))
    assert steps == [
        ("", "confirmed", None, ""),  # booked and confirmed at once: payment due at the visit
        ("confirmed", "cancelled", front_desk.pk, "Called to cancel"),
    ]
    page = desk.get(f"/admin/booking/booking/{booking.pk}/change/").content.decode()
    assert "Called to cancel" in page and "desk" in page


def test_cancel_asks_for_a_reason_first_and_changes_nothing_until_then(desk, service):
    booking = book(service)
    page = act(desk, "cancel_bookings", [booking])
    assert "Cancel the bookings" in page.content.decode()
    refused = act(desk, "cancel_bookings", [booking], apply="1", reason="")
    assert "This field is required" in refused.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_cancel_frees_the_slot_and_tells_the_patient(desk, service, django_capture_on_commit_callbacks):
    booking = book(service)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(desk, "cancel_bookings", [booking], apply="1", reason="Clinician ill")
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert f"{booking}: cancelled; the patient is told." in notices(response)
    [email] = [m for m in mail.outbox if m.to == [booking.email]]
    assert "cancelled" in email.subject
    assert "Clinician ill" not in email.body  # the reason stays with the booking
    other = Patient(name="Dana Cruz", email="dana@example.com", phone="+18585550199")
    assert booking_create(slot_id=booking.slot_id, patient=other, quoted_price_cents=175_00).status == "confirmed"


def test_cancelling_twice_says_so_and_changes_nothing(desk, service):
    booking = book(service)
    act(desk, "cancel_bookings", [booking], apply="1", reason="First")
    response = act(desk, "cancel_bookings", [booking], apply="1", reason="Second")
    assert f"{booking}: was already cancelled." in notices(response)
    booking.refresh_from_db()
    assert booking.cancel_reason == "First"
    assert booking.events.filter(to_status="cancelled").count() == 1


def test_a_manager_cancels_with_a_refund(manager, service, stripe_recorder, django_capture_on_commit_callbacks):
    booking = book(service)
    paid_online(booking, "pi_paid")
    with django_capture_on_commit_callbacks(execute=True):
        response = act(manager, "cancel_bookings", [booking], apply="1", reason="Moved away", refund="on")
    assert f"{booking}: refund of $175 requested." in notices(response)
    [call] = stripe_recorder.calls("POST", "/v1/refunds")
    assert (call.params["payment_intent"], call.params["amount"]) == ("pi_paid", "17500")


def test_the_front_desk_cancels_but_cannot_refund(desk, service, stripe_recorder, django_capture_on_commit_callbacks):
    booking = book(service)
    paid_online(booking, "pi_paid")

    asked = act(desk, "cancel_bookings", [booking])
    assert b'name="refund"' not in asked.content
    assert b"a manager can refund it from Payments" in asked.content
    with django_capture_on_commit_callbacks(execute=True):
        act(desk, "cancel_bookings", [booking], apply="1", reason="Moved away", refund="on")  # a forged tick

    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
    assert stripe_recorder.requests == []
    assert not booking.payments.get().refunds.exists()


def test_cancel_without_refund_leaves_the_payment_alone(desk, service, stripe_recorder):
    booking = book(service)
    paid_online(booking, "pi_paid")
    act(desk, "cancel_bookings", [booking], apply="1", reason="Keeps the credit")
    assert stripe_recorder.requests == []


def test_a_visit_that_has_happened_cannot_be_cancelled(desk, service):
    booking = BookingFactory(slot=SlotFactory(service=service), status=Booking.Status.ATTENDED)
    response = act(desk, "cancel_bookings", [booking], apply="1", reason="Oops")
    assert f"{booking}: This visit has already taken place and cannot be cancelled." in notices(response)


def test_confirming_a_hold_by_phone(desk, service):
    booking = BookingFactory(slot=SlotFactory(service=service), status=Booking.Status.HELD)
    response = act(desk, "confirm_holds", [booking])
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert "1 booking confirmed." in notices(response)
    cancelled = BookingFactory(slot=SlotFactory(service=service), status=Booking.Status.CANCELLED)
    refused = act(desk, "confirm_holds", [cancelled])
    assert f"{cancelled}: This booking can no longer be confirmed." in notices(refused)


def test_attended_and_no_show_only_once_the_visit_has_started(desk, front_desk, service):
    booking = book(service, starts_at=timezone.now() + timedelta(days=1))
    early = act(desk, "mark_attended", [booking])
    assert f"{booking}: The patient can be checked in on the day of the visit." in notices(early)
    too_soon = act(desk, "mark_no_show", [booking])
    assert f"{booking}: A no-show can be marked from the visit's start time on." in notices(too_soon)
    with time_machine.travel(booking.slot.starts_at + timedelta(minutes=5)):
        desk.force_login(front_desk)  # a new day, a new session
        response = act(desk, "mark_no_show", [booking])
    booking.refresh_from_db()
    assert booking.status == "no_show"
    assert "1 booking marked no-show." in notices(response)


def test_resend_confirmation_queues_it_again(desk, service, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(service)
    before = booking.messages.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(desk, "resend_confirmation", [booking])
    assert f"{booking}: confirmation queued again." in notices(response)
    assert booking.messages.count() == before + 2  # the email and the text


@pytest.mark.parametrize(
    "query, expected",
    [
        ("paid=yes", {"paid"}),
        ("paid=no", {"due", "flagged"}),
        ("review_before_visit__exact=1", {"flagged"}),
        ("status__exact=cancelled", set()),
    ],
)
def test_filters(desk, service, query, expected):
    paid = book(service, 1)
    Payment.objects.create(booking=paid, checkout_session_id="cs_x", amount_cents=175_00, status=Payment.Status.PAID)
    due = book(service, 2)
    flagged = book(service, 3)
    Booking.objects.filter(pk=flagged.pk).update(review_before_visit=True)
    names = {paid.reference: "paid", due.reference: "due", flagged.reference: "flagged"}
    page = desk.get(f"{CHANGELIST}?{query}").content.decode()
    assert {name for reference, name in names.items() if reference in page} == expected


def test_booking_list_runs_a_fixed_number_of_queries(desk, service):
    book(service, 1)
    with CaptureQueriesContext(connection) as one:
        assert desk.get(CHANGELIST).status_code == 200
    for n in range(2, 22):
        book(service, n)
    with CaptureQueriesContext(connection) as many:
        assert desk.get(CHANGELIST).status_code == 200
    assert len(many) == len(one)


def test_spots_cannot_drop_below_the_discounted_visits_booked(admin_client, promotion):
    for n in range(3):
        book(promotion.service, n + 1, price=99_00, starts_at=timezone.now() + timedelta(days=2, hours=n))
    promotion.spots = 2
    with pytest.raises(ValidationError) as raised:
        promotion.full_clean()
    assert raised.value.message_dict["spots"] == ["3 discounted visits are already booked: spots cannot be fewer."]


# Booking a caller ---------------------------------------------------------------------------------

PHONE = "/admin/booking/booking/phone/"


def caller(slot, **changes):
    day = timezone.localdate(slot.starts_at, slot.service.clinic.tz).isoformat()
    fields = {"day": day, "slot": slot.pk, "name": "Pat Caller", "email": "pat@example.com", "phone": "(619) 555-0188"}
    fields["language"] = "en"
    return {**fields, **changes}


def test_the_front_desk_books_a_caller_at_the_price_the_rules_give(desk, front_desk, promotion, settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 30
    soon = SlotFactory(service=promotion.service, starts_at=timezone.now() + timedelta(hours=25))  # too soon online
    page = desk.get(PHONE, {"slot": soon.pk})  # its day
    assert page.status_code == 200
    assert f'value="{soon.pk}"' in page.content.decode()
    assert "$99 (Launch week)" in page.content.decode()  # the price, before booking

    response = desk.post(PHONE, caller(soon), follow=True)

    booking = Booking.objects.get()
    assert (booking.status, booking.price_cents, booking.promotion, booking.phone) == (
        "confirmed",
        99_00,
        promotion,
        "+16195550188",
    )
    assert booking.events.last().user == front_desk
    assert "Booked Pat Caller at $99, due at the visit." in notices(response)
    assert response.redirect_chain[-1][0] == f"/admin/today/visit/{booking.pk}/"


def test_a_taken_time_is_not_offered_and_cannot_be_forced(desk, service):
    taken = book(service)
    page = desk.get(PHONE, {"slot": taken.slot_id}).content.decode()
    assert f'value="{taken.slot_id}"' not in page
    response = desk.post(PHONE, caller(taken.slot))
    assert response.status_code == 400
    assert "That time is no longer open: choose another." in response.content.decode()
    assert Booking.objects.count() == 1


def test_bad_caller_details_book_nothing(desk, service):
    slot = SlotFactory(service=service)
    response = desk.post(PHONE, caller(slot, phone="12", email="nope"))
    page = response.content.decode()
    assert "That number does not look right" in page
    assert "Enter an email address like name@example.com." in page
    assert not Booking.objects.exists()


def test_only_staff_who_change_bookings_may_book_a_caller(client, django_user_model):
    clinician = django_user_model.objects.create_user("doc", "doc@example.com", "a-long-test-password", is_staff=True)
    clinician.groups.add(Group.objects.get(name="Clinician"))
    client.force_login(clinician)
    assert client.get(PHONE).status_code == 403


# The promotion's dashboard ------------------------------------------------------------------------


def test_promotion_dashboard_counts_sales_revenue_and_show_ups(admin_client, promotion):
    sold = [
        book(promotion.service, n, price=99_00, starts_at=timezone.now() + timedelta(days=2, hours=n))
        for n in (1, 2, 3)
    ]
    Booking.objects.filter(pk=sold[0].pk).update(status=Booking.Status.ATTENDED)
    Booking.objects.filter(pk=sold[1].pk).update(status=Booking.Status.NO_SHOW)
    BookingFactory(slot=SlotFactory(service=promotion.service), promotion=promotion, status=Booking.Status.HELD)
    Payment.objects.create(
        booking=sold[2],
        checkout_session_id="cs_1",
        amount_cents=99_00,
        amount_refunded_cents=0,
        status=Payment.Status.PAID,
    )

    response = admin_client.get(f"/admin/booking/promotion/{promotion.pk}/dashboard/")

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.sold, report.held, report.left) == (3, 1, 4)
    assert (report.booked_cents, report.collected_cents) == (297_00, 99_00)
    assert (report.attended, report.no_shows, report.show_up_rate) == (1, 1, 0.5)
    assert report.sold_out_after is None
    page = response.content.decode()
    assert "3 of 8" in page and "<svg" in page and "<polyline" in page
    assert all(sale.after >= timedelta(0) for sale in report.sales)


def test_promotion_dashboard_says_when_it_sold_out(admin_client, promotion):
    promotion.spots = 2
    promotion.save()
    for n in (1, 2):
        book(promotion.service, n, price=99_00, starts_at=timezone.now() + timedelta(days=2, hours=n))
    report = admin_client.get(f"/admin/booking/promotion/{promotion.pk}/dashboard/").context["report"]
    assert report.sold_out_after == report.sales[1].after


def test_promotion_dashboard_is_for_staff_who_may_see_promotions(desk, promotion, django_user_model):
    assert desk.get(f"/admin/booking/promotion/{promotion.pk}/dashboard/").status_code == 200
    assert desk.get("/admin/booking/promotion/999999/dashboard/").status_code == 404
    outsider = django_user_model.objects.create_user("x", "x@example.com", "a-long-test-password", is_staff=True)
    desk.force_login(outsider)
    assert desk.get(f"/admin/booking/promotion/{promotion.pk}/dashboard/").status_code == 403


# Slots --------------------------------------------------------------------------------------------


def test_a_slot_with_bookings_cannot_be_blocked_or_shrunk(desk, service):
    booking = book(service)
    slot = booking.slot
    response = desk.post("/admin/booking/slot/", {"action": "block_slots", "_selected_action": [slot.pk]}, follow=True)
    assert f"{slot}: has bookings; move or cancel them first." in notices(response)
    slot.refresh_from_db()
    assert slot.is_blocked is False
    local = timezone.localtime(slot.starts_at)
    end = timezone.localtime(slot.ends_at)
    form = {
        "service": service.pk,
        "starts_at_0": local.date().isoformat(),
        "starts_at_1": local.strftime("%H:%M:%S"),
        "ends_at_0": end.date().isoformat(),
        "ends_at_1": end.strftime("%H:%M:%S"),
        "capacity": 1,
        "is_blocked": "on",
    }
    page = desk.post(f"/admin/booking/slot/{slot.pk}/change/", form).content.decode()
    assert "move or cancel them before blocking it" in page
    page = desk.post(
        f"/admin/booking/slot/{slot.pk}/change/", {**form, "is_blocked": "", "capacity": 0}
    ).content.decode()
    assert "capacity cannot be lower" in page
    slot.refresh_from_db()
    assert (slot.is_blocked, slot.capacity) == (False, 1)


def test_free_slots_block_and_unblock(desk, service):
    slot = SlotFactory(service=service)
    desk.post("/admin/booking/slot/", {"action": "block_slots", "_selected_action": [slot.pk]})
    slot.refresh_from_db()
    assert slot.is_blocked
    desk.post("/admin/booking/slot/", {"action": "unblock_slots", "_selected_action": [slot.pk]})
    slot.refresh_from_db()
    assert not slot.is_blocked


def test_a_booked_slot_cannot_be_deleted(admin_client, service):
    booking = book(service)
    page = admin_client.post(f"/admin/booking/slot/{booking.slot_id}/delete/", {"post": "yes"})
    assert page.status_code == 200  # Django explains which bookings protect it
    assert "Booking" in page.content.decode()
    assert booking.slot.__class__.objects.filter(pk=booking.slot_id).exists()


# Odd input never a 500 -----------------------------------------------------------------------------


def test_far_off_dates_are_refused_not_500(admin_client, clinic, service):
    far = {"service": service.pk, "first_day": "9999-12-31", "last_day": "9999-12-31", "preview": "1"}
    page = admin_client.post("/admin/booking/slot/generate/", far)
    assert page.status_code == 200
    assert "Choose a day between 2000 and 2199." in page.content.decode()
    closure = {"clinic": clinic.pk, "starts_on": "2026-12-24", "ends_on": "9999-12-31", "reason": "Forever"}
    page = admin_client.post("/admin/clinic/closure/add/", closure)
    assert page.status_code == 200
    assert "Choose a day between 2000 and 2199." in page.content.decode()
    assert not clinic.closures.exists()


def test_a_booked_slot_cannot_be_moved(admin_client, service):
    booking = book(service)
    page = admin_client.get(f"/admin/booking/slot/{booking.slot_id}/change/").content.decode()
    assert 'name="starts_at_0"' not in page  # shown, not editable
    assert 'name="capacity"' in page


def test_a_long_cancel_reason_still_refunds(manager, service, stripe_recorder, django_capture_on_commit_callbacks):
    booking = book(service)
    paid_online(booking, "pi_p")
    with django_capture_on_commit_callbacks(execute=True):
        act(manager, "cancel_bookings", [booking], apply="1", reason="x" * 200, refund="on")
    assert len(stripe_recorder.calls("POST", "/v1/refunds")) == 1
    assert len(booking.payments.get().refunds.get().reason) == 200
