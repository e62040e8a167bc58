import secrets
from datetime import date, datetime

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, F, Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone

from clinic.contact import CanonicalEmail
from clinic.models import Clinic, Practitioner
from clinic.privacy import validate_person_name
from clinic.translated import Translated

# Crockford-style alphabet: no 0/O or 1/I/L to misread over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 16  # about 79 bits: unguessable, so it can sit in a URL


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def format_cents(cents: int) -> str:
    dollars, rest = divmod(cents, 100)
    return f"${dollars:,}" if rest == 0 else f"${dollars:,}.{rest:02d}"


# The clinic's currency, as Stripe writes it: every price here is in its cents (shown with "$" by
# format_cents). Checkout Sessions are made in it, and a session paid in any other confirms nothing.
CURRENCY = "usd"

# Stripe's currencies without minor units: an amount of 100 in JPY is 100 yen.
ZERO_DECIMAL_CURRENCIES = frozenset(
    ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
)


def format_amount(amount: int, currency: str) -> str:
    """An amount in whatever currency Stripe reports, for staff: "99.00 USD", "100 JPY"."""
    code = currency.upper() or "(no currency)"
    if currency in ZERO_DECIMAL_CURRENCIES:
        return f"{amount:,} {code}"
    return f"{amount // 100:,}.{amount % 100:02d} {code}"


class Service(Translated, models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=120)
    name_es = models.CharField(
        "name in Spanish", max_length=120, blank=True, default="", help_text="Empty: the English name is shown."
    )
    duration_minutes = models.PositiveSmallIntegerField(default=60, validators=[MinValueValidator(5)])
    summary = models.TextField(blank=True, help_text="One or two sentences for the booking pages.")
    summary_es = models.TextField(
        "summary in Spanish",
        blank=True,
        default="",
        help_text="One or two sentences for the booking pages, in Spanish. Empty: the English text is shown.",
    )
    includes = models.TextField(blank=True, help_text="What the visit includes, one item per line.")
    includes_es = models.TextField(
        "includes, in Spanish",
        blank=True,
        default="",
        help_text="What the visit includes, one item per line, in Spanish. Empty: the English list is shown.",
    )
    regular_price_cents = models.PositiveIntegerField(help_text="In cents: 17500 is $175.")
    is_active = models.BooleanField(default=True)

    translated_fields = ("name", "summary", "includes")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gte=5), name="service_duration_at_least_5"),
        ]

    def __str__(self):
        return self.name

    @property
    def included_items(self) -> list[str]:
        """What the visit includes, as the patient reads it (in their language)."""
        return [line.strip() for line in self.translated.includes.splitlines() if line.strip()]

    @property
    def regular_price(self) -> str:
        return format_cents(self.regular_price_cents)


class Slot(models.Model):
    """A time a patient can book; `capacity` patients may share it."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="slots")
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="slots"
    )
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField(default=1)
    is_blocked = models.BooleanField("blocked", default=False, help_text="Blocked slots cannot be booked.")
    block_reason = models.CharField("why blocked", max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"),
            models.UniqueConstraint(
                fields=["service", "practitioner", "starts_at"],
                condition=Q(practitioner__isnull=False),
                name="slot_unique_per_practitioner",
            ),
            models.UniqueConstraint(
                fields=["service", "starts_at"],
                condition=Q(practitioner__isnull=True),
                name="slot_unique_without_practitioner",
            ),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at, self.service.clinic.tz)
        return f"{self.service} · {local:%a %b %-d, %Y %-I:%M %p %Z}"


class PromotionQuerySet(models.QuerySet):
    def open_at(self, now: datetime) -> "PromotionQuerySet":
        """Offers taking bookings at `now`; one priced at or above the regular rate is no offer."""
        return self.filter(
            is_active=True,
            opens_at__lte=now,
            closes_at__gt=now,
            price_cents__lt=F("service__regular_price_cents"),
        )


class Promotion(Translated, models.Model):
    """A limited number of discounted visits inside a visit window, until the offer closes."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="promotions")
    name = models.CharField(max_length=120, help_text="Patients on its waiting list read it.")
    name_es = models.CharField(
        "name in Spanish", max_length=120, blank=True, default="", help_text="Empty: the English name is shown."
    )
    headline = models.CharField(max_length=200, blank=True, help_text="A line on the offer page.")
    headline_es = models.CharField(
        "headline in Spanish",
        max_length=200,
        blank=True,
        default="",
        help_text="A line on the offer page, in Spanish. Empty: the English headline is shown.",
    )
    price_cents = models.PositiveIntegerField(help_text="In cents: 9900 is $99.")
    spots = models.PositiveSmallIntegerField(help_text="How many discounted visits can be booked.")
    visit_starts_on = models.DateField(help_text="First day a discounted visit may fall on (clinic time).")
    visit_ends_on = models.DateField(help_text="Last day a discounted visit may fall on (clinic time).")
    opens_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField(help_text="When the offer ends and the regular rate applies.")
    is_active = models.BooleanField("active", default=True)

    objects = PromotionQuerySet.as_manager()
    translated_fields = ("name", "headline")

    class Meta:
        ordering = ["-closes_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visit_ends_on__gte=F("visit_starts_on")), name="promotion_window_in_order"
            ),
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="promotion_closes_after_open"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.visit_starts_on and self.visit_ends_on and self.visit_ends_on < self.visit_starts_on:
            errors["visit_ends_on"] = "The visit window must end on or after its first day."
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = "The offer must close after it opens."
        if self.price_cents is not None and self.service_id and self.price_cents >= self.service.regular_price_cents:
            errors["price_cents"] = "The promotional price must be below the regular price."
        if self.pk and self.spots is not None:
            taken = self.bookings.active(timezone.now()).count()
            if self.spots < taken:
                errors["spots"] = f"{taken} discounted visits are already booked: spots cannot be fewer."
        if errors:
            raise ValidationError(errors)

    @property
    def price(self) -> str:
        return format_cents(self.price_cents)

    def visits_ahead(self, now: datetime) -> bool:
        """Whether a visit at this price can still be had: its visit window is not over (clinic time)."""
        return timezone.localtime(now, self.service.clinic.tz).date() <= self.visit_ends_on

    def covers(self, day: date) -> bool:
        """Whether a visit on this local date is inside the visit window."""
        return self.visit_starts_on <= day <= self.visit_ends_on


