"""Private links kept out of logs and staff screens, old links after a move, and the money around moves and cancels.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16; the regular price is $175.
"""

import io
import logging
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from booking.links import Purpose, manage_path, private_token
from booking.manage import patient_reschedule
from booking.models import Booking, Payment, Refund
from booking.payments import refund_request
from booking.rules import Patient
from booking.services import BookingError, booking_cancel, booking_reschedule
from booking.tests.factories import BookingFactory, ServiceFactory, local
from booking.tests.manage_helpers import (
    DANA_P,
    INTENT,
    booked,
    fresh,
    manage_token,
    paid_online,
    session_completed,
    url,
)
from booking.tests.pages import PROMO_DAY, REGULAR_DAY, does_not_say, hidden_fields, says, slot_at
from clinic.privacy import MaskPrivateLinks
from notifications.models import Message
from notifications.transports import text_as_sent
from waitlist.models import WaitlistEntry
from waitlist.services import offers_make, waitlist_join

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "offer")]

Kind = Message.Kind
WaitStatus = WaitlistEntry.Status
SESSIONS = ("POST", "/v1/checkout/sessions")
REFUNDS = ("POST", "/v1/refunds")
BALANCE_INTENT = "pi_test_balance"
OTHER_DAY = date(2026, 4, 9)  # Thursday, inside the promotion's visit window
LAST_PROMO_DAY = date(2026, 4, 16)  # Thursday, the visit window's last day
DANA = DANA_P
ANN = Patient(name="Ann Lee", email="ann@example.com", phone="+16195550101", sms_consent=True)
REFUNDED_IN_FULL = "What you paid online is refunded in full"


# Helpers ---------------------------------------------------------------------------------------------


def open_payments(booking: Booking) -> list[Payment]:
    return list(booking.payments.filter(status=Payment.Status.OPEN))


def expired_sessions(recorder) -> list[str]:
    return [r.path.split("/")[4] for r in recorder.requests if r.method == "POST" and r.path.endswith("/expire")]


def reschedule_email(booking: Booking) -> Message:
    return Message.objects.filter(booking=booking, kind=Kind.RESCHEDULE, channel="email").latest("pk")


# 1. Private links are masked in the console log ------------------------------------------------------


def console_handler() -> logging.Handler:
    """The handler settings.LOGGING puts on the root logger, with the private-link filter on it."""
    [handler] = [h for h in logging.getLogger().handlers if any(isinstance(f, MaskPrivateLinks) for f in h.filters)]
    return handler


@contextmanager
def console_output():
    """What the console handler writes, while the block runs."""
    handler, stream = console_handler(), io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.mark.parametrize(
    "before, token, after",
    [
        ("/manage/", "B7K2QX9M.1vXyZ:Abc-dEf_123", "/move/"),
        ("/manage/", "B7K2QX9M.1vXyZ:Abc-dEf_123", "/"),
        ("/intake/", "Kx3.9Zq:sig_Nat-ure", "/"),
        ("/waitlist/claim/", "q1W2e3R4t5Y6u7I8o9P0aS:sIgNaTuRe-_x", "/"),
    ],
)
def test_the_console_handler_masks_private_links_in_request_logs(before, token, after):
    handler = console_handler()
    assert isinstance(handler, logging.StreamHandler)
    record = logging.getLogger("django.request").makeRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (f"{before}{token}{after}",), None
    )

    assert handler.filter(record)

    assert record.getMessage() == f"Not Found: {before}[private link]{after}"
    assert token not in handler.format(record)


def test_the_console_handler_writes_the_masked_message():
    with console_output() as written:
        logging.getLogger("django.request").warning("Not Found: %s", "/waitlist/claim/key123:signature456/")

    assert "Not Found: /waitlist/claim/[private link]/" in written.getvalue()
    assert "key123" not in written.getvalue()
    assert "signature456" not in written.getvalue()


def _not_found(service, booking):
    return url(booking, "move/2026-02-30/"), 404


def _conflict(service, booking):
    taken = slot_at(service, OTHER_DAY, 11)
    BookingFactory(slot=taken)
    return url(booking, f"move/time/{taken.pk}/"), 409


@pytest.mark.parametrize("make", [_not_found, _conflict], ids=["404", "409"])
def test_a_failing_request_to_a_private_link_logs_no_token(service, make):
    booking = booked(service)
    token = manage_token(booking)
    path, status = make(service, booking)

    with console_output() as written:
        response = Client().get(path)

    assert response.status_code == status
    log = written.getvalue()
    assert "/manage/[private link]/" in log  # the failure was logged ...
    assert token not in log  # ... without the link
    assert token.split(":")[1] not in log
    assert booking.reference not in log


