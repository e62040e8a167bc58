"""A patient fills the whole questionnaire on a phone, finding every field by its label."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import Intake, IntakeAccess
from assessments.tests.browser import fill_questionnaire
from booking.links import Purpose, private_path
from booking.tests.factories import BookingFactory, SlotFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_fills_all_six_steps_on_a_phone(phone_page, live_server, service):
    page = phone_page
    slot = SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=3))
    booking = BookingFactory(slot=slot, patient_name="Dana Cruz", email="dana@example.com")
    race_day = (timezone.localdate() + timedelta(days=40)).isoformat()

    link = live_server.url + private_path(booking, Purpose.INTAKE)
    page.goto(link)

    fill_questionnaire(page, race_day=race_day)
    assert page.locator("h1").inner_text() == "Thank you, Dana"
    assert page.url == f"{link}done/"
    intake = Intake.objects.get(booking=booking)
    assert intake.steps_done == ["about", "pain", "running", "history", "screen", "consent"]
    assert intake.completed_at is not None
    assert (intake.signature_name, intake.signed_ip) == ("Dana Cruz", "127.0.0.1")
    assert intake.date_of_birth.isoformat() == "1988-03-14"
    assert intake.pain_areas == ["low_back", "hip"]
    assert (intake.pain_now, intake.pain_worst, intake.wakes_at_night) == (3, 7, False)
    assert intake.next_race_date.isoformat() == race_day
    assert intake.has_red_flag is False
    assert (intake.consent_treatment, intake.privacy_acknowledged, intake.consent_filming) == (True, True, True)
    assert IntakeAccess.objects.filter(booking=booking, action="patient_save").count() == 6
