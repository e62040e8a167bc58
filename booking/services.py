"""Booking rules. Every write that touches capacity happens here, under row locks.

Capacity is guarded the same way everywhere: inside one transaction, lock the
slot row (and the promotion rows a price depends on), count the active
bookings, then insert or update. Locks are always taken slot first, then
promotion, so two bookings never wait on each other in a cycle.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from clinic.models import Practitioner

from .models import Booking, Promotion, Service, Slot
from .pricing import ONE_PER_PATIENT, SOLD_OUT, Patient, Quote, quote_slot
from .selectors import SLOT_TAKEN, SLOT_UNAVAILABLE, slot_unavailable_reason


class BookingError(Exception):
    """A booking rule said no. The message is written for the patient."""


class PriceChanged(BookingError):
    """The price is no longer the one the patient saw; nothing was booked."""

    def __init__(self, message: str, *, price_cents: int):
        super().__init__(message)
        self.price_cents = price_cents


BUSY = "We are very busy right now and could not finish your booking. Please try again."


@contextmanager
def _capacity_transaction():
    """A transaction for a capacity check; gives up on a lock after a few seconds instead of queueing forever."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '5s'")
            yield
    except OperationalError as exc:
        raise BookingError(BUSY) from exc


def _lock_slot(slot_id: int) -> Slot:
    try:
        return Slot.objects.select_for_update(of=("self",)).select_related("service__clinic").get(pk=slot_id)
    except Slot.DoesNotExist:
        raise BookingError(SLOT_UNAVAILABLE) from None


def _check_seat_free(slot: Slot, now: datetime) -> None:
    if slot.bookings.active(now).count() >= slot.capacity:
        raise BookingError(SLOT_TAKEN)


def booking_hold(*, slot_id: int, patient: Patient, quoted_price_cents: int, now: datetime | None = None) -> Booking:
    """Hold a seat at the price the patient was shown, for BOOKING_HOLD_MINUTES.

    Raises PriceChanged (and books nothing) when the price is no longer the quoted one,
    for instance because the last discounted spot went a moment ago.
    """
    now = now or timezone.now()
    with _capacity_transaction():
        slot = _lock_slot(slot_id)
        if reason := slot_unavailable_reason(slot, now):
            raise BookingError(reason)
        quote = quote_slot(slot=slot, patient=patient, now=now, lock=True)
        if quote.price_cents != quoted_price_cents:
            raise PriceChanged(_price_changed_message(quote), price_cents=quote.price_cents)
        return Booking.objects.create(
            slot=slot,
            promotion=quote.promotion,
            status=Booking.Status.HELD,
            patient_name=patient.name,
            email=patient.email,
            phone=patient.phone,
            sms_consent=patient.sms_consent,
            sms_consent_at=now if patient.sms_consent else None,
            price_cents=quote.price_cents,
            hold_expires_at=now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES),
        )


def _price_changed_message(quote: Quote) -> str:
    if quote.notice == SOLD_OUT:
        lead = "The last discounted spot has just been taken."
    elif quote.notice == ONE_PER_PATIENT:
        lead = "You already have a discounted assessment booked (one per patient)."
    else:
        lead = "The price for this time has changed."
    return f"{lead} This time is {quote.price}. Nothing is booked yet: confirm to book it at this price."


def booking_confirm(*, booking: Booking, now: datetime | None = None) -> Booking:
    """Confirm a held booking. Idempotent; a lapsed hold confirms only if its seat and spot are still free."""
    now = now or timezone.now()
    with _capacity_transaction():
        slot = _lock_slot(booking.slot_id)
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status == Booking.Status.CONFIRMED:
            return booking
        if booking.status not in (Booking.Status.HELD, Booking.Status.EXPIRED):
            raise BookingError("This booking can no longer be confirmed.")
        if not booking.is_active(now):
            _check_seat_free(slot, now)
            if booking.promotion_id:
                promotion = Promotion.objects.select_for_update().get(pk=booking.promotion_id)
                if promotion.bookings.active(now).count() >= promotion.spots:
                    raise BookingError(SOLD_OUT)
        booking.status = Booking.Status.CONFIRMED
        booking.confirmed_at = now
        booking.save(update_fields=["status", "confirmed_at", "updated_at"])
        return booking


def booking_create(*, slot_id: int, patient: Patient, quoted_price_cents: int, now: datetime | None = None) -> Booking:
    """Book a slot with payment due at the visit: hold it and confirm it in one transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = booking_hold(slot_id=slot_id, patient=patient, quoted_price_cents=quoted_price_cents, now=now)
        return booking_confirm(booking=booking, now=now)


def bookings_expire_lapsed_holds(*, now: datetime | None = None) -> int:
    """Mark lapsed holds expired. Only bookkeeping: a lapsed hold already stopped counting."""
    now = now or timezone.now()
    return Booking.objects.filter(status=Booking.Status.HELD, hold_expires_at__lte=now).update(
        status=Booking.Status.EXPIRED, updated_at=now
    )


@dataclass
class SlotPlan:
    """What generating slots would do: the new slots, and what it leaves out."""

    new: list[Slot] = field(default_factory=list)
    existing: int = 0
    closed_days: list[date] = field(default_factory=list)


def slots_plan(*, service: Service, start: date, end: date, practitioner: Practitioner | None = None) -> SlotPlan:
    """The slots the clinic's opening hours give from `start` to `end` (inclusive), back to back."""
    clinic = service.clinic
    hours_by_weekday: dict[int, list] = {}
    for period in clinic.opening_hours.all():
        hours_by_weekday.setdefault(period.weekday, []).append(period)
    closures = list(clinic.closures.filter(starts_on__lte=end, ends_on__gte=start))
    taken = set(
        Slot.objects.filter(
            service=service,
            practitioner=practitioner,
            starts_at__gte=clinic.local_datetime(start, datetime.min.time()),
            starts_at__lt=clinic.local_datetime(end + timedelta(days=1), datetime.min.time()),
        ).values_list("starts_at", flat=True)
    )
    length = timedelta(minutes=service.duration_minutes)
    plan = SlotPlan()
    day = start
    while day <= end:
        periods = hours_by_weekday.get(day.weekday(), [])
        if periods and any(c.starts_on <= day <= c.ends_on for c in closures):
            plan.closed_days.append(day)
            periods = []
        for period in periods:
            starts_at = clinic.local_datetime(day, period.opens_at)
            closes_at = clinic.local_datetime(day, period.closes_at)
            while starts_at + length <= closes_at:
                if starts_at in taken:
                    plan.existing += 1
                else:
                    plan.new.append(
                        Slot(
                            service=service, practitioner=practitioner, starts_at=starts_at, ends_at=starts_at + length
                        )
                    )
                starts_at += length
        day += timedelta(days=1)
    return plan


def slots_generate(*, service: Service, start: date, end: date, practitioner: Practitioner | None = None) -> SlotPlan:
    """Create the slots from opening hours that do not exist yet; closed days get none."""
    plan = slots_plan(service=service, start=start, end=end, practitioner=practitioner)
    Slot.objects.bulk_create(plan.new, ignore_conflicts=True)
    return plan
