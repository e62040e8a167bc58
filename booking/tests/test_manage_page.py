"""The patient's private page: the visit in the clinic's time zone, the calendar file, the questionnaire's link,
and the messages that carry the private link.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16.
A visit on PROMO_DAY (Wed April 8) at 10:00 AM may be changed online until Tue April 7, 10:00 AM.
"""

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from assessments.models import Intake
from booking.links import Purpose, booking_for_token, manage_path, private_link
from booking.rules import Patient
from booking.tests.factories import local
from booking.tests.manage_helpers import PHONE, Kind, booked, manage_token, url
from booking.tests.pages import PROMO_DAY, book, does_not_say, hrefs, page, says, slot_at
from clinic.tests.html import html
from notifications.models import Message
from notifications.transports import text_as_sent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "offer")]

ADDRESS = "4901 Morena Blvd, Suite 501, San Diego, CA 92117"
MAPS = "https://maps.google.com/?q=" + quote(ADDRESS, safe="/")


def test_page_shows_the_visit_in_the_clinics_time_zone_with_a_maps_link(service, settings):
    settings.TIME_ZONE = "UTC"  # the server's zone must not leak onto the patient's page
    booking = booked(service)

    response = Client().get(url(booking))

    says(response, "You’re booked, Dana")
    says(response, "See you Wednesday, April 8 at 10:00 AM.")
    says(response, "Wednesday, April 8, 2026 at 10:00 AM (Pacific time)")
    assert ("2026-04-08T10:00:00-07:00", "Wednesday, April 8, 2026 at 10:00 AM") in page(response).times
    assert (MAPS, ADDRESS) in page(response).links
    says(response, "$99 (discounted), due at the visit")
    says(response, f"Reference {booking.reference}")
    does_not_say(response, "5:00 PM")  # 10:00 AM PDT in UTC


def test_page_is_never_cached(service):
    response = Client().get(url(booked(service)))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_page_says_until_when_changes_are_allowed_and_links_to_them(service):
    booking = booked(service)
    response = Client().get(url(booking))

    says(response, "You can move or cancel online until Tuesday, April 7 at 10:00 AM.")
    assert url(booking, "move/") in hrefs(response)
    assert url(booking, "cancel/") in hrefs(response)
    does_not_say(response, "Online changes close")


def test_calendar_file_downloads_and_parses_with_the_visit_and_no_private_link(service, settings):
    booking = booked(service)
    response = Client().get(url(booking))
    assert url(booking, "calendar.ics") in hrefs(response)

    ics = Client().get(url(booking, "calendar.ics"))

    assert ics.status_code == 200
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    assert ics["Content-Disposition"] == 'attachment; filename="visit-2026-04-08.ics"'
    [visit] = Calendar.from_ical(ics.content).walk("VEVENT")
    assert visit.decoded("dtstart") == local(PROMO_DAY, 10)
    assert visit.decoded("dtend") == local(PROMO_DAY, 11)
    # Calendars are synced to providers and shared: the clinic's public page, never the private one.
    assert str(visit["url"]) == f"{settings.PUBLIC_BASE_URL}/"
    assert str(visit["location"]) == ADDRESS
    assert "/manage/" not in ics.content.decode()
    assert manage_token(booking) not in ics.content.decode()
    assert PHONE in str(visit["description"])


def _intake_href(response) -> tuple[str, str]:
    [(href, text)] = [(h, t) for h, t in page(response).links if (h or "").startswith("/intake/")]
    return href, text


def test_page_asks_for_the_questionnaire_with_its_own_private_link(service):
    booking = booked(service)
    response = Client().get(url(booking))

    href, text = _intake_href(response)
    assert text == "Answer a few questions before your visit"
    assert booking_for_token(href.split("/")[2], Purpose.INTAKE) == booking


