import zoneinfo
from datetime import date, datetime, time, timedelta

import factory
from django.utils import timezone

from booking.models import Booking, Promotion, Service, Slot
from clinic.models import Clinic, Closure, OpeningHours, Practitioner


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        skip_postgeneration_save = True

    name = "Project Performance Physical Therapy"
    phone = "+16192681397"
    email = "admin@projectperformancept.com"
    street = "4901 Morena Blvd, Suite 501"
    city = "San Diego"
    region = "CA"
    postal_code = "92117"
    time_zone = "America/Los_Angeles"

    @factory.post_generation
    def hours(clinic, create, extracted, **kwargs):
        """Mon–Fri 7:00–19:00, Sat 7:00–15:00, Sun closed, as the clinic's post says."""
        if not create or extracted is False:
            return
        for weekday in range(5):
            OpeningHours.objects.create(clinic=clinic, weekday=weekday, opens_at=time(7), closes_at=time(19))
        OpeningHours.objects.create(clinic=clinic, weekday=5, opens_at=time(7), closes_at=time(15))


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    clinic = factory.SubFactory(ClinicFactory)
    reason = "Holiday"


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner

    clinic = factory.SubFactory(ClinicFactory)
    name = "Brandon Pascual"


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
