import zoneinfo
from datetime import date, datetime, time, timedelta

import factory
from django.utils import timezone

from booking.models import Booking, Promotion, Service, Slot
from clinic.tests.factories import ClinicFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    clinic = factory.SubFactory(ClinicFactory)
    name = "Active Back & Hip Reset Assessment"
    duration_minutes = 60
    includes = "We film your stride\nWe test your single-leg control\nWe map the drills that fit your mileage"
    regular_price_cents = 175_00


def local(day: date, hour: int, minute: int = 0, tz: str = "America/Los_Angeles") -> datetime:
    """An aware datetime at a wall-clock time in the clinic's zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=zoneinfo.ZoneInfo(tz))


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    service = factory.SubFactory(ServiceFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    ends_at = factory.LazyAttribute(lambda slot: slot.starts_at + timedelta(minutes=60))
    capacity = 1


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion

    service = factory.SubFactory(ServiceFactory)
    name = "Launch week"
    headline = "Launch week for runners"
    price_cents = 99_00
    spots = 8
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    visit_starts_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=1))
    visit_ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=10))


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    slot = factory.SubFactory(SlotFactory)
    status = Booking.Status.CONFIRMED
    patient_name = factory.Sequence(lambda n: f"Runner {n}")
    email = factory.Sequence(lambda n: f"patient{n}@example.org")
    phone = factory.Sequence(lambda n: f"+1858555{n:04d}")
    price_cents = factory.LazyAttribute(
        lambda b: b.promotion.price_cents if b.promotion else b.slot.service.regular_price_cents
    )
    promotion = None
    hold_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=15))
    requested_at = factory.LazyFunction(timezone.now)  # made with its details; a time being chosen has none
