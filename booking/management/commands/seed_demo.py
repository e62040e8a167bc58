"""Demo data from the clinic's post, placed relative to today. Safe to run again: it adds nothing twice."""

from datetime import time, timedelta
from io import BytesIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from booking.models import Booking, Promotion, Service, Slot
from booking.rules import Patient, quote_slot
from booking.services import booking_create, slots_generate
from clinic.closures import close_federal_holidays
from clinic.models import Clinic, OpeningHours, Practitioner, Weekday
from clinic.photos import photo_from_upload, practitioner_photo_set

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "clinic-demo"  # demo only; printed so a new developer can log in

HOURS = {
    **{
        day: (time(7), time(19))
        for day in (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)
    },
    Weekday.SATURDAY: (time(7), time(15)),
}


def demo_clinic() -> Clinic:
    """The clinic and its opening hours, as its post gives them."""
    clinic, _ = Clinic.objects.get_or_create(
        name="Project Performance Physical Therapy",
        defaults={
            "phone": "+16192681397",
            "email": "admin@projectperformancept.com",
            "street": "4901 Morena Blvd, Suite 501",
            "city": "San Diego",
            "region": "CA",
            "postal_code": "92117",
            "time_zone": "America/Los_Angeles",
        },
    )
    if not clinic.parking_note:  # a clinic seeded before the offer page named it
        clinic.parking_note = PARKING
        clinic.save(update_fields=["parking_note"])
    in_spanish(clinic, parking_note_es=PARKING_ES)
    for weekday, (opens_at, closes_at) in HOURS.items():
        OpeningHours.objects.get_or_create(
            clinic=clinic, weekday=weekday, opens_at=opens_at, defaults={"closes_at": closes_at}
        )
    return clinic


def in_spanish(row, **texts: str) -> None:
    """The Spanish of the clinic's words, on a row seeded before they had any (what staff wrote stays)."""
    empty = [name for name in texts if not getattr(row, name)]
    for name in empty:
        setattr(row, name, texts[name])
    if empty:
        row.save(update_fields=empty)


PARKING = "Free parking in the building’s lot. By trolley: the Blue Line’s Balboa Avenue stop is a short walk away."
PARKING_ES = (
    "Estacionamiento gratuito en el lote del edificio. En trolley: la parada Balboa Avenue de la Línea Azul "
    "queda a unos pasos."
)

BIO = (
    "Brandon helps San Diego runners get back to pain-free miles. He films your stride, finds the hip that can’t "
    "hold your center of mass, and builds the single-leg strength that fits your plan, loaded gradually."
)
BIO_ES = (
    "Brandon ayuda a los corredores de San Diego a volver a sumar millas sin dolor. Graba su zancada, encuentra la "
    "cadera que no logra sostener su centro de masa y le ayuda a ganar la fuerza en una sola pierna que va con su "
    "plan, aumentando la carga poco a poco."
)


def demo_portrait() -> bytes:
    """A plain drawn placeholder for the practitioner's photo (a head and shoulders), as a PNG."""
    image = Image.new("RGB", (640, 640), "#f5f2ee")
    draw = ImageDraw.Draw(image)
    draw.ellipse((130, 420, 510, 860), fill="#545b64")  # shoulders, cut off by the frame
    draw.ellipse((215, 140, 425, 380), fill="#545b64")  # head
    draw.rectangle((0, 600, 640, 640), fill="#7c0f12")  # the clinic's red, along the foot
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def demo_practitioner(clinic: Clinic) -> Practitioner:
    """Brandon, who wrote the post, on the offer page: credentials, a short bio and a placeholder photo."""
    practitioner, _ = Practitioner.objects.get_or_create(clinic=clinic, name="Brandon Pascual")
    if not practitioner.bio:  # one seeded before the offer page showed him
        practitioner.credentials, practitioner.bio, practitioner.featured = "PT, DPT", BIO, True
        practitioner.save(update_fields=["credentials", "bio", "featured"])
    in_spanish(practitioner, bio_es=BIO_ES)
    if not practitioner.photo_digest:
        photo = photo_from_upload(ContentFile(demo_portrait(), name="brandon.png"))
        practitioner_photo_set(practitioner=practitioner, photo=photo)
    return practitioner


