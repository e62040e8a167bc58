"""A clinic with one of everything, for the sweep of every page (test_axe_every_page.py).

The clock stands at Monday, November 30, 2026, 9:00 AM in San Diego. The $99 offer has three spots for visits
Tuesday to Friday: Dana has one (booked, questionnaire answered with a red flag), the one Eli freed when he
cancelled is offered to Ann from the offer's waiting list, and one is left. Next Tuesday is fully booked and Bo
waits for it. A caller is booked at 11:00 today and paid at the desk; Gil paid online for next Monday; Hal is
paying on Stripe's page in the patient's browser. Rows are made the way the site makes them (its services, its
pages, Stripe's signed webhook), but for a texted STOP and a login-failure record, written as they would be.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.models import Group, Permission
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from assessments.models import ConsentDocument
from assessments.roles import CLINICIAN, FRONT_DESK, MANAGER, ensure_groups
from assessments.services import consent_document_publish
from assessments.tests.helpers import ABOUT, CONSENT, HISTORY, PAIN, RUNNING, SCREEN, post_step
from booking.browser import BOOKED_COOKIE, remember_booked
from booking.links import Purpose, private_token, texted_token
from booking.models import Booking, Promotion, Service, Slot
from booking.payments import checkout_hold, checkout_start, desk_payment_record
from booking.rules import Patient
from booking.services import booking_cancel, booking_create, booking_hold, booking_links_replace, slots_generate
from booking.tests.factories import PromotionFactory, local
from booking.tests.manage_helpers import session_completed
from booking.tests.stripe_fakes import SECRET_KEY, WEBHOOK_SECRET
from booking.verification import Check, awaits_mobile_code, mobile_code_send, mobile_verify
from clinic.closures import close_federal_holidays
from clinic.models import Clinic, Practitioner
from clinic.tests.factories import PractitionerFactory
from clinic.tests.staff import PASSWORD, staff_user
from clinic.two_factor import backup_codes_replace
from notifications.inbound import inbound_text_handle
from notifications.models import OptOut
from waitlist.models import WaitlistEntry
from waitlist.services import offers_make, promotion_sold_out, waitlist_join, waitlist_join_by_text

MONDAY = date(2026, 11, 30)
NOW = local(MONDAY, 9)
TUESDAY = MONDAY + timedelta(days=1)  # in the offer's visit week
NEXT_MONDAY = MONDAY + timedelta(days=7)  # after it: regular prices only
FULL_DAY = NEXT_MONDAY + timedelta(days=1)

DANA = Patient(name="Dana Cruz", email="dana@example.com", phone="+16195550142", sms_consent=True)
ELI = Patient(name="Eli Moss", email="eli@example.com", phone="+16195550143", sms_consent=True)
ANN = Patient(name="Ann Lee", email="ann@example.com", phone="+16195550144", sms_consent=True)
BO = Patient(name="Bo Ortiz", email="bo@example.com", phone="+16195550145")
FAY = Patient(name="Fay Wong", email="fay@example.com", phone="+16195550146")
GIL = Patient(name="Gil Park", email="gil@example.com", phone="+16195550147")
HAL = Patient(name="Hal Reed", email="hal@example.com", phone="+16195550148")
CALLER = Patient(name="Pat Caller", email="pat@example.com", phone="+16195550149")
IVY = Patient(name="Ivy Chen", email="ivy@example.com", phone="+16195550160")
ROSA = "+16195550161"
SUPERUSER = "Superuser"

# The questionnaire's answers as a patient posts them, with a red flag for the clinician to review.
INTAKE = ABOUT, PAIN, {**RUNNING, "next_race_date": "2027-03-07"}, HISTORY
RED_FLAG = {**SCREEN, "flag_fall": "True"}


@dataclass
class World:
    clinic: Clinic
    service: Service
    practitioner: Practitioner
    promotion: Promotion
    dana: Booking  # booked at $99, questionnaire answered, a red flag to review
    eli: Booking  # cancelled
    fay: Booking  # booked at $175, questionnaire not started
    gil: Booking  # paid online
    hal: Booking  # held while Hal pays on Stripe's page, in the patient's browser
    caller: Booking  # today at 11:00, paid at the desk
    ann: WaitlistEntry  # offered the freed $99 spot
    bo: WaitlistEntry  # waiting for a time on the full day
    rosa: WaitlistEntry  # texted WAIT for last month's offer: her mobile only, no name or email yet
    old_texted_token: str  # the booking link texted to Rosa eight days ago: past its seven days
    free_slot: Slot  # a time Dana could move to
    gone_token: str  # Fay's first link, replaced by a new one
    users: dict = field(default_factory=dict)
    patient_cookies: list = field(default_factory=list)  # what the patient's browser holds before the sweep


def _booked(service, day: date, hour: int, patient: Patient, price_cents: int, twilio) -> Booking:
    """Booked online; a discounted spot once the code texted to the mobile is typed (`twilio` reads it)."""
    slot = Slot.objects.get(service=service, starts_at=local(day, hour))
    booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=price_cents)
    if awaits_mobile_code(booking):
        mobile_code_send(booking=booking)
        assert mobile_verify(booking=booking, code=twilio.code_texted_to(patient.phone)) == Check.ACCEPTED
    return Booking.objects.get(pk=booking.pk)


def _staff(django_user_model) -> dict:
    ensure_groups(Group, Permission)  # a transactional test may run after the database was flushed
    users = {
        FRONT_DESK: staff_user(django_user_model, "desk", FRONT_DESK),
        CLINICIAN: staff_user(django_user_model, "clinician", CLINICIAN),
        MANAGER: staff_user(django_user_model, "owner", MANAGER),
        SUPERUSER: staff_user(django_user_model, "boss", is_superuser=True),
    }
    backup_codes_replace(user=users[CLINICIAN])
    # The login lockout's records, left by the login form: a wrong password for a name no one has, then the
    # front desk signing in.
    login = Client()
    login.post("/admin/login/", {"username": "intruder", "password": "guess"})
    assert AccessAttempt.objects.exists()
    assert login.post("/admin/login/", {"username": "desk", "password": PASSWORD}).status_code == 302
    # Its log of failures is off (AXES_ENABLE_ACCESS_FAILURE_LOG), but its admin is there: one row to show.
    attempt = AccessAttempt.objects.get()
    AccessFailureLog.objects.create(
        **{
            name: getattr(attempt, name)
            for name in ("username", "ip_address", "user_agent", "http_accept", "path_info")
        }
    )
    return users


def _paying_online(settings, client: Client, service, patient: Patient, hour: int, *, pay: bool) -> Booking:
    """A $175 time next week held while the patient pays on Stripe's page (stripe_recorder answering); paid, if
    `pay`, as Stripe's signed webhook says."""
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = SECRET_KEY, WEBHOOK_SECRET
    try:
        slot = Slot.objects.get(service=service, starts_at=local(NEXT_MONDAY, hour))
        booking = booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00, hold_for=checkout_hold())
        checkout_start(booking=booking)
        if pay:
            session_completed(client, booking.payments.get(), "pi_test_gil")
    finally:
        settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    return Booking.objects.get(pk=booking.pk)


