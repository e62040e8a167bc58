"""Five busy years of past visits, to see that the front desk's lists stay quick (bench/admin_pages.py).

Adds, before today (clinic time): slots from the clinic's opening hours for as many practitioners as the
bookings need, bookings on them (attended, no-shows, cancellations, lapsed holds), a $99 offer each spring
with its discounted visits, payments online (some refunded), completed intakes with no answers in them, and
the confirmations, reminders and notices sent about each booking. Names, emails and mobiles are made up
(example.com addresses). No message is left to send.

It refuses to run while DEBUG is off unless --force: it is never for the live clinic. It also refuses
when the clinic already has past visits, so running it twice adds nothing the second time.
"""

import math
import random
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assessments.models import Intake
from booking.models import REFERENCE_ALPHABET, REFERENCE_LENGTH, Booking, Payment, Promotion, Service, Slot
from booking.services import slots_plan
from clinic.contact import canonical_email
from clinic.models import Clinic, Practitioner
from notifications.models import Message

BATCH = 2000
HOLD = timedelta(minutes=15)
PRACTITIONERS = ["Brandon Pascual", "Alexis Moreno", "Jordan Kim", "Priya Shah", "Marcus Reed", "Elena Ruiz"]
PRACTITIONERS += ["Sam Whitfield", "Nadia Haddad", "Chris Okafor", "Lucia Ortega", "Tom Becker", "Mei Lin"]
FIRST_NAMES = ["Maria", "James", "Sofia", "Michael", "Ana", "David", "Lucia", "Daniel", "Camila", "Chris", "Valeria"]
FIRST_NAMES += ["Kevin", "Isabel", "Brian", "Elena", "Jason", "Gabriela", "Ryan", "Diana", "Eric", "Paula", "Mark"]
FIRST_NAMES += ["Laura", "Steven", "Carmen", "Andrew", "Rosa", "Tyler", "Jessica", "Jorge", "Emily", "Luis", "Sarah"]
FIRST_NAMES += ["Miguel", "Hannah", "Carlos", "Megan", "Diego", "Olivia", "Javier"]
LAST_NAMES = ["Garcia", "Smith", "Martinez", "Johnson", "Hernandez", "Williams", "Lopez", "Brown", "Gonzalez", "Jones"]
LAST_NAMES += ["Rodriguez", "Miller", "Perez", "Davis", "Sanchez", "Wilson", "Ramirez", "Anderson", "Torres", "Taylor"]
LAST_NAMES += ["Flores", "Thomas", "Rivera", "Moore", "Gomez", "Jackson", "Diaz", "White", "Reyes", "Harris", "Cruz"]
LAST_NAMES += ["Nguyen", "Morales", "Clark", "Ortiz", "Lewis", "Gutierrez", "Young", "Chavez", "Walker"]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]
AREA_CODES = ["619", "858", "760", "442"]
# Each spring the clinic ran its $99 week: the second full week of May.
OFFER_MONTH, OFFER_SPOTS, OFFER_PRICE = 5, 8, 99_00

Status, Kind, Channel = Booking.Status, Message.Kind, Message.Channel
SENT = {Channel.EMAIL: Message.Status.SENT, Channel.SMS: Message.Status.DELIVERED}
SUBJECTS = {
    Kind.CONFIRMATION: "You're booked: {visit}",
    Kind.REMINDER_24H: "See you tomorrow: {visit}",
    Kind.CANCELLATION: "Your visit on {visit} is cancelled",
    Kind.CLINIC_NEW_BOOKING: "New booking: {visit}",
}
BODIES = {
    Kind.CONFIRMATION: "Hi {first}, you're booked for {visit}. Your booking: [link]",
    Kind.REMINDER_24H: "Hi {first}, see you tomorrow, {visit}. Your booking: [link]",
    Kind.REMINDER_2H: "Hi {first}, see you at {time} today. Your booking: [link]",
    Kind.CANCELLATION: "Hi {first}, your visit on {visit} is cancelled. Book again: [link]",
    Kind.CLINIC_NEW_BOOKING: "New booking for {visit}.",
}


@dataclass
class Visit:
    """One generated booking and what it needs beyond its row."""

    booking: Booking
    starts_at: datetime
    messages: list[tuple[str, str, datetime]] = field(default_factory=list)  # kind, channel, sent at
    words: dict[str, str] = field(default_factory=dict)  # for the messages' subjects and bodies
    paid: bool = False
    intake_at: datetime | None = None