def test_the_questionnaire_is_the_pages_main_action_and_it_says_where_the_confirmation_went(service):
    texts = Patient(name="Dana Cruz", email="dana@example.com", phone="+18585550199", sms_consent=True)
    booking = booked(service, patient=texts)
    response = Client().get(url(booking))

    buttons = [el for el in html(response).find_all("a") if el.has_class("button")]
    assert buttons[0].text == "Answer a few questions before your visit"  # the first, and only, main button
    assert all(el.has_class("button--secondary") for el in buttons[1:])
    says(response, f"We emailed your confirmation to {booking.email} and texted it to (858) 555-0199.")


def test_a_patient_without_texts_is_told_only_of_the_email(service):
    booking = booked(service, patient=Patient(name="Pat Quiet", email="pat@example.com", phone="+16195550111"))

    response = Client().get(url(booking))

    says(response, "We emailed your confirmation to pat@example.com.")
    does_not_say(response, "texted it")


def test_page_says_finish_for_a_questionnaire_begun(service):
    booking = booked(service)
    Intake.objects.create(booking=booking, steps_done=["about"])

    href, text = _intake_href(Client().get(url(booking)))

    assert text == "Finish a few questions before your visit"
    assert booking_for_token(href.split("/")[2], Purpose.INTAKE) == booking


def test_page_thanks_for_a_finished_questionnaire_and_offers_to_review_it(service):
    booking = booked(service)
    Intake.objects.create(booking=booking, steps_done=["about"], completed_at=timezone.now())

    response = Client().get(url(booking))

    says(response, "Your questionnaire was received on Monday, April 6, thank you.")
    assert _intake_href(response)[1] == "See or change your answers"
    does_not_say(response, "Answer a few questions")
    does_not_say(response, "Finish a few questions")


def test_the_browser_that_booked_goes_from_the_reference_page_to_the_private_page(client, service, promotion):
    booking = book(client, slot_at(service, PROMO_DAY, 10))

    response = client.get(f"/booking/{booking.reference}/")
    assert (response.status_code, response.url) == (302, manage_path(booking))

    stranger = Client().get(f"/booking/{booking.reference}/")
    assert stranger.status_code == 200
    says(stranger, "This booking is confirmed.")
    assert "/manage/" not in stranger.content.decode()
    assert manage_token(booking) not in stranger.content.decode()
    does_not_say(stranger, "Michael")  # a reference alone shows no patient details
    does_not_say(stranger, "April 8")


def test_confirmation_messages_carry_the_private_link(service):
    booking = booked(
        service, patient=Patient(name="Michael Green", email="m@example.com", phone="+16195550166", sms_consent=True)
    )
    sent = {message.channel: message for message in Message.objects.filter(booking=booking, kind=Kind.CONFIRMATION)}

    assert set(sent) == {"email", "sms"}
    assert all(private_link(booking, Purpose.MANAGE) in text_as_sent(message) for message in sent.values())
    assert not any("/manage/" in message.body for message in sent.values())  # the outbox keeps no link


def test_the_visit_goes_into_google_calendar_or_outlook_without_the_private_link(service):
    booking = booked(service)  # Wednesday, April 8 at 10:00 AM PDT: 17:00 UTC

    response = Client().get(url(booking))

    links = dict((name.split(" (")[0], href) for href, name in page(response).links)
    google = parse_qs(urlsplit(links["Google Calendar"]).query)
    assert urlsplit(links["Google Calendar"]).netloc == "calendar.google.com"
    assert google["dates"] == ["20260408T170000Z/20260408T180000Z"]
    assert google["location"] == [ADDRESS]
    assert google["text"][0].endswith("at Project Performance Physical Therapy")
    outlook = parse_qs(urlsplit(links["Outlook"]).query)
    assert (outlook["startdt"], outlook["enddt"]) == (["2026-04-08T17:00:00+00:00"], ["2026-04-08T18:00:00+00:00"])
    token = manage_token(booking)
    for href in (links["Google Calendar"], links["Outlook"]):
        assert token not in href and "/manage/" not in href and booking.reference not in href
