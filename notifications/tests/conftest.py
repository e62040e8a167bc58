from contextlib import contextmanager
from datetime import timedelta
from functools import partial

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from booking.models import Payment, Refund
from booking.rules import Patient
from booking.services import (
    booking_cancel,
    booking_change_contact,
    booking_create,
    booking_hold,
    booking_links_replace,
    booking_reschedule,
)
from booking.tests.factories import PromotionFactory, ServiceFactory, SlotFactory, local
from booking.tests.pages import REGULAR_DAY
from notifications.models import Message
from notifications.notices import (
    notify_access_code,
    notify_late_payment_refunded,
    notify_link_resent,
    notify_refund,
    notify_waitlist_offer,
)
from notifications.outbox import booking_context, message_queue
from notifications.reminders import reminders_queue
from notifications.tests.texting import text_in
from waitlist.services import waitlist_join

Kind, Channel = Message.Kind, Message.Channel

# Words about why a runner comes: the service's own description has them, and no email may.
HEALTH_WORDS = ("pain", "sciatica", "low-back", "hurt", "injur")
DANA = Patient(name="D'Andre Cruz", email="dandre@example.com", phone="+18585550199", sms_consent=False)


@pytest.fixture
def health_worded_service(clinic):
    """The service as the clinic describes it, in words about pain that must stay out of every email."""
    service = ServiceFactory(
        clinic=clinic,
        summary="For runners whose low-back or hip pain keeps coming back.",
        includes="We look at your sciatica history\nWe film your stride",
    )
    PromotionFactory(service=service, headline="Launch week for runners with low-back or hip pain")
    return service


@pytest.fixture
def patient_emails(clock, health_worded_service, django_capture_on_commit_callbacks) -> dict[str, EmailMessage]:
    """Every email a patient can get, by kind, as sent: queued by the notices as the services call them (or as
    the reminder scan does), and sent through the outbox on commit. The visit is at the regular price, moved
    once, given a new link, and at last cancelled."""
    service, emails = health_worded_service, {}

    @contextmanager
    def kept():
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            yield
        for email in mail.outbox[before:]:
            message = Message.objects.get(provider_id=email.extra_headers["Message-ID"])
            if message.kind not in emails and not message.kind.startswith("clinic_"):
                emails[message.kind] = email

    first = SlotFactory(service=service, starts_at=local(REGULAR_DAY, 10))
    later = SlotFactory(service=service, starts_at=local(REGULAR_DAY + timedelta(days=1), 11))
    price = service.regular_price_cents
    with kept():
        booking = booking_create(slot_id=first.pk, patient=DANA, quoted_price_cents=price)
    with kept():
        booking = booking_reschedule(booking=booking, slot_id=later.pk, quoted_price_cents=price)
    with kept():
        booking = booking_links_replace(booking=booking)
    with kept():
        notify_link_resent(booking, channel=Channel.EMAIL)
    with kept():
        notify_access_code(booking, channel=Channel.EMAIL, code="482913", key="test")
    paid = Payment.objects.create(
        booking=booking, checkout_session_id="cs_test_emails", amount_cents=price, status=Payment.Status.PAID
    )
    refund = Refund.objects.create(payment=paid, amount_cents=40_00, reason="Goodwill", idempotency_key="emails")
    with kept():
        notify_refund(refund)
    with kept():
        notify_late_payment_refunded(booking)
    clock.move_to(later.starts_at - timedelta(hours=24))
    with kept():
        reminders_queue()
    with kept():  # the reminder scan sends this one by text only: this is how it looks as an email
        message_queue(
            kind=Kind.REMINDER_2H,
            channel=Channel.EMAIL,
            recipient=booking.email,
            dedupe_key=f"booking:{booking.pk}:reminder_2h:{booking.slot.starts_at:%Y%m%dT%H%MZ}:email",
            context=booking_context(booking),
            booking=booking,
        )
    place = SlotFactory(service=service, starts_at=later.starts_at + timedelta(hours=2))
    held = booking_hold(slot_id=place.pk, patient=DANA, quoted_price_cents=price, hold_for=timedelta(minutes=30))
    with kept():
        notify_waitlist_offer(held, expires_at=held.hold_expires_at)
    with kept():
        waitlist_join(service=service, patient=DANA, day=REGULAR_DAY + timedelta(days=2))
    with kept():
        booking = booking_change_contact(booking=booking, name=DANA.name, email="dandre@example.org", phone=DANA.phone)
    with kept():
        booking_cancel(booking=booking, reason="Cancelled by the front desk")
    return emails


@pytest.fixture
def texting(client, django_capture_on_commit_callbacks, twilio_recorder):
    """Text the clinic's number as Twilio does: `texting("WAIT", sender=...)` is the Answer the sender gets."""
    return partial(text_in, client, django_capture_on_commit_callbacks, twilio_recorder)