class Command(BaseCommand):
    help = (
        "Add five busy years of past bookings (100,000) and messages (300,000), for benchmarks. "
        "Refuses while DEBUG is off unless --force, and when the clinic already has past visits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bookings", type=int, default=100_000, help="past bookings to add (100,000)")
        parser.add_argument("--messages", type=int, default=300_000, help="messages to add (300,000)")
        parser.add_argument("--years", type=int, default=5, help="how many years back the visits go (5)")
        parser.add_argument("--seed", type=int, default=19, help="random seed, for the same history again (19)")
        parser.add_argument(
            "--force", action="store_true", help="run although DEBUG is off (a benchmark's own database only)"
        )

    def handle(self, *args, bookings: int, messages: int, years: int, seed: int, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this may be the live clinic: generate_history adds made-up patients. "
                "Run it on a development or benchmark database, with --force if DEBUG is off there."
            )
        if bookings < 1 or messages < 0 or not 1 <= years <= 20:
            raise CommandError("--bookings must be at least 1, --messages at least 0, --years from 1 to 20.")
        clinic = Clinic.current()
        service = clinic and Service.objects.filter(clinic=clinic, is_active=True).order_by("pk").first()
        if service is None:
            raise CommandError("No clinic with an active service yet: run `manage.py seed_demo` first.")
        today = timezone.localdate(timezone=clinic.tz)
        past = Booking.objects.filter(slot__starts_at__lt=clinic.local_datetime(today, datetime.min.time()))
        if count := past.count():
            bookings = "booking" if count == 1 else "bookings"
            raise CommandError(f"The clinic already has {count:,} past {bookings}: history is added only once.")
        started = clock.monotonic()
        with transaction.atomic():
            summary = History(random.Random(seed), clinic, service, today, years).add(bookings, messages)
        self.stdout.write(f"{summary} in {clock.monotonic() - started:.0f} s.")


