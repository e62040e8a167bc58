"""Which price a slot is booked at: the promotion's, or the service's regular rate."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from .models import Promotion, Slot, format_cents


@dataclass(frozen=True)
class Patient:
    name: str
    email: str
    phone: str  # E.164
    sms_consent: bool = False


@dataclass(frozen=True)
class Quote:
    price_cents: int
    promotion: Promotion | None = None
    # Why the discounted price does not apply, when the patient would expect it to.
    notice: str = ""

    @property
    def price(self) -> str:
        return format_cents(self.price_cents)


SOLD_OUT = "The discounted spots are all taken, so this time is at the regular rate."
ONE_PER_PATIENT = (
    "You already have a discounted assessment booked (one per patient), so this time is at the regular rate."
)


def slot_local_date(slot: Slot):
    return timezone.localtime(slot.starts_at, slot.service.clinic.tz).date()


def promotions_covering(slot: Slot, now: datetime):
    """Open promotions whose visit window contains the slot's local date, cheapest first."""
    day = slot_local_date(slot)
    return Promotion.objects.filter(
        service_id=slot.service_id,
        is_active=True,
        opens_at__lte=now,
        closes_at__gt=now,
        visit_starts_on__lte=day,
        visit_ends_on__gte=day,
    ).order_by("price_cents", "pk")


def quote_slot(*, slot: Slot, now: datetime, patient: Patient | None = None, lock: bool = False) -> Quote:
    """The price for this slot now. With `lock`, the promotion rows stay locked until commit."""
    promotions = promotions_covering(slot, now)
    if lock:
        promotions = promotions.select_for_update()
    notice = ""
    for promotion in promotions:
        active = promotion.bookings.active(now)
        if active.count() >= promotion.spots:
            notice = SOLD_OUT
            continue
        if patient and active.filter(Q(email__iexact=patient.email) | Q(phone=patient.phone)).exists():
            notice = ONE_PER_PATIENT
            continue
        return Quote(price_cents=promotion.price_cents, promotion=promotion)
    return Quote(price_cents=slot.service.regular_price_cents, notice=notice)