class BookingQuerySet(models.QuerySet):
    def active(self, now: datetime) -> "BookingQuerySet":
        """Bookings that take up a seat and a spot: live holds and kept visits."""
        return self.filter(active_q(now))


def active_q(now: datetime, prefix: str = "") -> Q:
    """Booking rows that count against capacity at `now`; a lapsed hold stops counting at once."""
    return Q(**{f"{prefix}status__in": Booking.Status.consuming()}) | Q(
        **{f"{prefix}status": Booking.Status.HELD, f"{prefix}hold_expires_at__gt": now}
    )


def bookings_taken(now: datetime, *, besides: "Booking | None" = None) -> Count:
    """A slot's seats or an offer's spots taken at `now` (its active bookings), to annotate each row with;
    `besides`: a booking not to count (the patient's own hold, when pricing it for them)."""
    taken = active_q(now, "bookings__")
    if besides is not None:
        taken &= ~Q(bookings__pk=besides.pk)
    return Count("bookings", filter=taken)


class Booking(CanonicalEmail, models.Model):
    class Status(models.TextChoices):
        HELD = "held", "Held"
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "No-show"

        @classmethod
        def consuming(cls) -> list[str]:
            # A no-show still used the visit (and its discounted spot).
            return [cls.CONFIRMED, cls.ATTENDED, cls.NO_SHOW]

    reference = models.CharField(max_length=REFERENCE_LENGTH, unique=True, default=new_reference, editable=False)
    # In every private link (booking/links.py): raising it ends the links sent before.
    link_version = models.PositiveIntegerField(default=1, editable=False)
    # Typed by staff (a phone booking, a change at the desk), not by the patient: whoever typed it may read
    # what is sent there, so no code that opens saved answers goes to it.
    email_by_staff = models.BooleanField(default=False, editable=False)
    phone_by_staff = models.BooleanField(default=False, editable=False)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.HELD, db_index=True)
    patient_name = models.CharField(max_length=120, validators=[validate_person_name])
    email = models.EmailField(blank=True, help_text="A caller booked by the front desk may have none.")
    # The email as the one-per-patient rules compare it (clinic/contact.py), kept in step by save().
    email_canonical = models.CharField(max_length=254, default="", editable=False, db_index=True)
    phone = models.CharField("mobile phone", max_length=20, help_text="E.164, for example +16195550123.")
    phone_verified_at = models.DateTimeField(
        "mobile verified",
        null=True,
        blank=True,
        editable=False,
        help_text="When the patient typed the code texted to it.",
    )
    sms_consent = models.BooleanField("agreed to texts", default=False)
    # The patient's language, from the pages they booked on: every message to them is written in it.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    sms_consent_at = models.DateTimeField(null=True, blank=True)
    price_cents = models.PositiveIntegerField(help_text="The price locked when the slot was held, in cents.")
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    # A patient holds a time from the moment they choose it (booking/holds.py) and types their details into
    # that hold; until they confirm them this stays empty, and the hold is only a time being chosen.
    # Where a time being chosen online was held from (clinic/client.py address_key): an address holds only so
    # many discounted times at once (booking/holds.py).
    held_from = models.CharField(max_length=32, blank=True, default="", editable=False)
    requested_at = models.DateTimeField(
        "details confirmed",
        null=True,
        blank=True,
        editable=False,
        help_text="When the patient (or staff) confirmed the details; empty while a patient is still choosing.",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    review_before_visit = models.BooleanField(
        default=False, help_text="The intake's red-flag screen had a yes: a clinician reviews it before the visit."
    )
    patient_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the patient answered YES to a reminder."
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["promotion", "status"]),
            models.Index(fields=["phone"]),
            # The front desk's search by name (booking/search.py): any part of it, case aside, on PostgreSQL
            # (its migration leaves it out on SQLite).
            GinIndex(OpClass(Upper("patient_name"), name="gin_trgm_ops"), name="booking_name_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="held") | Q(hold_expires_at__isnull=False), name="booking_hold_has_expiry"
            ),
        ]

    def __str__(self):
        return f"{self.patient_name or 'Being booked online'} · {self.reference}"

    def get_absolute_url(self) -> str:
        return reverse("booking:booking_detail", args=[self.reference])

    @property
    def price(self) -> str:
        return format_cents(self.price_cents)

    @property
    def first_name(self) -> str:
        return self.patient_name.split()[0] if self.patient_name.strip() else ""

    @property
    def choosing(self) -> bool:
        """A time held online while the patient types their details: not yet asked for."""
        return self.requested_at is None and self.status in (self.Status.HELD, self.Status.EXPIRED)

    def is_active(self, now: datetime) -> bool:
        if self.status == self.Status.HELD:
            return self.hold_expires_at > now
        return self.status in self.Status.consuming()


