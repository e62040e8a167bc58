"""Private links can be revoked, and reach no one but the patient: staff send a new one or change the email or
mobile, old links answer 410, and the outbox keeps a placeholder where a link goes, filled in only for the patient.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone

from assessments.tests.helpers import ANSWERS
from booking.links import Purpose, links_expand, private_link, private_path, private_token
from booking.models import Booking, BookingEvent
from booking.rules import Patient
from booking.tests.manage_helpers import booked, fresh
from booking.tests.pages import PROMO_DAY, does_not_say, says
from notifications.models import Message
from notifications.notices import notify_access_code
from notifications.outbox import message_resend
from notifications.transports import text_as_sent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

Kind, Channel = Message.Kind, Message.Channel
CHANGELIST = "/admin/booking/booking/"
MICHAEL = Patient(name="Michael Green", email="michael@example.com", phone="+16195550123", sms_consent=True)
ANY_PRIVATE_LINK = re.compile(r"/(manage|intake|waitlist/claim)/")
PHONE = "(619) 268-1397"


@pytest.fixture
def desk(client, django_user_model):
    user = django_user_model.objects.create_user("desk", "desk@example.com", "a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Front desk"))
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def booking(service, django_capture_on_commit_callbacks) -> Booking:
    with django_capture_on_commit_callbacks(execute=True):
        return booked(service, PROMO_DAY, 10, patient=MICHAEL)


def every_link(booking: Booking) -> dict[Purpose, str]:
    return {purpose: private_path(booking, purpose) for purpose in (Purpose.MANAGE, Purpose.INTAKE)}


def edit_contact(desk, booking: Booking, **changes):
    data = {
        "patient_name": booking.patient_name,
        "email": booking.email,
        "phone": booking.phone,
        "language": booking.language,
    }
    data |= changes
    inlines = {
        f"{prefix}-{field}": "0"
        for prefix in ("events", "payments", "desk_payments", "messages")
        for field in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
    }
    return desk.post(f"{CHANGELIST}{booking.pk}/change/", {**data, **inlines}, follow=True)


# Sending a new link ----------------------------------------------------------------------------------


def test_sending_a_new_link_ends_every_earlier_link_and_sends_the_new_one(
    desk, booking, django_capture_on_commit_callbacks
):
    old = every_link(booking)
    patient = Client()
    answers = patient.post(f"{old[Purpose.INTAKE]}about/", ANSWERS["about"])  # the patient's browser, let in
    assert answers.status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(CHANGELIST, {"action": "send_new_link", "_selected_action": [booking.pk]}, follow=True)

    assert f"{booking}: new link sent; earlier links no longer work." in response.content.decode()
    booking = fresh(booking)
    assert booking.link_version == 2
    for path in old.values():
        gone = Client().get(path)
        says(gone, "This link no longer works", status=410)
        says(gone, PHONE, status=410)
        does_not_say(gone, booking.reference)
    # The browser it let into the saved answers is out too.
    assert patient.get(f"{old[Purpose.INTAKE]}about/").status_code == 410
    assert patient.get(f"{private_path(booking, Purpose.INTAKE)}about/").status_code == 302  # to the status page

    sent = {message.channel: message for message in Message.objects.filter(booking=booking, kind=Kind.NEW_LINK)}
    assert set(sent) == {Channel.EMAIL, Channel.SMS}
    for message in sent.values():
        assert message.status == Message.Status.SENT  # at once, as staff are on the phone with the patient
        assert private_link(booking, Purpose.MANAGE) in text_as_sent(message)
        assert not ANY_PRIVATE_LINK.search(message.body)
    [email] = [email for email in mail.outbox if email.subject.startswith("Your new link")]
    assert private_link(booking, Purpose.MANAGE) in email.body
    assert Client().get(private_path(booking, Purpose.MANAGE)).status_code == 200
    [event] = BookingEvent.objects.filter(booking=booking, note__startswith="New private link")
    assert event.user == desk.user


def test_a_cancelled_booking_gets_no_new_link(desk, booking):
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)

    response = desk.post(CHANGELIST, {"action": "send_new_link", "_selected_action": [booking.pk]}, follow=True)

    assert "no longer on: it has no link to send" in response.content.decode()
    assert fresh(booking).link_version == 1
    assert not Message.objects.filter(kind=Kind.NEW_LINK).exists()


def test_a_resend_carries_the_link_as_it_is_when_it_goes(desk, booking, django_capture_on_commit_callbacks):
    confirmation = Message.objects.get(booking=booking, kind=Kind.CONFIRMATION, channel=Channel.EMAIL)
    first = text_as_sent(confirmation)
    desk.post(CHANGELIST, {"action": "send_new_link", "_selected_action": [booking.pk]})

    with django_capture_on_commit_callbacks(execute=True):
        copy = message_resend(message=confirmation)

    assert copy.body == confirmation.body  # the same words, with a placeholder where the link goes
    assert private_link(fresh(booking), Purpose.MANAGE) in text_as_sent(copy)
    assert private_link(fresh(booking), Purpose.MANAGE) not in first


# Changing the patient's email or mobile ----------------------------------------------------------------


def test_a_new_email_ends_the_old_links_tells_the_old_address_and_sends_the_new_link(
    desk, booking, django_capture_on_commit_callbacks
):
    old = every_link(booking)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = edit_contact(desk, booking, email="michael.green@example.org")

    assert response.status_code == 200
    booking = fresh(booking)
    assert (booking.email, booking.link_version) == ("michael.green@example.org", 2)
    assert (booking.email_by_staff, booking.phone_by_staff) == (True, False)  # typed at the desk
    for path in old.values():
        assert Client().get(path).status_code == 410
    [event] = BookingEvent.objects.filter(booking=booking, note__startswith="Changed")
    assert event.note == "Changed email m•••@example.com → m•••@example.org; earlier links ended"
    assert event.user == desk.user
    assert "michael@example.com" not in event.note

    by_address = {tuple(email.to): email for email in mail.outbox}
    told = by_address[("michael@example.com",)]
    assert told.subject == "Your contact details at Project Performance Physical Therapy have changed"
    assert "has been changed" in told.body
    assert not ANY_PRIVATE_LINK.search(told.body + "".join(html for html, _ in told.alternatives))
    new = by_address[("michael.green@example.org",)]
    assert private_link(booking, Purpose.MANAGE) in new.body
    # Texts went to the number, which did not change: the new link, and no "changed" notice.
    texts = Message.objects.filter(booking=booking, channel=Channel.SMS, kind__in=[Kind.NEW_LINK, Kind.CONTACT_CHANGED])
    assert [(text.kind, text.recipient) for text in texts] == [(Kind.NEW_LINK, "+16195550123")]


def test_a_new_mobile_tells_the_old_number_with_no_link(desk, booking, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        edit_contact(desk, booking, phone="(858) 555-0144")

    booking = fresh(booking)
    assert (booking.phone, booking.link_version) == ("+18585550144", 2)
    [event] = BookingEvent.objects.filter(booking=booking, note__startswith="Changed")
    assert event.note == "Changed mobile •••-0123 → •••-0144; earlier links ended"
    [told] = Message.objects.filter(kind=Kind.CONTACT_CHANGED)
    assert (told.channel, told.recipient) == (Channel.SMS, "+16195550123")
    assert not ANY_PRIVATE_LINK.search(text_as_sent(told))
    assert "Call (619) 268-1397" in text_as_sent(told)
    [new_text] = Message.objects.filter(kind=Kind.NEW_LINK, channel=Channel.SMS)
    assert new_text.recipient == "+18585550144"


def test_what_waited_to_go_to_the_old_mobile_goes_to_the_new_one(desk, booking, clock):
    def waiting(channel, recipient, key):
        return Message.objects.create(
            booking=booking,
            kind=Kind.REMINDER_24H,
            channel=channel,
            recipient=recipient,
            body="See you tomorrow: [[link:manage]]",
            dedupe_key=key,
            send_after=timezone.now() + timedelta(hours=12),  # kept for after quiet hours
        )

    text = waiting(Channel.SMS, booking.phone, "reminder:sms")
    email = waiting(Channel.EMAIL, booking.email, "reminder:email")

    edit_contact(desk, booking, phone="(858) 555-0144")

    text.refresh_from_db()
    email.refresh_from_db()
    assert (text.status, text.recipient) == (Message.Status.QUEUED, "+18585550144")
    assert private_link(fresh(booking), Purpose.MANAGE) in text_as_sent(text)  # the new link, to the new number
    assert (email.status, email.recipient) == (Message.Status.QUEUED, booking.email)  # the email did not change


def test_a_corrected_name_changes_no_link(desk, booking):
    old = every_link(booking)

    edit_contact(desk, booking, patient_name="Michael J. Green")

    booking = fresh(booking)
    assert (booking.patient_name, booking.link_version) == ("Michael J. Green", 1)
    assert (booking.email_by_staff, booking.phone_by_staff) == (False, False)
    assert Client().get(old[Purpose.MANAGE]).status_code == 200
    assert not Message.objects.filter(kind__in=[Kind.NEW_LINK, Kind.CONTACT_CHANGED]).exists()


def test_a_cancelled_bookings_new_email_gets_no_link_and_the_old_one_no_notice(
    desk, booking, django_capture_on_commit_callbacks
):
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)

    with django_capture_on_commit_callbacks(execute=True):
        response = edit_contact(desk, booking, email="michael.green@example.org")

    assert "earlier links no longer work." in response.content.decode()
    assert fresh(booking).link_version == 2
    assert not Message.objects.filter(kind__in=[Kind.NEW_LINK, Kind.CONTACT_CHANGED]).exists()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"email": "not an email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"patient_name": "www.example.com"}, "patient_name"),
        ({"patient_name": "Go to bit.ly/win"}, "patient_name"),
    ],
)
def test_bad_contact_details_are_refused_and_nothing_changes(desk, booking, changes, field):
    response = edit_contact(desk, booking, **changes)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    unchanged = fresh(booking)
    assert (unchanged.email, unchanged.phone, unchanged.link_version) == (booking.email, booking.phone, 1)
    assert not BookingEvent.objects.filter(booking=booking, note__startswith="Changed").exists()


def test_an_old_message_sent_again_goes_to_the_email_the_booking_has_now(
    desk, booking, django_capture_on_commit_callbacks
):
    confirmation = Message.objects.get(booking=booking, kind=Kind.CONFIRMATION, channel=Channel.EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        edit_contact(desk, booking, email="michael.green@example.org")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        copy = message_resend(message=confirmation)

    assert copy.recipient == "michael.green@example.org"
    assert [email.to for email in mail.outbox] == [["michael.green@example.org"]]


# The outbox keeps no link, and the clinic gets none ----------------------------------------------------


def test_the_clinics_new_booking_email_has_the_admin_link_and_the_phone_and_no_private_link(booking):
    [clinic_email] = [email for email in mail.outbox if email.to == [booking.slot.service.clinic.email]]

    assert f"/admin/booking/booking/{booking.pk}/change/" in clinic_email.body
    assert "(619) 555-0123" in clinic_email.body  # the patient's phone, to call them back
    assert not ANY_PRIVATE_LINK.search(clinic_email.body)
    assert not ANY_PRIVATE_LINK.search(clinic_email.alternatives[0][0])


def test_no_message_in_the_outbox_holds_a_private_link(booking):
    messages = Message.objects.all()
    assert {message.kind for message in messages} >= {Kind.CONFIRMATION, Kind.CLINIC_NEW_BOOKING}
    for message in messages:
        assert not ANY_PRIVATE_LINK.search(message.body), message.kind
        assert private_token(booking, Purpose.MANAGE) not in message.body
        assert private_token(booking, Purpose.INTAKE) not in message.body


def test_a_placeholder_is_filled_in_only_for_the_patients_own_email_or_mobile(booking):
    body = "Your booking: [[link:manage]] and questionnaire: [[link:intake]]"
    assert private_link(booking, Purpose.MANAGE) in links_expand(body, booking)

    def sent(**fields) -> str:
        message = Message(booking=booking, kind=Kind.CONFIRMATION, channel=Channel.EMAIL, body=body, **fields)
        return text_as_sent(message)

    assert private_link(booking, Purpose.INTAKE) in sent(recipient=booking.email)
    for withheld in (
        sent(recipient=booking.slot.service.clinic.email),  # the clinic's own address
        sent(recipient="someone-else@example.com"),  # an address the booking no longer has
        text_as_sent(Message(booking=booking, kind=Kind.CLINIC_NEW_BOOKING, recipient=booking.email, body=body)),
    ):
        assert not ANY_PRIVATE_LINK.search(withheld)
        assert "[private link: manage]" in withheld


def test_the_outbox_admin_shows_where_links_and_codes_go_never_what(desk, booking, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify_access_code(booking, channel=Channel.EMAIL, code="482913", key="1")
    assert "482913" in mail.outbox[-1].body  # the patient got it

    for message in Message.objects.filter(booking=booking, kind__in=[Kind.CONFIRMATION, Kind.ACCESS_CODE]):
        page = desk.get(f"/admin/notifications/message/{message.pk}/change/").content.decode()
        assert not ANY_PRIVATE_LINK.search(page.split('id="content-main"')[1])
        assert "482913" not in page and "482913" not in message.body
    confirmation = Message.objects.filter(booking=booking, kind=Kind.CONFIRMATION).first()
    code = Message.objects.get(kind=Kind.ACCESS_CODE)
    assert (
        "[private link: manage]" in desk.get(f"/admin/notifications/message/{confirmation.pk}/change/").content.decode()
    )
    assert "is [code]" in desk.get(f"/admin/notifications/message/{code.pk}/change/").content.decode()


def test_a_live_site_without_twilio_prints_texts_without_their_links_or_codes(
    booking, settings, capsys, django_capture_on_commit_callbacks
):
    settings.DEBUG = False  # make run (DEBUG on) prints them whole, for the developer to follow
    confirmation = Message.objects.get(booking=booking, kind=Kind.CONFIRMATION, channel=Channel.SMS)
    capsys.readouterr()

    with django_capture_on_commit_callbacks(execute=True):
        copy = message_resend(message=confirmation)
        notify_access_code(booking, channel=Channel.SMS, code="482913", key="1")

    printed = capsys.readouterr().out
    assert f"SMS to {booking.phone}" in printed
    assert "[private link: manage]" in printed and "your code is [code]" in printed
    assert not ANY_PRIVATE_LINK.search(printed)
    assert "482913" not in printed
    copy.refresh_from_db()
    assert copy.status == Message.Status.SENT
