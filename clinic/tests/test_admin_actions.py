"""Admin actions are gated by permissions: each declares the ones it needs, and each role holds only its own."""

import pytest
from django.contrib import admin
from django.contrib import messages as django_messages
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.test import RequestFactory

from booking.models import Payment, Refund
from booking.tests.factories import BookingFactory, SlotFactory
from clinic.tests.staff import staff_user
from notifications.models import Message

pytestmark = pytest.mark.django_db

PAYMENTS = "/admin/booking/payment/"
OUTBOX = "/admin/notifications/message/"


@pytest.fixture
def payment(service) -> Payment:
    """A visit paid online, in full."""
    booking = BookingFactory(slot=SlotFactory(service=service))
    return Payment.objects.create(
        booking=booking,
        checkout_session_id="cs_pi_paid",
        payment_intent_id="pi_paid",
        amount_cents=booking.price_cents,
        status=Payment.Status.PAID,
    )


def action_choices(response) -> set[str]:
    assert response.status_code == 200
    form = response.context["action_form"]
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def act(client, url, action, rows):
    return client.post(url, {"action": action, "_selected_action": [row.pk for row in rows]}, follow=True)


def notices(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in get_messages(response.wsgi_request)]


def perms(group: str) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=group).permissions.all()}


def message(booking, kind, n=1) -> Message:
    return Message.objects.create(
        booking=booking,
        kind=kind,
        channel=Message.Channel.EMAIL,
        recipient=booking.email,
        subject="About your visit",
        body="See you soon.",
        dedupe_key=f"test:{kind}:{n}",
        status=Message.Status.SENT,
    )


# Every action declares its permissions --------------------------------------------------------------------


def test_every_admin_action_declares_the_permissions_it_needs(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    checked, undeclared = set(), []

    for app in admin.site.get_app_list(request):
        for entry in app["models"]:
            model_admin = admin.site.get_model_admin(entry["model"])
            for name, (func, _, _) in model_admin.get_actions(request).items():
                checked.add(f"{type(model_admin).__name__}.{name}")
                if not getattr(func, "allowed_permissions", None):
                    undeclared.append(f"{type(model_admin).__name__}.{name} has no allowed_permissions")

    assert undeclared == [], "\n".join(undeclared)
    assert {
        "BookingAdmin.send_new_link",
        "BookingAdmin.cancel_bookings",
        "PaymentAdmin.refund_in_full",
        "MessageAdmin.resend",
        "SlotAdmin.block_slots",
        "WaitlistEntryAdmin.remove",
    } <= checked
    assert len(checked) >= 15, sorted(checked)


# Refunds are the manager's ---------------------------------------------------------------------------------


def test_the_front_desk_is_not_offered_a_refund_and_a_forged_one_refunds_nothing(
    client, front_desk, payment, stripe_recorder, django_capture_on_commit_callbacks
):
    client.force_login(front_desk)

    assert "refund_in_full" not in action_choices(client.get(PAYMENTS))
    with django_capture_on_commit_callbacks(execute=True):
        act(client, PAYMENTS, "refund_in_full", [payment])

    assert not Refund.objects.exists()
    assert stripe_recorder.requests == []
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded_cents) == (Payment.Status.PAID, 0)


def test_a_manager_refunds_a_payment_in_full_through_stripe(
    client, manager, payment, stripe_recorder, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    assert "refund_in_full" in action_choices(client.get(PAYMENTS))
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, PAYMENTS, "refund_in_full", [payment])

    assert notices(response) == [(django_messages.SUCCESS, f"{payment.booking}: refund of $175 requested.")]
    refund = Refund.objects.get()
    assert (refund.payment, refund.amount_cents, refund.reason) == (payment, 175_00, "Refunded by owner")
    [call] = stripe_recorder.calls("POST", "/v1/refunds")
    assert (call.params["payment_intent"], call.params["amount"]) == ("pi_paid", "17500")
    assert call.idempotency_key == refund.idempotency_key
    refund.refresh_from_db()
    assert refund.stripe_refund_id.startswith("re_test_")


# Sending a message again needs change_message ---------------------------------------------------------------


def test_a_reader_of_the_outbox_is_not_offered_resend_and_a_forged_one_sends_nothing(
    client, django_user_model, service, django_capture_on_commit_callbacks
):
    reader = staff_user(django_user_model, "reader")
    view_message = Permission.objects.get(content_type__app_label="notifications", codename="view_message")
    reader.user_permissions.add(view_message)
    sent = message(BookingFactory(slot=SlotFactory(service=service)), Message.Kind.CONFIRMATION)
    client.force_login(reader)

    assert "resend" not in action_choices(client.get(OUTBOX))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        act(client, OUTBOX, "resend", [sent])

    assert callbacks == []
    assert list(Message.objects.values_list("pk", flat=True)) == [sent.pk]


def test_the_front_desk_resends_a_confirmation(client, front_desk, service, django_capture_on_commit_callbacks):
    booking = BookingFactory(slot=SlotFactory(service=service))
    sent = message(booking, Message.Kind.CONFIRMATION)
    client.force_login(front_desk)

    assert "resend" in action_choices(client.get(OUTBOX))
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, OUTBOX, "resend", [sent])

    assert notices(response) == [(django_messages.SUCCESS, f"{sent}: queued.")]
    copy = Message.objects.exclude(pk=sent.pk).get()
    assert (copy.booking, copy.kind, copy.recipient, copy.body) == (booking, sent.kind, booking.email, sent.body)
    assert copy.dedupe_key.startswith(f"{sent.dedupe_key}:resend:")


@pytest.mark.parametrize("kind", [Message.Kind.ACCESS_CODE, Message.Kind.CONTACT_CHANGED])
def test_a_code_or_a_note_to_an_old_address_is_never_sent_again(
    client, front_desk, service, kind, django_capture_on_commit_callbacks
):
    sent = message(BookingFactory(slot=SlotFactory(service=service)), kind)
    client.force_login(front_desk)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = act(client, OUTBOX, "resend", [sent])

    refusal = f"{sent}: A “{sent.get_kind_display()}” message is not sent again."
    assert notices(response) == [(django_messages.ERROR, refusal)]
    assert callbacks == []
    assert list(Message.objects.values_list("pk", flat=True)) == [sent.pk]


# The roles ---------------------------------------------------------------------------------------------------


def test_the_manager_does_the_front_desks_work_and_holds_the_money_and_prices():
    manager, front_desk = perms("Manager"), perms("Front desk")

    assert front_desk <= manager
    assert {
        "booking.refund_payment",
        "booking.add_promotion",
        "booking.change_promotion",
        "booking.add_service",
        "booking.change_service",
        "clinic.change_clinic",
        "clinic.change_openinghours",
    } <= manager - front_desk
    # Of the intake's app, only the wording patients agree to (the privacy notice, the consent): never an answer.
    assert {perm for perm in manager if perm.startswith("assessments.")} == {
        "assessments.view_consentdocument",
        "assessments.add_consentdocument",
        "assessments.change_consentdocument",
        "assessments.delete_consentdocument",
    }


def test_only_the_manager_may_refund():
    assert "booking.refund_payment" in perms("Manager")
    assert "booking.refund_payment" not in perms("Front desk")
    assert "booking.refund_payment" not in perms("Clinician")