def demo_service(clinic: Clinic) -> Service:
    """The assessment the offer is for."""
    service, _ = Service.objects.get_or_create(
        clinic=clinic,
        name="Active Back & Hip Reset Assessment",
        defaults={
            "duration_minutes": 60,
            "summary": (
                "For runners whose low back or hip hurts as the miles go up: "
                "a 60-minute, one-to-one assessment of how each leg carries you."
            ),
            "includes": (
                "We film your stride\nWe test your single-leg control\nWe map the exact drills that fit your mileage"
            ),
            "regular_price_cents": 175_00,
        },
    )
    in_spanish(
        service,
        name_es="Evaluación activa de espalda y cadera",
        summary_es=(
            "Para corredores a quienes les duele la espalda baja o la cadera cuando aumentan las millas: una "
            "evaluación individual de 60 minutos para ver cómo le sostiene cada pierna."
        ),
        includes_es=(
            "Grabamos su zancada\nEvaluamos su control en una sola pierna\n"
            "Armamos los ejercicios exactos que van con su kilometraje"
        ),
    )
    return service


# Callers the front desk booked, so Today has visits to show (example.com addresses; they agreed to no texts).
DEMO_CALLERS = [
    Patient(name="Dana Cruz", email="dana.cruz@example.com", phone="+16195550142"),
    Patient(name="Marcus Webb", email="marcus.webb@example.com", phone="+16195550156"),
    Patient(name="Priya Shah", email="", phone="+16195550178"),
]


def demo_visits(service: Service) -> list[Booking]:
    """The callers booked into the first open times from an hour from now, at the price the rules give (in the
    offer's week, a discounted spot each): only while the clinic has no bookings at all."""
    if Booking.objects.exists():
        return []
    now = timezone.now()
    times = Slot.objects.filter(service=service, is_blocked=False, starts_at__gte=now + timedelta(hours=1))
    times = times.order_by("starts_at")[: len(DEMO_CALLERS)]
    return [
        booking_create(
            slot_id=slot.pk,
            patient=caller,
            quoted_price_cents=quote_slot(slot=slot, now=now, patient=caller).price_cents,
            online=False,
        )
        for slot, caller in zip(times, DEMO_CALLERS, strict=False)
    ]


class Command(BaseCommand):
    help = (
        "Load the clinic, its hours and federal holidays, its physical therapist, the assessment, the $99 launch "
        "offer, six weeks of slots and a few callers."
    )

    def handle(self, *args, **options):
        promotion, plan = self.seed()
        visits = demo_visits(promotion.service)  # each booked in its own locked transaction, as the front desk books
        self.report(promotion, plan, visits)

    @transaction.atomic
    def seed(self):
        clinic = demo_clinic()
        practitioner = demo_practitioner(clinic)
        service = demo_service(clinic)

        today = timezone.localdate(timezone=clinic.tz)
        for year in (today.year, today.year + 1):  # closed before slots are opened: none on a holiday
            close_federal_holidays(clinic, year)
        monday = today + timedelta(days=7 - today.weekday())
        promotion, _ = Promotion.objects.get_or_create(
            service=service,
            name="Launch week: $99 assessment",
            defaults={
                "headline": "Launch week for runners with low-back or hip pain",
                "price_cents": 99_00,
                "spots": 8,
                "visit_starts_on": monday,
                "visit_ends_on": monday + timedelta(days=4),
                "opens_at": clinic.local_datetime(today, time.min),
                "closes_at": clinic.local_datetime(monday + timedelta(days=10), time.min),
            },
        )
        in_spanish(
            promotion,
            name_es="Semana de lanzamiento: evaluación de $99",
            headline_es="Semana de lanzamiento para corredores con dolor de espalda baja o de cadera",
        )
        plan = slots_generate(service=service, start=today, end=today + timedelta(weeks=6), practitioner=practitioner)

        User = get_user_model()
        if not User.objects.filter(username=DEMO_USERNAME).exists():
            User.objects.create_superuser(DEMO_USERNAME, clinic.email, DEMO_PASSWORD)
        return promotion, plan

    def report(self, promotion, plan, visits):
        self.stdout.write(
            f"Demo data ready: {promotion.name} ({promotion.spots} spots, visits "
            f"{promotion.visit_starts_on:%b %-d}–{promotion.visit_ends_on:%b %-d}); "
            f"{len(plan.new)} new slots, {plan.existing} already there; {len(visits)} callers booked."
        )
        self.stdout.write(
            f"Staff login: {settings.PUBLIC_BASE_URL}/admin/  user {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r}"
        )
        self.stdout.write(
            "Two-factor sign-in: optional while DEBUG is on (set it up at "
            f"{settings.PUBLIC_BASE_URL}/admin/two-factor/); with DEBUG off, required for clinicians and superusers."
        )
