"""Helpers for the private-link tests: bookings made as patients make them, links, Stripe paying for them, and
what a change leaves behind."""

from datetime import date
from urllib.parse import quote

from django.utils import timezone

from booking.links import Purpose, private_token
from booking.models import Booking, Payment
from booking.payments import checkout_hold, checkout_start, paid_online_cents
from booking.rules import Patient, quote_slot
from booking.services import booking_create, booking_hold
from booking.tests.pages import PROMO_DAY, code_typed, slot_at
from booking.tests.stripe_fakes import event, paid_checkout_session, post_events
from notifications.models import Message

INTENT = "pi_test_first"
DANA_P = Patient(name="Dana Cruz", email="dana@example.com", phone="+18585550199")

REFUNDS = ("POST", "/v1/refunds")
PHONE = "(619) 268-1397"  # the clinic's, as patients see it
OTHER_DAY = date(2026, 4, 9)  # Thursday, inside the promotion's visit window
# The private link's pages that change the visit.
CHANGE_PAGES = [
    ("cancel/", "get"),
    ("cancel/", "post"),
    ("move/", "get"),
    (f"move/{OTHER_DAY}/", "get"),
    ("move/time/{slot}/", "get"),
    ("move/time/{slot}/", "post"),
]
Kind = Message.Kind


def kinds(booking: Booking) -> list[str]:
    return sorted(Message.objects.filter(booking=booking).values_list("kind", flat=True))


def moved_events(booking: Booking) -> list[str]:
    return list(booking.events.filter(note__startswith="Moved").values_list("note", flat=True))


def unchanged(booking: Booking, before: Booking) -> None:
    """Nothing about the booking changed: same slot, price, discount and status; no new event or message."""
    now = fresh(booking)
    assert (now.slot_id, now.price_cents, now.promotion_id, now.status) == (
        before.slot_id,
        before.price_cents,
        before.promotion_id,
        before.status,
    )
    assert moved_events(booking) == []
    assert not Message.objects.filter(booking=booking, kind__in=[Kind.RESCHEDULE, Kind.CANCELLATION]).exists()


def booked(service, day=PROMO_DAY, hour=10, patient: Patient = DANA_P, **slot_fields) -> Booking:
    """A pay-at-visit booking made through the booking service at the price it was offered (and, for a
    discounted spot, the code texted to the mobile typed)."""
    slot = slot_at(service, day, hour, **slot_fields)
    price = quote_slot(slot=slot, now=timezone.now(), patient=patient).price_cents
    return code_typed(booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=price))


def manage_token(booking: Booking) -> str:
    return private_token(booking, Purpose.MANAGE)


def url(booking_or_token, rest: str = "") -> str:
    token = booking_or_token if isinstance(booking_or_token, str) else manage_token(booking_or_token)
    return f"/manage/{quote(token, safe=':')}/{rest}"


def fresh(booking: Booking) -> Booking:
    return Booking.objects.select_related("slot", "promotion").get(pk=booking.pk)


def session_completed(client, payment: Payment, intent: str) -> None:
    """Stripe's signed checkout.session.completed for our session: paid by card."""
    post_events(client, event("checkout.session.completed", paid_checkout_session(payment, payment_intent=intent)))


def paid_online(client, slot, patient: Patient, price_cents: int) -> Booking:
    """Booked and paid by Stripe Checkout (stripe_recorder on), confirmed by Stripe's webhook."""
    booking = booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=price_cents, hold_for=checkout_hold())
    checkout_start(booking=booking)
    session_completed(client, Payment.objects.get(booking=booking), INTENT)
    booking = fresh(booking)
    assert booking.status == Booking.Status.CONFIRMED
    assert paid_online_cents(booking) == price_cents
    return booking