def _answered(booking: Booking) -> None:
    """The questionnaire answered in the patient's other browser, with a red flag."""
    other_browser = Client()
    for step, answers in zip(("about", "pain", "running", "history"), INTAKE, strict=True):
        assert post_step(other_browser, booking, step, answers).status_code == 302
    assert post_step(other_browser, booking, "screen", RED_FLAG).status_code == 302
    assert post_step(other_browser, booking, "consent", CONSENT).status_code == 302
    other_browser.get(f"/intake/{private_token(booking, Purpose.INTAKE)}/about/")  # a patient view, logged


def _booked_here(booking: Booking) -> dict:
    """The cookie the site gives the browser that booked `booking` (booking/browser.py)."""
    response = HttpResponse()
    remember_booked(RequestFactory().get("/"), response, booking)
    return {"name": BOOKED_COOKIE, "value": response.cookies[BOOKED_COOKIE].value}


def _texted_wait(service) -> WaitlistEntry:
    """Rosa texted WAIT while last month's offer was sold out: on its list by her mobile alone. (That offer has
    closed, so no sweep offers her anything and the pages of this month's offer are as they were.)"""
    last_month = PromotionFactory(
        service=service,
        spots=1,
        opens_at=NOW - timedelta(days=40),
        closes_at=NOW - timedelta(days=20),
        visit_starts_on=MONDAY - timedelta(days=28),
        visit_ends_on=MONDAY - timedelta(days=24),
    )
    entry, _ = waitlist_join_by_text(promotion=last_month, phone=ROSA, language="en")
    return entry