# 2. The outbox admin masks waiting-list claim links --------------------------------------------------


def test_outbox_admin_masks_the_waitlist_claim_link(admin_client, service, promotion):
    discounted = [BookingFactory(slot=slot_at(service, PROMO_DAY, 9 + n), promotion=promotion) for n in range(8)]
    entry = waitlist_join(service=service, patient=ANN, promotion=promotion)
    booking_cancel(booking=discounted[0], reason="Patient called")
    assert offers_make() == 1

    entry.refresh_from_db()
    token = private_token(entry.booking, Purpose.CLAIM)
    offers = Message.objects.filter(kind=Kind.WAITLIST_OFFER)
    assert sorted(offers.values_list("channel", flat=True)) == ["email", "sms"]
    for message in offers:
        assert f"/waitlist/claim/{token}/" in text_as_sent(message)  # a working link is sent
        assert "/waitlist/claim/" not in message.body  # and the outbox keeps none

        response = admin_client.get(f"/admin/notifications/message/{message.pk}/change/")

        assert response.status_code == 200
        content = response.content.decode()
        assert "[private link: claim]" in content
        assert token not in content
        assert token.split(":")[1] not in content  # not even the signature


# 3. A link sent before the visit moved later --------------------------------------------------------


def test_an_old_link_works_while_the_moved_visit_keeps_it_alive_then_expires(service, clock):
    booking = booked(service)  # Wed April 8, 10:00 to 11:00 AM: its link expires Wed April 15, 11:00 AM
    old_token = manage_token(booking)
    later = slot_at(service, LAST_PROMO_DAY, 10)  # Thu April 16, 10:00 to 11:00 AM: links work until April 23
    patient_reschedule(booking=booking, slot_id=later.pk, quoted_price_cents=99_00)

    clock.move_to(local(date(2026, 4, 15), 11))  # a week after the visit it was sent for ...
    response = Client().get(url(old_token))
    says(response, "Thursday, April 16, 2026 at 10:00 AM")  # ... but the visit it opens is later
    does_not_say(response, "This link no longer works")

    clock.move_to(local(date(2026, 4, 23), 11) - timedelta(seconds=1))
    assert Client().get(url(old_token)).status_code == 200

    clock.move_to(local(date(2026, 4, 23), 11))
    expired = Client().get(url(old_token))
    says(expired, "This link no longer works", status=410)
    does_not_say(expired, booking.reference)
    assert Client().get(url(old_token, "calendar.ics")).status_code == 410


# 4. Balances on Stripe: closed when superseded or cancelled ------------------------------------------


def test_a_balance_checkout_is_expired_when_the_visit_is_cancelled(client, service, promotion, stripe_recorder):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA, 99_00)
    target = slot_at(service, REGULAR_DAY, 9)

    moved = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "17500"})

    [balance] = open_payments(booking)
    assert (moved.status_code, moved.url) == (303, balance.checkout_url)
    assert balance.amount_cents == 76_00
    assert expired_sessions(stripe_recorder) == []

    cancelled = Client().post(url(fresh(booking), "cancel/"))

    assert cancelled.status_code == 302
    assert fresh(booking).status == Booking.Status.CANCELLED
    assert expired_sessions(stripe_recorder) == [balance.checkout_session_id]
    balance.refresh_from_db()
    assert balance.status == Payment.Status.EXPIRED
    first = booking.payments.get(payment_intent_id=INTENT)
    assert first.status == Payment.Status.PAID  # the paid one is refunded, not expired
    assert Refund.objects.get().amount_cents == 99_00


def test_back_from_the_balance_checkout_the_booking_counts_what_was_paid_while_the_balance_is_open(
    client, service, promotion, stripe_recorder
):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA, 99_00)
    target = slot_at(service, REGULAR_DAY, 9)
    mover = Client()
    mover.post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "17500"})
    assert len(open_payments(booking)) == 1  # the balance's checkout, newer than the paid one

    # Stripe sends the browser that moved the visit back to the reference page: it goes on to the booking.
    back = mover.get(f"/booking/{booking.reference}/", follow=True)
    says(back, "$175, $99 paid online; $76 due at the visit")
    does_not_say(back, "not paid")

    # Anyone else with the reference sees how it stands, and nothing more.
    stranger = Client().get(f"/booking/{booking.reference}/")
    says(stranger, "This booking is confirmed.")
    does_not_say(stranger, "$99")
    does_not_say(stranger, "Dana")


