"""The staff side stays in English but shows each patient's language, and sets it for a caller booked by phone:
every text and email to that patient is then written in it.

The clock is stopped at Monday 2026-04-06, 8:00 AM in San Diego; the offer is $99 for visits April 7 to 16.
"""

import pytest

from booking.models import Booking, BookingEvent
from booking.tests.factories import BookingFactory, SlotFactory, local
from booking.tests.pages import PROMO_DAY, page
from booking.tests.test_links import edit_contact
from notifications.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

PHONE = "/admin/booking/booking/phone/"
CHANGELIST = "/admin/booking/booking/"


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


def caller(slot, **changes) -> dict:
    fields = {"day": PROMO_DAY.isoformat(), "slot": slot.pk, "name": "Lucía Hernández", "phone": "(619) 555-0188"}
    return {**fields, "sms_consent": "on", "email": "lucia@example.com", **changes}


def test_a_caller_booked_in_spanish_gets_their_texts_and_emails_in_spanish(
    desk, service, offer, django_capture_on_commit_callbacks
):
    slot = SlotFactory(service=service, starts_at=local(PROMO_DAY, 9))
    form = page(desk.get(PHONE, {"day": PROMO_DAY.isoformat()}))
    assert "Messages in" in form.text
    assert ("en", "English") in desk.get(PHONE).context["form"].fields["language"].choices
    assert ("es", "Spanish") in desk.get(PHONE).context["form"].fields["language"].choices

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(PHONE, caller(slot, language="es"))

    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.language == "es"
    sms = Message.objects.get(booking=booking, kind=Message.Kind.CONFIRMATION, channel=Message.Channel.SMS)
    email = Message.objects.get(booking=booking, kind=Message.Kind.CONFIRMATION, channel=Message.Channel.EMAIL)
    assert "cita confirmada" in sms.body
    assert "Responda BAJA" in sms.body
    assert "Su cita está reservada" in email.body


def test_a_caller_in_a_language_the_site_does_not_speak_is_asked_again_and_nothing_is_booked(desk, service, offer):
    slot = SlotFactory(service=service, starts_at=local(PROMO_DAY, 9))
    response = desk.post(PHONE, caller(slot, language="fr"))
    assert response.status_code == 400
    assert "Choose English or Spanish." in page(response).text
    assert not Booking.objects.exists()


def test_the_visit_panel_and_todays_calendar_show_a_spanish_speaking_patient(desk, service, offer):
    spanish = BookingFactory(slot=SlotFactory(service=service, starts_at=local(PROMO_DAY, 9)), language="es")
    english = BookingFactory(slot=SlotFactory(service=service, starts_at=local(PROMO_DAY, 10)))

    panel = page(desk.get(f"/admin/today/visit/{spanish.pk}/")).text
    assert "Messages in Spanish" in " ".join(panel.split())
    assert "Messages in English" in " ".join(page(desk.get(f"/admin/today/visit/{english.pk}/")).text.split())

    day = desk.get("/admin/", {"day": PROMO_DAY.isoformat()}).content.decode()
    spanish_box = day[day.index(f'id="visit-{spanish.pk}"') :][:2000]
    english_box = day[day.index(f'id="visit-{english.pk}"') :][:2000]
    assert '<span class="today-tag">Spanish</span>' in spanish_box
    assert "Spanish" not in english_box.split("</div>")[0]


def test_the_desk_filters_bookings_by_language_and_changes_it_with_a_note_in_the_history(desk, service, offer):
    booking = BookingFactory(slot=SlotFactory(service=service, starts_at=local(PROMO_DAY, 9)))
    BookingFactory(slot=SlotFactory(service=service, starts_at=local(PROMO_DAY, 10)))
    assert list(desk.get(CHANGELIST, {"language": "es"}).context["cl"].result_list) == []

    response = edit_contact(desk, booking, language="es")

    assert response.status_code == 200
    booking.refresh_from_db()
    assert (booking.language, booking.link_version) == ("es", 1)  # the links still work: only the language moved
    assert BookingEvent.objects.filter(booking=booking, note="Messages now in Spanish").exists()
    assert list(desk.get(CHANGELIST, {"language": "es"}).context["cl"].result_list) == [booking]


def test_a_language_the_site_does_not_speak_is_refused_on_the_change_form(desk, service, offer):
    booking = BookingFactory(slot=SlotFactory(service=service, starts_at=local(PROMO_DAY, 9)), language="es")
    response = edit_contact(desk, booking, language="xx")
    assert "Select a valid choice" in page(response).text
    booking.refresh_from_db()
    assert booking.language == "es"
    assert not BookingEvent.objects.filter(booking=booking, note__startswith="Messages now").exists()
