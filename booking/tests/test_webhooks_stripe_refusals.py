"""Stripe confirms a booking only with the session the site made for it, paid in full, in the clinic's currency.

Any other money naming one of our bookings is refused: recorded, refunded in full (once), reported to the
clinic, and never confirms. Every event is signed with Stripe's real scheme and posted to the webhook; the
refund reaches the recorder through the real stripe library.
"""

import pytest
from django.core import mail
from django.test import Client

from assessments.models import Intake
from assessments.tests.helpers import SECRETS
from booking.links import Purpose, admin_link, private_link
from booking.manage import patient_reschedule
from booking.models import Booking, Payment, Refund
from booking.payments import checkout_hold, checkout_start, paid_online_cents, payment_summary
from booking.rules import Patient
from booking.services import booking_create, booking_hold
from booking.tests.factories import SlotFactory
from booking.tests.manage_helpers import DANA_P, INTENT, fresh, paid_online
from booking.tests.pages import PROMO_DAY, REGULAR_DAY, confirm_details, slot_at
from booking.tests.stripe_fakes import event, paid_checkout_session, post_events
from notifications.models import Message

pytestmark = pytest.mark.django_db

PATIENT = Patient(name="Michael Green", email="michael@example.com", phone="+16195550123", sms_consent=True)
OTHER = Patient(name="Dana Cruz", email="dana@example.com", phone="+18585550199")
REFUNDS = ("POST", "/v1/refunds")
REFUSED = Payment.Status.REFUSED


@pytest.fixture
def slot(promotion):
    return SlotFactory(service=promotion.service)


@pytest.fixture
def payment(stripe_recorder, slot) -> Payment:
    """A $99 booking held while its patient pays on the Checkout page the site made for it."""
    booking = booking_hold(slot_id=slot.pk, patient=PATIENT, quoted_price_cents=99_00, hold_for=checkout_hold())
    checkout_start(booking=booking)
    return Payment.objects.get(booking=booking)


@pytest.fixture
def intake(payment) -> Intake:
    """The patient has started the questionnaire: none of it may reach an email about money."""
    return Intake.objects.create(
        booking=payment.booking,
        pain_area_other="Left calf knot",
        pain_onset="Zebracrossing tumble on a hill repeat",
        medications="Quixotamol 20mg",
        previous_injuries="Torn meniscus in 2019",
    )


def deliver(client, capture, *events: dict) -> None:
    """Stripe's signed deliveries, with what they queue (the refund, the emails) run as each commits."""
    with capture(execute=True):
        post_events(client, *events)


def forged(kind: str, payment: Payment, other: Booking) -> dict:
    """A paid, signed session that names the booking but is not what the site asked for."""
    if kind == "wrong-amount":
        return paid_checkout_session(payment, amount_total=100)
    if kind == "wrong-currency":
        return paid_checkout_session(payment, currency="jpy", amount_total=100)
    if kind == "unknown-session":  # the attack seen: a session the site never made, for ¥100
        return paid_checkout_session(
            payment, id="cs_test_forged", currency="jpy", amount_total=100, payment_intent="pi_test_forged"
        )
    assert kind == "references-disagree"
    return paid_checkout_session(payment, metadata={"booking_reference": other.reference})


REASONS = {
    "wrong-amount": "Paid 1.00 USD; 99.00 USD was due",
    "wrong-currency": "Paid 100 JPY; 99.00 USD was due",
    "unknown-session": "Session not created by this site",
    "references-disagree": "References disagree",
}