def test_moving_again_expires_the_first_balance_before_asking_for_a_new_one(
    client, service, promotion, stripe_recorder
):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA, 99_00)
    first_target, second_target = slot_at(service, REGULAR_DAY, 9), slot_at(service, REGULAR_DAY, 11)
    Client().post(url(booking, f"move/time/{first_target.pk}/"), {"quoted_price_cents": "17500"})
    [first_balance] = open_payments(booking)
    first_call = stripe_recorder.calls(*SESSIONS)[-1]

    response = Client().post(url(fresh(booking), f"move/time/{second_target.pk}/"), {"quoted_price_cents": "17500"})

    assert fresh(booking).slot == second_target
    [second_balance] = open_payments(booking)
    assert (response.status_code, response.url) == (303, second_balance.checkout_url)
    assert second_balance.checkout_session_id != first_balance.checkout_session_id
    assert second_balance.amount_cents == 76_00
    first_balance.refresh_from_db()
    assert first_balance.status == Payment.Status.EXPIRED
    # Stripe was asked to close the first session before the second was made, under a new key.
    expire_path = f"/v1/checkout/sessions/{first_balance.checkout_session_id}/expire"
    paths = [(r.method, r.path) for r in stripe_recorder.requests]
    assert paths.index(("POST", expire_path)) < len(paths) - 1
    second_call = stripe_recorder.requests[-1]
    assert (second_call.method, second_call.path) == SESSIONS
    assert second_call.params["line_items[0][price_data][unit_amount]"] == "7600"
    assert second_call.idempotency_key != first_call.idempotency_key


# 5. What the reschedule email says about the money ---------------------------------------------------


def test_the_reschedule_email_says_what_is_still_due_and_then_that_it_is_paid(
    client, service, promotion, stripe_recorder
):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA, 99_00)
    first_target, second_target = slot_at(service, REGULAR_DAY, 9), slot_at(service, REGULAR_DAY, 11)

    Client().post(url(booking, f"move/time/{first_target.pk}/"), {"quoted_price_cents": "17500"})

    body = reschedule_email(booking).body
    assert "Price: $175, $76 of it due at the visit (the rest paid online)" in body
    assert "Price: $175, paid online" not in body

    # The balance is paid; the next move's notice says the visit is paid for.
    [balance] = open_payments(booking)
    session_completed(client, balance, BALANCE_INTENT)
    Client().post(url(fresh(booking), f"move/time/{second_target.pk}/"), {"quoted_price_cents": "17500"})

    body = reschedule_email(booking).body
    assert "Price: $175, paid online" in body
    assert "due at the visit" not in body


# 6. The cancelled page promises a refund only when there is one --------------------------------------


def test_a_cancelled_pay_at_visit_booking_has_nothing_to_pay_and_no_refund(service):
    booking = booked(service)

    assert Client().post(url(booking, "cancel/")).status_code == 302

    response = Client().get(url(booking))
    says(response, "This visit is cancelled")
    says(response, "$99 (discounted), nothing to pay")
    does_not_say(response, "refunded")


def test_a_cancelled_paid_booking_promises_the_refund_only_while_it_is_live(
    client, service, promotion, stripe_recorder, django_capture_on_commit_callbacks
):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA, 99_00)
    stripe_recorder.fail_next(400, "invalid_request_error", "This charge cannot be refunded.")

    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(url(booking, "cancel/")).status_code == 302

    refund = Refund.objects.get()
    assert refund.status == Refund.Status.FAILED  # Stripe refused it: nothing is on its way back
    response = Client().get(url(booking))
    says(response, "This visit is cancelled")
    does_not_say(response, REFUNDED_IN_FULL)
    does_not_say(response, "refunded in full")

    # The front desk refunds it again, and this time Stripe accepts.
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(payment=refund.payment, reason="Front desk: refund again", notify=False)

    assert Refund.objects.filter(status=Refund.Status.PENDING).count() == 1
    response = Client().get(url(booking))
    says(response, REFUNDED_IN_FULL)


# 7. A second click on "Move my visit" ---------------------------------------------------------------


