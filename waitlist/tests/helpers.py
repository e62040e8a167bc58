"""People, days and small helpers shared by the waiting-list tests."""

from datetime import date

from django.utils import timezone

from booking.models import Booking
from booking.rules import Patient
from booking.tests.factories import BookingFactory, SlotFactory, local
from waitlist.models import WaitlistEntry
from waitlist.services import waitlist_join

TODAY = date(2026, 4, 6)  # a Monday
NOW = local(TODAY, 10)
REGULAR_DAY = date(2026, 4, 20)  # Monday, after the visit window

Status = WaitlistEntry.Status

ANN = Patient(name="Ann Lee", email="ann@example.com", phone="+16195550101", sms_consent=True)
BEN = Patient(name="Ben Ortiz", email="ben@example.com", phone="+16195550102", sms_consent=False)
CAT = Patient(name="Cat Moss", email="cat@example.com", phone="+16195550103", sms_consent=True)

MICHAEL = {"name": "Michael Green", "email": "michael@example.com", "phone": "(619) 555-0123", "sms_consent": "on"}
DANA = {"name": "Dana Cruz", "email": "dana@example.com", "phone": "(858) 555-0199"}  # no texts


def slot_at(service, day: date, hour: int, **kwargs):
    return SlotFactory(service=service, starts_at=local(day, hour), **kwargs)


def full_day(service, day: date, hours=(9, 10), **booking) -> list[Booking]:
    return [BookingFactory(slot=slot_at(service, day, hour), **booking) for hour in hours]


def wait(promotion, *patients) -> list[WaitlistEntry]:
    return [waitlist_join(service=promotion.service, patient=p, promotion=promotion) for p in patients]


def fresh(entry: WaitlistEntry) -> WaitlistEntry:
    entry.refresh_from_db()
    return entry


def statuses(*entries) -> list[str]:
    return [fresh(e).status for e in entries]


def active_discounted(promotion) -> int:
    return promotion.bookings.active(timezone.now()).count()


def offered_booking(entry: WaitlistEntry) -> Booking:
    return WaitlistEntry.objects.select_related("booking").get(pk=entry.pk).booking
