from datetime import time

import factory

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