def world_build(*, clinic, service, settings, django_user_model, twilio) -> World:
    """Everything, made at NOW (the caller has stopped the clock there); `twilio`: the texts' recorder."""
    users = _staff(django_user_model)
    for kind in ConsentDocument.Kind:  # version 1 of each (a transactional test has emptied the migration's)
        if not ConsentDocument.objects.filter(kind=kind, published_at__isnull=False).exists():
            draft = ConsentDocument.objects.create(kind=kind, body=f"The clinic's {kind.label}, in plain words.")
            consent_document_publish(document_id=draft.pk, user=users[MANAGER])
    practitioner = PractitionerFactory(clinic=clinic)
    close_federal_holidays(clinic, MONDAY.year)
    promotion = PromotionFactory(
        service=service, spots=3, visit_starts_on=TUESDAY, visit_ends_on=MONDAY + timedelta(days=4)
    )
    slots_generate(service=service, start=MONDAY, end=MONDAY + timedelta(days=13), practitioner=practitioner)

    dana = _booked(service, TUESDAY, 10, DANA, 99_00, twilio)
    eli = _booked(service, TUESDAY, 11, ELI, 99_00, twilio)
    ann = waitlist_join(service=service, patient=ANN, promotion=promotion)
    eli = booking_cancel(booking=eli, reason="Cancelled by the patient", by_patient=True)
    offers_make(now=timezone.now())  # Eli's spot goes to Ann
    for slot in Slot.objects.filter(service=service, starts_at__date=FULL_DAY):
        hour = timezone.localtime(slot.starts_at, clinic.tz).hour
        runner = Patient(f"Runner {hour}", f"runner{hour}@example.com", f"+1619555{hour:04d}")
        booking_create(slot_id=slot.pk, patient=runner, quoted_price_cents=175_00)
    bo = waitlist_join(service=service, patient=BO, day=FULL_DAY)
    rosa = _texted_wait(service)
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        old_texted_token = texted_token(ROSA)

    fay = _booked(service, NEXT_MONDAY + timedelta(days=3), 9, FAY, 175_00, twilio)
    gone_token = private_token(fay, Purpose.MANAGE)
    fay = booking_links_replace(booking=fay)

    caller_slot = Slot.objects.get(service=service, starts_at=local(MONDAY, 11))
    caller = booking_create(
        slot_id=caller_slot.pk, patient=CALLER, quoted_price_cents=175_00, online=False, user=users[FRONT_DESK]
    )
    desk_payment_record(booking=caller, method="card", amount_cents=175_00, user=users[FRONT_DESK])

    stripe = Client()
    gil = _paying_online(settings, stripe, service, GIL, 9, pay=True)
    hal = _paying_online(settings, stripe, service, HAL, 10, pay=False)

    _answered(dana)
    inbound_text_handle(sender=DANA.phone, body="Running ten minutes late", message_sid="SM" + "1" * 32)
    OptOut.objects.create(phone=BO.phone, keyword="STOP")

    free_slot = Slot.objects.filter(service=service, starts_at=local(TUESDAY, 15)).get()
    return World(
        clinic=clinic,
        service=service,
        practitioner=practitioner,
        promotion=promotion,
        dana=dana,
        eli=eli,
        fay=fay,
        gil=gil,
        hal=hal,
        caller=caller,
        ann=WaitlistEntry.objects.get(pk=ann.pk),
        bo=bo,
        rosa=rosa,
        old_texted_token=old_texted_token,
        free_slot=free_slot,
        gone_token=gone_token,
        users=users,
        patient_cookies=[_booked_here(hal)],
    )


def sell_out(world: World) -> None:
    """Ivy, in a browser of her own, holds the offer's last spot: it is sold out while she types."""
    if promotion_sold_out(world.promotion, now=timezone.now()):
        return
    taken = Booking.objects.filter(slot__service=world.service).exclude(status=Booking.Status.CANCELLED)
    slot = Slot.objects.filter(service=world.service, starts_at__date=TUESDAY).exclude(bookings__in=taken).last()
    booking_hold(slot_id=slot.pk, patient=IVY, quoted_price_cents=99_00)
    assert promotion_sold_out(world.promotion, now=timezone.now())