def test_a_second_click_on_move_goes_to_the_bookings_page_and_moves_nothing(service):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    browser = Client()
    form = hidden_fields(browser.get(url(booking, f"move/time/{target.pk}/")))

    first = browser.post(url(booking, f"move/time/{target.pk}/"), form)
    second = browser.post(url(booking, f"move/time/{target.pk}/"), form)  # the same page, the same token

    moved = fresh(booking)
    assert (first.status_code, first.url) == (302, manage_path(moved))
    assert (second.status_code, second.url) == (302, manage_path(moved))
    assert moved.slot == target
    assert moved.events.filter(note__startswith="Moved").count() == 1
    assert Message.objects.filter(booking=booking, kind=Kind.RESCHEDULE).count() == 1


def test_a_second_click_after_a_balance_move_asks_for_no_second_checkout(client, service, promotion, stripe_recorder):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA, 99_00)
    target = slot_at(service, REGULAR_DAY, 9)

    first = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "17500"})
    second = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "17500"})

    assert first.status_code == 303
    assert (second.status_code, second.url) == (302, manage_path(fresh(booking)))
    assert len(stripe_recorder.calls(*SESSIONS)) == 2  # the first payment, and one balance
    assert len(open_payments(booking)) == 1
    assert expired_sessions(stripe_recorder) == []


# 8. One open waiting-list offer per person, across lists -------------------------------------------


@pytest.mark.parametrize(
    "on_the_day_list",
    [
        ANN,
        Patient(name="Ann Lee", email="annie.lee@example.com", phone=ANN.phone),
        Patient(name="Ann Lee", email="ANN@Example.com", phone="+16195550999"),
    ],
    ids=["same-details", "same-phone", "same-email-other-case"],
)
def test_one_person_on_two_lists_holds_one_offer_at_a_time(service, promotion, clock, on_the_day_list):
    discounted = [BookingFactory(slot=slot_at(service, PROMO_DAY, 9 + n), promotion=promotion) for n in range(8)]
    full_day = [BookingFactory(slot=slot_at(service, REGULAR_DAY, hour)) for hour in (9, 10)]
    on_offer = waitlist_join(service=service, patient=ANN, promotion=promotion)
    on_day = waitlist_join(service=service, patient=on_the_day_list, day=REGULAR_DAY)
    booking_cancel(booking=discounted[0], reason="Patient called")  # a discounted spot is free ...
    booking_cancel(booking=full_day[0], reason="Patient called")  # ... and a time on the full day

    assert offers_make() == 1

    entries = [on_offer, on_day]
    for entry in entries:
        entry.refresh_from_db()
    [offered] = [e for e in entries if e.status == WaitStatus.OFFERED]
    [waiting] = [e for e in entries if e.status == WaitStatus.WAITING]
    assert Booking.objects.filter(status=Booking.Status.HELD).count() == 1
    assert offered.booking.status == Booking.Status.HELD

    clock.shift(timedelta(minutes=31))  # the offer lapses
    assert offers_make() == 1

    offered.refresh_from_db()
    waiting.refresh_from_db()
    assert (offered.status, waiting.status) == (WaitStatus.LAPSED, WaitStatus.OFFERED)
    assert waiting.booking.status == Booking.Status.HELD
    expected_slot = discounted[0].slot if waiting.promotion_id else full_day[0].slot
    assert waiting.booking.slot == expected_slot
    assert Booking.objects.filter(status=Booking.Status.HELD).count() == 1


# 9. A refund that cannot be made when the patient cancels -------------------------------------------


def test_a_front_desk_cancellation_also_expires_an_unpaid_balance(client, service, promotion, stripe_recorder):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA, 99_00)
    Client().post(url(booking, f"move/time/{slot_at(service, REGULAR_DAY, 9).pk}/"), {"quoted_price_cents": "17500"})
    [balance] = open_payments(booking)
    staff = Client()
    staff.force_login(User.objects.create_superuser("boss", "boss@example.com", "a-long-test-password"))

    staff.post(
        "/admin/booking/booking/",
        {
            "action": "cancel_bookings",
            "_selected_action": [booking.pk],
            "apply": "1",
            "reason": "Called",
            "refund": "on",
        },
    )

    assert fresh(booking).status == Booking.Status.CANCELLED
    assert expired_sessions(stripe_recorder) == [balance.checkout_session_id]
    balance.refresh_from_db()
    assert balance.status == Payment.Status.EXPIRED


def test_the_service_refuses_a_move_to_another_services_time(service):
    booking = booked(service)
    other = slot_at(ServiceFactory(clinic=service.clinic, name="Gait clinic"), REGULAR_DAY, 9)

    with pytest.raises(BookingError):
        booking_reschedule(booking=booking, slot_id=other.pk, quoted_price_cents=175_00)
    assert fresh(booking).slot_id == booking.slot_id