@pytest.mark.parametrize("kind", list(REASONS))
def test_money_the_site_did_not_ask_for_confirms_nothing_is_refunded_once_and_reported(
    kind, client, payment, intake, stripe_recorder, django_capture_on_commit_callbacks
):
    booking, clinic = payment.booking, payment.booking.slot.service.clinic
    other = booking_create(  # booked by phone
        slot_id=SlotFactory(service=booking.slot.service).pk, patient=OTHER, quoted_price_cents=99_00, online=False
    )
    mail.outbox.clear()  # the other booking's confirmation
    session = forged(kind, payment, other)
    completed = event("checkout.session.completed", session)

    deliver(client, django_capture_on_commit_callbacks, completed)

    # Never confirmed, nothing paid.
    assert fresh(booking).status == Booking.Status.HELD
    assert fresh(other).status == Booking.Status.CONFIRMED  # named, and left alone
    assert paid_online_cents(booking) == 0
    assert payment_summary(booking)["paid"] == ""
    assert not Payment.objects.filter(booking=booking, status=Payment.Status.PAID).exists()
    # Recorded, with what was really paid and why it was refused.
    refused = Payment.objects.get(checkout_session_id=session["id"])
    assert (refused.booking, refused.status, refused.refusal_reason) == (booking, REFUSED, REASONS[kind])
    assert (refused.amount_cents, refused.currency) == (session["amount_total"], session["currency"])
    assert refused.payment_intent_id == session["payment_intent"]
    # Refunded in full, as Stripe counts that currency.
    [refund] = Refund.objects.all()
    assert (refund.payment, refund.amount_cents, refund.status) == (refused, session["amount_total"], "pending")
    assert refund.idempotency_key == f"refused-payment-{session['id']}"
    [call] = stripe_recorder.calls(*REFUNDS)
    assert call.params["payment_intent"] == session["payment_intent"]
    assert call.params["amount"] == str(session["amount_total"])
    assert call.idempotency_key == refund.idempotency_key
    # The clinic is told, and only the clinic: the booking, why, and where to look; nothing of the patient's.
    [email] = mail.outbox
    assert email.to == [clinic.email]
    assert email.subject.startswith("A payment was refused: visit ")
    assert booking.reference in email.body
    assert f"Why: {REASONS[kind]}." in email.body
    assert f"A full refund of {refused.amount} was asked of Stripe automatically." in email.body
    assert admin_link(booking) in email.body
    for secret in SECRETS:
        assert secret.lower() not in email.body.lower()
    for purpose in Purpose:
        assert private_link(booking, purpose) not in email.body
    assert "/manage/" not in email.body and "/intake/" not in email.body
    [message] = Message.objects.filter(kind=Message.Kind.CLINIC_PAYMENT_REFUSED)
    assert "[[link:" not in message.body

    # Stripe sends the event again, and the same session in its other event: nothing more happens.
    again = event("checkout.session.async_payment_succeeded", session)
    deliver(client, django_capture_on_commit_callbacks, completed, again)
    assert Refund.objects.count() == 1
    assert len(stripe_recorder.calls(*REFUNDS)) == 1
    assert len(mail.outbox) == 1
    assert fresh(booking).status == Booking.Status.HELD
    assert Payment.objects.get(checkout_session_id=session["id"]).status == REFUSED


def test_the_session_the_site_made_paid_in_full_confirms_and_refunds_nothing(
    client, payment, stripe_recorder, django_capture_on_commit_callbacks
):
    deliver(
        client, django_capture_on_commit_callbacks, event("checkout.session.completed", paid_checkout_session(payment))
    )

    payment.refresh_from_db()
    assert (fresh(payment.booking).status, payment.status, payment.refusal_reason) == ("confirmed", "paid", "")
    assert paid_online_cents(payment.booking) == 99_00
    assert not Refund.objects.exists()
    assert stripe_recorder.calls(*REFUNDS) == []
    assert not Message.objects.filter(kind=Message.Kind.CLINIC_PAYMENT_REFUSED).exists()


def test_after_a_refused_session_the_patients_own_still_confirms_and_is_no_duplicate(
    client, payment, stripe_recorder, django_capture_on_commit_callbacks
):
    forged_session = paid_checkout_session(payment, id="cs_test_forged", payment_intent="pi_test_forged")
    deliver(client, django_capture_on_commit_callbacks, event("checkout.session.completed", forged_session))
    assert fresh(payment.booking).status == Booking.Status.HELD

    genuine = paid_checkout_session(payment, payment_intent="pi_test_genuine")
    deliver(client, django_capture_on_commit_callbacks, event("checkout.session.completed", genuine))

    payment.refresh_from_db()
    assert (fresh(payment.booking).status, payment.status) == ("confirmed", "paid")
    assert paid_online_cents(payment.booking) == 99_00
    # Only the refused money went back: the refused payment never made the genuine one look like a second.
    assert [call.params["payment_intent"] for call in stripe_recorder.calls(*REFUNDS)] == ["pi_test_forged"]


def test_a_refused_session_leaves_the_patient_their_own_checkout_page(
    client, promotion, stripe_recorder, django_capture_on_commit_callbacks
):
    slot = SlotFactory(service=promotion.service)
    details = {"name": "Michael Green", "email": "michael@example.com", "phone": "(619) 555-0123"}
    assert confirm_details(client, slot, details).status_code == 303
    payment = Payment.objects.get()
    forged_session = paid_checkout_session(payment, id="cs_test_forged", payment_intent="pi_test_forged")

    deliver(Client(), django_capture_on_commit_callbacks, event("checkout.session.completed", forged_session))

    assert Payment.objects.get(checkout_session_id="cs_test_forged").status == REFUSED
    page = client.get(f"/booking/{payment.booking.reference}/").content.decode()
    assert "Continue to payment" in page
    assert f'href="{payment.checkout_url}"' in page