class History:
    def __init__(self, rng: random.Random, clinic: Clinic, service: Service, today: date, years: int):
        self.rng, self.clinic, self.service, self.today = rng, clinic, service, today
        self.first = date(today.year - years, today.month, min(today.day, 28))
        self.tz = clinic.tz

    def add(self, bookings: int, messages: int) -> str:
        # Most slots end with one visit; about one in seven also had a booking cancelled or lapsed before it.
        slots = self.slots(math.ceil(bookings / 1.15))
        visits = self.visits(slots, bookings)
        offers = self.offers(visits)
        self.save_bookings(visits)
        payments = self.save_payments(visits)
        intakes = self.save_intakes(visits)
        sent = self.save_messages(visits, messages)
        return (
            f"Added {len(visits):,} past bookings on {len(slots):,} slots from {self.first:%b %-d, %Y}, "
            f"{offers} spring offers, {payments:,} payments, {intakes:,} completed intakes (no answers) "
            f"and {sent:,} messages"
        )

    def slots(self, wanted: int) -> list[Slot]:
        last = self.today - timedelta(days=1)
        free: list[Slot] = []
        for name in PRACTITIONERS:
            if len(free) >= wanted:
                break
            practitioner, _ = Practitioner.objects.get_or_create(clinic=self.clinic, name=name)
            free += slots_plan(service=self.service, start=self.first, end=last, practitioner=practitioner).new
        if not free:
            raise CommandError("The clinic's opening hours give no slots: set them under Clinic profile first.")
        chosen = sorted(self.rng.sample(free, min(wanted, len(free))), key=lambda slot: slot.starts_at)
        return Slot.objects.bulk_create(chosen, batch_size=BATCH)

    def visits(self, slots: list[Slot], count: int) -> list[Visit]:
        rng = self.rng
        patients = [self.patient(n) for n in range(max(1, count * 3 // 5))]  # some came back
        visits = []
        for n in range(count):
            slot = slots[n] if n < len(slots) else rng.choice(slots)
            if n < len(slots):
                status = rng.choices([Status.ATTENDED, Status.NO_SHOW, Status.CANCELLED], [82, 5, 13])[0]
            else:  # an earlier booking of a slot that went to someone else
                status = rng.choice([Status.CANCELLED, Status.EXPIRED])
            visits.append(self.visit(slot, rng.choice(patients), status))
        return visits

    def patient(self, n: int) -> tuple[str, str, str]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        email = f"{first}.{last}{n}@{EMAIL_DOMAINS[n % len(EMAIL_DOMAINS)]}".lower()
        # A valid North American number for every patient, none the same: 7919 and 8,000,000 share no factor.
        phone = f"+1{AREA_CODES[n % len(AREA_CODES)]}{2_000_000 + n * 7919 % 8_000_000}"
        return f"{first} {last}", email, phone

    def visit(self, slot: Slot, patient: tuple[str, str, str], status: str) -> Visit:
        rng = self.rng
        name, email, phone = patient
        starts_at = slot.starts_at
        created = starts_at - timedelta(days=rng.choice([0, 1, 2, 3, 5, 7, 10, 14, 21, 30]), hours=rng.randint(1, 12))
        booking = Booking(
            reference="".join(rng.choices(REFERENCE_ALPHABET, k=REFERENCE_LENGTH)),
            slot=slot,
            status=status,
            patient_name=name,
            email=email,
            email_canonical=canonical_email(email),
            phone=phone,
            sms_consent=rng.random() < 0.8,
            price_cents=self.service.regular_price_cents,
            hold_expires_at=created + HOLD,  # also where created_at is read from once saved (save_bookings)
            review_before_visit=rng.random() < 0.02,
        )
        visit = Visit(booking=booking, starts_at=starts_at)
        if booking.sms_consent:
            booking.sms_consent_at = created
        if status == Status.EXPIRED:
            return visit
        booking.confirmed_at = created + timedelta(minutes=1)
        local = timezone.localtime(starts_at, self.tz)
        visit.words = {"first": name.split()[0], "visit": f"{local:%a %b %-d, %-I:%M %p}", "time": f"{local:%-I:%M %p}"}
        visit.messages = [(Kind.CONFIRMATION, Channel.EMAIL, booking.confirmed_at)]
        if booking.sms_consent:
            visit.messages.append((Kind.CONFIRMATION, Channel.SMS, booking.confirmed_at))
        visit.messages.append((Kind.CLINIC_NEW_BOOKING, Channel.EMAIL, booking.confirmed_at))
        if status == Status.CANCELLED:
            booking.cancelled_at = created + (starts_at - created) * rng.uniform(0.1, 0.9)
            booking.cancel_reason = rng.choice(["Patient called to cancel", "Cancelled online", "Clinician ill"])
            visit.messages.append((Kind.CANCELLATION, Channel.EMAIL, booking.cancelled_at))
            visit.paid = rng.random() < 0.3  # and refunded
        else:
            reminders = [(Kind.REMINDER_24H, Channel.EMAIL, starts_at - timedelta(hours=24))]
            if booking.sms_consent:
                reminders.insert(0, (Kind.REMINDER_24H, Channel.SMS, starts_at - timedelta(hours=24)))
                reminders.append((Kind.REMINDER_2H, Channel.SMS, starts_at - timedelta(hours=2)))
            visit.messages += [reminder for reminder in reminders if reminder[2] > booking.confirmed_at]
            visit.paid = rng.random() < 0.35
            if status == Status.ATTENDED and rng.random() < 0.7:
                visit.intake_at = max(starts_at - timedelta(hours=rng.randint(2, 48)), booking.confirmed_at)
        return visit

    def offers(self, visits: list[Visit]) -> int:
        """A $99 week each spring: its first eight visits kept (attended or not) got the offer's price."""
        kept = [visit for visit in visits if visit.booking.status in Status.consuming()]
        made = 0
        for year in range(self.first.year, self.today.year + 1):
            may_first = date(year, OFFER_MONTH, 1)
            monday = may_first + timedelta(days=(7 - may_first.weekday()) % 7 + 7)
            friday = monday + timedelta(days=4)
            if monday < self.first or friday >= self.today:
                continue
            promotion = Promotion.objects.create(
                service=self.service,
                name=f"Spring {year}: $99 assessment",
                headline="A week of $99 assessments for runners with low-back or hip pain",
                price_cents=OFFER_PRICE,
                spots=OFFER_SPOTS,
                visit_starts_on=monday,
                visit_ends_on=friday,
                opens_at=self.clinic.local_datetime(monday - timedelta(days=21), datetime.min.time()),
                closes_at=self.clinic.local_datetime(friday + timedelta(days=10), datetime.min.time()),
            )
            made += 1
            week = [v for v in kept if monday <= timezone.localtime(v.starts_at, self.tz).date() <= friday]
            for visit in week[:OFFER_SPOTS]:
                visit.booking.promotion, visit.booking.price_cents = promotion, OFFER_PRICE
        return made

    def save_bookings(self, visits: list[Visit]) -> None:
        after = Booking.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        Booking.objects.bulk_create([visit.booking for visit in visits], batch_size=BATCH)
        # created_at is stamped "now" on insert: set it back to when each booking was made.
        Booking.objects.filter(pk__gt=after).update(
            created_at=F("hold_expires_at") - HOLD, updated_at=F("hold_expires_at") - HOLD
        )

    def save_payments(self, visits: list[Visit]) -> int:
        payments = []
        for visit in (visit for visit in visits if visit.paid):
            booking = visit.booking
            refunded = booking.status == Status.CANCELLED
            payments.append(
                Payment(
                    booking=booking,
                    checkout_session_id=f"cs_history_{booking.reference}",
                    payment_intent_id=f"pi_history_{booking.reference}",
                    amount_cents=booking.price_cents,
                    status=Payment.Status.REFUNDED if refunded else Payment.Status.PAID,
                    amount_refunded_cents=booking.price_cents if refunded else 0,
                    paid_at=booking.confirmed_at,
                )
            )
        after = Payment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        Payment.objects.bulk_create(payments, batch_size=BATCH)
        Payment.objects.filter(pk__gt=after).update(created_at=F("paid_at"), updated_at=F("paid_at"))
        return len(payments)

    def save_intakes(self, visits: list[Visit]) -> int:
        intakes = [
            Intake(booking=visit.booking, completed_at=visit.intake_at, steps_done=[])
            for visit in visits
            if visit.intake_at
        ]
        after = Intake.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        Intake.objects.bulk_create(intakes, batch_size=BATCH)
        Intake.objects.filter(pk__gt=after).update(created_at=F("completed_at"), updated_at=F("completed_at"))
        return len(intakes)

    def save_messages(self, visits: list[Visit], wanted: int) -> int:
        """`wanted` messages, dealt round the bookings (each one's first, then each one's second, and so on),
        saved in the order they were sent."""
        chosen: list[tuple[datetime, Visit, str, str]] = []
        for rank in range(max((len(visit.messages) for visit in visits), default=0)):
            for visit in visits:
                if rank < len(visit.messages) and len(chosen) < wanted:
                    kind, channel, at = visit.messages[rank]
                    chosen.append((at, visit, kind, channel))
        chosen.sort(key=lambda sent: sent[0])
        after = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for start in range(0, len(chosen), BATCH):
            batch = chosen[start : start + BATCH]
            Message.objects.bulk_create([self.message(visit, kind, channel, at) for at, visit, kind, channel in batch])
        # Like created_at above: stamped "now" on insert, set back to when each was queued.
        Message.objects.filter(pk__gt=after).update(created_at=F("send_after"), updated_at=F("send_after"))
        return len(chosen)

    def message(self, visit: Visit, kind: str, channel: str, at: datetime) -> Message:
        booking, rng = visit.booking, self.rng
        roll = rng.random()
        status = SENT[channel] if roll < 0.95 else (Message.Status.FAILED if roll < 0.98 else Message.Status.SUPPRESSED)
        recipient = booking.email if channel == Channel.EMAIL else booking.phone
        return Message(
            booking=booking,
            channel=channel,
            kind=kind,
            recipient=self.clinic.email if kind == Kind.CLINIC_NEW_BOOKING else recipient,
            subject=SUBJECTS[kind].format(**visit.words) if channel == Channel.EMAIL else "",
            body=BODIES[kind].format(**visit.words),
            status=status,
            send_after=at,
            sent_at=at + timedelta(seconds=2) if status == SENT[channel] else None,
            attempts=0 if status == Message.Status.SUPPRESSED else 1,
            last_error="The carrier refused the message." if status == Message.Status.FAILED else "",
            provider_id=f"SM{rng.getrandbits(128):032x}" if channel == Channel.SMS else "",
            dedupe_key=f"history:{booking.reference}:{kind}:{channel}",
        )
