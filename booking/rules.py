"""The booking rules that pages (reads) and services (writes, under locks) both apply."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.contact import canonical_email
from clinic.dates import month_day

from .models import Booking, Promotion, Slot, bookings_taken, format_cents

SLOT_TAKEN = _("Sorry, someone has just booked that time. Please choose another.")
SLOT_UNAVAILABLE = _("Sorry, that time can no longer be booked online. Please choose another.")
SOLD_OUT = _("The discounted spots are all taken, so this time is at the regular rate.")
MOVE_LOSES_DISCOUNT = _(
    "The discounted price is for visits from {first} to {last}, so this time is at the regular rate."
)
ONE_PER_PATIENT = _(
    "You already have a discounted assessment booked (one per patient), so this time is at the regular rate."
)


@dataclass(frozen=True)
class Patient:
    name: str
    email: str
    phone: str  # E.164
    sms_consent: bool = False
    # The email or mobile was typed by staff, not by the patient (booking/models.py says why it matters).
    email_by_staff: bool = False
    phone_by_staff: bool = False
    language: str = "en"  # the pages' language: every message to them is written in it

    @classmethod
    def of(cls, booking: Booking) -> "Patient":
        """Who a booking (or a hold with its details typed) is for, as the booking rules compare patients."""
        return cls(name=booking.patient_name, email=booking.email, phone=booking.phone, language=booking.language)


@dataclass(frozen=True)
class Quote:
    price_cents: int
    promotion: Promotion | None = None
    # Why the discounted price does not apply, when the patient would expect it to.
    notice: str = ""

    @property
    def price(self) -> str:
        return format_cents(self.price_cents)


def slot_local_date(slot: Slot) -> date:
    return timezone.localtime(slot.starts_at, slot.service.clinic.tz).date()


def booking_window(now: datetime) -> tuple[datetime, datetime]:
    """The earliest and latest start a patient may book online at `now`."""
    return (
        now + timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS),
        now + timedelta(days=settings.BOOKING_DAYS_AHEAD),
    )


def slot_unavailable_reason(
    slot: Slot, now: datetime, *, online: bool = True, holding: Booking | None = None
) -> str | None:
    """Why this slot cannot be booked now, or None when it can.

    Online bookings keep to the notice and horizon settings. The front desk booking
    a caller, or a payment arriving after its hold lapsed, only need the visit
    still ahead and the slot open and free. `holding`: the patient's own hold on it, which takes no seat
    from them.
    """
    earliest, latest = booking_window(now) if online else (now, None)
    if slot.is_blocked or not slot.service.is_active or slot.starts_at < earliest:
        return SLOT_UNAVAILABLE
    if latest and slot.starts_at >= latest:
        return SLOT_UNAVAILABLE
    day = slot_local_date(slot)
    if day in slot.service.clinic.closed_days(day, day):
        return SLOT_UNAVAILABLE
    if _others(slot.bookings.active(now), holding).count() >= slot.capacity:
        return SLOT_TAKEN
    return None


def _others(bookings, holding: Booking | None):
    return bookings.exclude(pk=holding.pk) if holding else bookings


def quote_slot(
    *, slot: Slot, now: datetime, patient: Patient | None = None, lock: bool = False, holding: Booking | None = None
) -> Quote:
    """The price for this slot now. With `lock`, the promotion rows a discount needs stay locked until commit.

    `holding`: the patient's own hold on the slot; the spot it holds is theirs, not taken from them.

    Only a discounted booking takes a spot, so the rows are locked (and counted again) only
    while an offer has a spot left: once all are taken, the regular price is decided at once,
    without queueing behind the bookings that hold those locks or looking up the patient's
    earlier discounts.
    """
    day = slot_local_date(slot)
    promotions = Promotion.objects.open_at(now).filter(service_id=slot.service_id)
    counted = promotions.annotate(taken=bookings_taken(now, besides=holding))
    candidates = sorted((p for p in counted if p.covers(day)), key=lambda p: (p.price_cents, p.pk))
    regular = slot.service.regular_price_cents
    if not candidates:
        return Quote(price_cents=regular)
    if not any(p.taken < p.spots for p in candidates):
        return Quote(price_cents=regular, notice=SOLD_OUT)  # decided without a lock: never a discount
    if lock:
        # Lock in primary-key order, as every booking does, then count again.
        locked = promotions.filter(pk__in=[p.pk for p in candidates]).select_for_update(of=("self",)).order_by("pk")
        candidates = sorted(locked, key=lambda p: (p.price_cents, p.pk))
    if patient and patient_has_discount(patient, service_id=slot.service_id, now=now, holding=holding):
        return Quote(price_cents=regular, notice=ONE_PER_PATIENT)
    for promotion in candidates:
        # Under the lock, counted again.
        taken = _others(promotion.bookings.active(now), holding).count() if lock else promotion.taken
        if taken < promotion.spots:
            return Quote(price_cents=promotion.price_cents, promotion=promotion)
    return Quote(price_cents=regular, notice=SOLD_OUT)


def quote_move(*, booking: Booking, slot: Slot) -> Quote:
    """The price of moving a booking to `slot`: a discount stays when the new day is inside its offer's visit window.

    The booking keeps (or gives up) the spot it already holds, so no spot count is needed.
    """
    promotion = booking.promotion
    if promotion and promotion.service_id == slot.service_id and promotion.covers(slot_local_date(slot)):
        return Quote(price_cents=booking.price_cents, promotion=promotion)
    notice = ""
    if promotion:
        notice = MOVE_LOSES_DISCOUNT.format(
            first=month_day(promotion.visit_starts_on), last=month_day(promotion.visit_ends_on)
        )
    return Quote(price_cents=slot.service.regular_price_cents, notice=notice)


def same_patient(patient: Patient) -> Q:
    """Bookings of the same patient: the same inbox (clinic/contact.py), when they gave one, or the same mobile."""
    same = Q(phone=patient.phone)
    if patient.email.strip():
        same |= Q(email_canonical=canonical_email(patient.email))
    return same


def patient_has_discount(patient: Patient, *, service_id: int, now: datetime, holding: Booking | None = None) -> bool:
    """One discounted assessment per patient while it is active: the same inbox or the same mobile, which for a
    discounted spot is one its patient proved by a code or a payment. `holding`: the hold being booked."""
    return (
        _others(Booking.objects.active(now), holding)
        .filter(slot__service_id=service_id, promotion__isnull=False)
        .filter(same_patient(patient))
        .exists()
    )


def intake_is_open(booking: Booking, *, now: datetime | None = None) -> bool:
    """Patients may change their intake answers until the visit starts.

    A rule about the booking's own time and status, kept here rather than in assessments (the intake app) so
    the booking's manage page can offer the questionnaire link without importing the app above it; the link
    itself is one of the booking's private links (links.py).
    """
    now = now or timezone.now()
    return now < booking.slot.starts_at and booking.status in (Booking.Status.HELD, Booking.Status.CONFIRMED)