class Payment(models.Model):
    """One Stripe Checkout Session for a booking, and what became of it."""

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting payment"
        PROCESSING = "processing", "Processing"  # completed with a delayed method (bank debit)
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired unpaid"
        REFUNDED = "refunded", "Refunded in full"
        # Paid through a session this site did not make for this booking, or for the wrong amount or
        # currency: it confirms nothing and is refunded in full (see refusal_reason).
        REFUSED = "refused", "Refused and refunded"

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="payments")
    checkout_session_id = models.CharField(max_length=255, unique=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default=CURRENCY)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    amount_refunded_cents = models.PositiveIntegerField(default=0)
    refusal_reason = models.CharField("why refused", max_length=200, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("refund_payment", "Can refund payments")]

    def __str__(self):
        return f"{self.amount} · {self.get_status_display()}"

    @property
    def amount(self) -> str:
        return self.in_currency(self.amount_cents)

    @property
    def amount_refunded(self) -> str:
        return self.in_currency(self.amount_refunded_cents)

    def in_currency(self, amount: int) -> str:
        """An amount in this payment's currency: a refused one keeps what was really paid, in whatever currency."""
        return format_cents(amount) if self.currency == CURRENCY else format_amount(amount, self.currency)


class Refund(models.Model):
    """Money sent back for a payment. The row exists before Stripe is asked, so a retry reuses its key."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"  # not yet accepted by Stripe
        PENDING = "pending", "Pending"
        REQUIRES_ACTION = "requires_action", "Needs action in Stripe"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

        @classmethod
        def void(cls) -> list[str]:
            # No money goes back: the rest is sent, on its way, or about to be asked for.
            return [cls.FAILED, cls.CANCELED]

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.PositiveIntegerField()
    reason = models.CharField(max_length=200)
    idempotency_key = models.CharField(max_length=100, unique=True)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.amount} refund · {self.get_status_display()}"

    @property
    def amount(self) -> str:
        return self.payment.in_currency(self.amount_cents)  # in the payment's currency


class DeskPayment(models.Model):
    """Money the front desk took for a visit: cash, the card terminal or another way. Never refunded here."""

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        CARD = "card", "Card terminal"
        OTHER = "other", "Other"

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="desk_payments")
    method = models.CharField(max_length=8, choices=Method.choices)
    amount_cents = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    taken_at = models.DateTimeField(default=timezone.now, db_index=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["taken_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="desk_payment_positive")]

    def __str__(self):
        return f"{self.amount} · {self.get_method_display()}"

    @property
    def amount(self) -> str:
        return format_cents(self.amount_cents)


class StripeEvent(models.Model):
    """A webhook event already processed; Stripe may deliver one more than once."""

    id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=100)
    processed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.type} {self.id}"


class BookingEvent(models.Model):
    """A booking's history: each change of status, who made it and when (no user: the patient or the system)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=12, choices=Booking.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Booking.Status.choices)
    note = models.CharField(max_length=200, blank=True)
    # Made by the patient through their private link (a cancellation or a move): the front desk is told.
    online = models.BooleanField("by the patient online", default=False)
    moved_from = models.ForeignKey(Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_from_status_display() or 'new'} → {self.get_to_status_display()}"
