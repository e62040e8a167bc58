"""Cancelling through the private link: asked first, the slot freed at once, the patient told, a card payment
refunded.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16.
A visit on PROMO_DAY (Wed April 8) at 10:00 AM may be changed online until Tue April 7, 10:00 AM.
"""

import pytest
from django.test import Client
from django.utils import timezone

from booking.links import Purpose, private_link
from booking.manage import CANCELLED_ONLINE, patient_cancel
from booking.models import Booking, Refund
from booking.rules import Patient
from booking.services import BookingError, booking_create
from booking.signals import capacity_freed
from booking.tests.manage_helpers import DANA_P, INTENT, REFUNDS, Kind, booked, fresh, kinds, paid_online, url
from booking.tests.pages import PROMO_DAY, code_typed, hrefs, says, slot_at
from notifications.models import Message
from notifications.transports import text_as_sent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "offer")]


def test_cancel_page_asks_first_and_says_nothing_is_charged(service):
    booking = booked(service)
    response = Client().get(url(booking, "cancel/"))

    says(response, "Cancel your visit?")
    says(response, "Nothing is charged for cancelling.")
    says(response, "Your discounted spot goes to the next person waiting for one.")
    assert fresh(booking).status == Booking.Status.CONFIRMED


def test_cancel_before_the_cutoff_frees_the_slot_at_once_and_tells_the_patient(service, settings):
    michael = Patient(name="Michael Green", email="michael@example.com", phone="+16195550123", sms_consent=True)
    booking = booked(service, patient=michael)
    freed = []
    capacity_freed.connect(lambda sender, booking, **kw: freed.append(booking.pk), weak=False, dispatch_uid="t")
    try:
        response = Client().post(url(booking, "cancel/"))
    finally:
        capacity_freed.disconnect(dispatch_uid="t")

    assert (response.status_code, response.url) == (302, url(booking))
    booking = fresh(booking)
    assert booking.status == Booking.Status.CANCELLED
    assert (booking.cancel_reason, booking.cancelled_at) == (CANCELLED_ONLINE, timezone.now())
    event_row = booking.events.last()
    assert (event_row.from_status, event_row.to_status, event_row.note, event_row.user) == (
        "confirmed",
        "cancelled",
        CANCELLED_ONLINE,
        None,
    )
    assert freed == [booking.pk]
    cancellations = Message.objects.filter(booking=booking, kind=Kind.CANCELLATION)
    assert sorted(cancellations.values_list("channel", flat=True)) == ["email", "sms"]
    assert cancellations.get(channel="email").subject == "Your visit on Wed Apr 8, 10:00 AM is cancelled"

    page_after = Client().get(url(booking))
    says(page_after, "This visit is cancelled")
    assert "/book/" in hrefs(page_after)
    assert url(booking, "cancel/") not in hrefs(page_after)

    # The time is free again at once: someone else books it.
    again = code_typed(booking_create(slot_id=booking.slot_id, patient=DANA_P, quoted_price_cents=99_00))
    assert again.status == Booking.Status.CONFIRMED
    assert again.promotion_id == booking.promotion_id  # the discounted spot too


def test_cancellation_messages_carry_the_private_link(service):
    michael = Patient(name="Michael Green", email="michael@example.com", phone="+16195550123", sms_consent=True)
    booking = booked(service, patient=michael)

    patient_cancel(booking=booking)

    sent = {message.channel: message for message in Message.objects.filter(booking=booking, kind=Kind.CANCELLATION)}
    assert set(sent) == {"email", "sms"}
    assert private_link(booking, Purpose.MANAGE) in text_as_sent(sent["sms"])
    assert private_link(booking, Purpose.MANAGE) in text_as_sent(sent["email"])


def test_cancelling_twice_is_harmless(service):
    booking = booked(service)
    first = Client().post(url(booking, "cancel/"))
    second = Client().post(url(booking, "cancel/"))

    assert first.status_code == second.status_code == 302
    assert fresh(booking).status == Booking.Status.CANCELLED
    assert booking.events.filter(to_status="cancelled").count() == 1
    assert Message.objects.filter(booking=booking, kind=Kind.CANCELLATION).count() == 1  # email only: no texts

    with pytest.raises(BookingError):
        patient_cancel(booking=fresh(booking))
    assert booking.events.filter(to_status="cancelled").count() == 1


def test_cancel_paid_online_refunds_everything_through_stripe(
    client, service, promotion, stripe_recorder, django_capture_on_commit_callbacks
):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA_P, 99_00)
    payment = booking.payments.get()
    says(Client().get(url(booking)), "until Tuesday, April 7 at 10:00 AM; a cancellation is refunded in full.")
    says(Client().get(url(booking, "cancel/")), "What you paid online ($99) is refunded in full to your card")

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(url(booking, "cancel/"))

    assert response.status_code == 302
    assert fresh(booking).status == Booking.Status.CANCELLED
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount_cents, refund.reason) == (payment.pk, 99_00, CANCELLED_ONLINE)
    assert refund.idempotency_key == f"cancel-{booking.reference}-{payment.pk}"
    [call] = stripe_recorder.calls(*REFUNDS)
    assert (call.params["payment_intent"], call.params["amount"]) == (INTENT, "9900")
    assert call.idempotency_key == refund.idempotency_key
    assert (refund.status, refund.stripe_refund_id) == ("pending", "re_test_0002")
    assert Kind.CANCELLATION in kinds(booking)
    assert Kind.REFUND in kinds(booking)
    says(Client().get(url(booking)), "What you paid online is refunded in full")

    # A second click sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(url(booking, "cancel/"))
    assert Refund.objects.count() == 1
    assert len(stripe_recorder.calls(*REFUNDS)) == 1