def test_a_forged_session_carrying_a_kept_payment_never_refunds_that_payment(
    client, payment, stripe_recorder, django_capture_on_commit_callbacks
):
    genuine = paid_checkout_session(payment, payment_intent="pi_test_genuine")
    deliver(client, django_capture_on_commit_callbacks, event("checkout.session.completed", genuine))
    mail.outbox.clear()
    copied = paid_checkout_session(payment, id="cs_test_forged", payment_intent="pi_test_genuine")

    deliver(client, django_capture_on_commit_callbacks, event("checkout.session.completed", copied))

    refused = Payment.objects.get(checkout_session_id="cs_test_forged")
    assert (refused.status, refused.payment_intent_id) == (REFUSED, None)
    assert stripe_recorder.calls(*REFUNDS) == []
    assert not Refund.objects.exists()
    assert paid_online_cents(payment.booking) == 99_00
    [email] = mail.outbox
    assert "It could not be refunded automatically: please refund $99 from Stripe's dashboard." in email.body


def test_a_session_the_site_made_that_stripe_says_is_paid_short_in_a_second_event_stays_paid(
    client, payment, stripe_recorder, django_capture_on_commit_callbacks
):
    deliver(
        client, django_capture_on_commit_callbacks, event("checkout.session.completed", paid_checkout_session(payment))
    )
    odd = event("checkout.session.async_payment_succeeded", paid_checkout_session(payment, amount_total=100))

    deliver(client, django_capture_on_commit_callbacks, odd)

    payment.refresh_from_db()
    assert (fresh(payment.booking).status, payment.status, payment.amount_cents) == ("confirmed", "paid", 99_00)
    assert stripe_recorder.calls(*REFUNDS) == []


def test_the_admin_shows_a_refused_payment_and_why_in_words(
    client, payment, superuser, stripe_recorder, django_capture_on_commit_callbacks
):
    session = paid_checkout_session(payment, currency="jpy", amount_total=100)
    deliver(client, django_capture_on_commit_callbacks, event("checkout.session.completed", session))
    client.force_login(superuser)

    booking_page = client.get(f"/admin/booking/booking/{payment.booking_id}/change/").content.decode()
    payment_page = client.get(f"/admin/booking/payment/{payment.pk}/change/").content.decode()

    for page in (booking_page, payment_page):
        assert "Refused and refunded" in page
        assert "Paid 100 JPY; 99.00 USD was due" in page
    assert "Refused: Paid 100 JPY; 99.00 USD was due" in payment_page  # the refund's reason


# Balances after a move to a dearer time ----------------------------------------------------------------


@pytest.fixture
def moved(clock, client, service, promotion, stripe_recorder) -> tuple[Booking, Payment]:
    """Paid $99 online, then moved outside the offer's week: $76 more is asked for on a balance session."""
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA_P, 99_00)
    patient_reschedule(booking=booking, slot_id=slot_at(service, REGULAR_DAY, 9).pk, quoted_price_cents=175_00)
    return fresh(booking), booking.payments.exclude(payment_intent_id=INTENT).get()


def test_a_balance_session_paid_in_full_counts(client, moved, stripe_recorder, django_capture_on_commit_callbacks):
    booking, balance = moved
    paid = paid_checkout_session(balance, payment_intent="pi_test_balance")
    assert paid["amount_total"] == 76_00

    deliver(client, django_capture_on_commit_callbacks, event("checkout.session.completed", paid))

    balance.refresh_from_db()
    assert balance.status == Payment.Status.PAID
    assert paid_online_cents(booking) == 175_00
    assert stripe_recorder.calls(*REFUNDS) == []


def test_a_balance_session_paid_short_is_refused_and_the_visit_stays_booked(
    client, moved, stripe_recorder, django_capture_on_commit_callbacks
):
    booking, balance = moved
    short = paid_checkout_session(balance, amount_total=10_00, payment_intent="pi_test_balance")

    deliver(client, django_capture_on_commit_callbacks, event("checkout.session.completed", short))

    balance.refresh_from_db()
    assert (balance.status, balance.refusal_reason) == (REFUSED, "Paid 10.00 USD; 76.00 USD was due")
    assert fresh(booking).status == Booking.Status.CONFIRMED
    assert paid_online_cents(booking) == 99_00
    [call] = stripe_recorder.calls(*REFUNDS)
    assert (call.params["payment_intent"], call.params["amount"]) == ("pi_test_balance", "1000")
