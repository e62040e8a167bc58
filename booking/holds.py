"""A time held for a patient from the moment they choose it, while they type their details.

Choosing a time on a day's page takes a hold: a Booking in "held" with no patient yet, made under the
same locks as a booking (booking/services.py), for BOOKING_HOLD_MINUTES. The seat, and at the discounted
price one of the offer's spots, are the patient's while they type. Their details are kept on the hold, so
the review is a page of its own (reload and Back are safe) and a hold that lapses keeps what was typed.
Confirming turns the hold into the booking: confirmed, or held on for the code texted to the mobile or for
the payment, as a booking made in one step would be.

A browser chooses one time at a time: choosing another gives back the one it was choosing, and a time it
has already asked for (waiting for its code or its payment) stops the choice instead (HoldPending). One
address holds at most DISCOUNTED_PER_ADDRESS discounted times being chosen at once, so a script that keeps
no cookies cannot hold every $99 spot by choosing times it never books; a further choice there is offered
at the regular price.
"""

from collections.abc import Collection
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Booking, Slot
from .rules import Patient, Quote, quote_slot, slot_unavailable_reason
from .services import (
    MOBILE_CHECK_HOLD,
    BookingError,
    HoldPending,
    PriceChanged,
    _capacity_transaction,
    _live_hold,
    _lock_slot,
    _record,
    booking_release_hold,
)
from .signals import booking_confirmed, capacity_freed

DISCOUNTED_PER_ADDRESS = 2
GONE = _(
    "We held this time for you for {minutes} minutes, and it has gone since. "
    "Your details are kept: choose another time."
)
NO_DETAILS = _("Tell us who the visit is for first.")
BUSY_ADDRESS = _(
    "Discounted times are already being booked from your connection, so this time is at the regular rate. "
    "Finish those bookings first, or call us and we will help."
)


class HoldLapsed(BookingError):
    """The patient's hold lapsed and its time went to someone else: their details are kept on it."""


def _hold_for() -> timedelta:
    return timedelta(minutes=settings.BOOKING_HOLD_MINUTES)


def browser_choice(browser: Collection[str], *, now: datetime) -> Booking | None:
    """The time this browser is choosing now: its live hold without confirmed details."""
    return (
        Booking.objects.filter(
            reference__in=browser, status=Booking.Status.HELD, hold_expires_at__gt=now, requested_at__isnull=True
        )
        .select_related("slot__service__clinic")
        .first()
    )


def _details_typed(browser: Collection[str]) -> Booking | None:
    """The details this browser typed last for a time it did not book: the next time chosen starts with them."""
    return (
        Booking.objects.filter(reference__in=browser, requested_at__isnull=True)
        .exclude(patient_name="")
        .order_by("-updated_at")
        .first()
    )


def hold_take(
    *,
    slot_id: int,
    browser: Collection[str] = (),
    address: str = "",
    language: str = "en",
    now: datetime | None = None,
) -> Booking:
    """Hold the slot (and, at the discounted price, a spot) for the patient choosing it in this browser.

    The browser's earlier choice is given back; choosing the time it already holds gets that hold again.
    `address`: where the choice comes from (clinic.client.address_key), whose discounted holds are counted.
    """
    with _capacity_transaction(durable=True):
        slot = _lock_slot(slot_id)
        now = now or timezone.now()
        mine = Booking.objects.filter(reference__in=browser, status=Booking.Status.HELD, hold_expires_at__gt=now)
        if asked := mine.filter(requested_at__isnull=False).first():
            raise HoldPending(asked)
        for choosing in mine:
            if choosing.slot_id == slot.pk:
                return choosing
            booking_release_hold(booking=choosing, now=now)
        if reason := slot_unavailable_reason(slot, now):
            raise BookingError(reason)
        quote = quote_slot(slot=slot, now=now, lock=True)
        if quote.promotion and _address_full(address, now):
            quote = _regular(slot)
        typed = _details_typed(browser)
        booking = Booking.objects.create(
            slot=slot,
            promotion=quote.promotion,
            status=Booking.Status.HELD,
            price_cents=quote.price_cents,
            hold_expires_at=now + _hold_for(),
            patient_name=typed.patient_name if typed else "",
            email=typed.email if typed else "",
            phone=typed.phone if typed else "",
            sms_consent=typed.sms_consent if typed else False,
            held_from=address,
            language=language,
        )
        _record(booking, "", note="Time chosen online")
        return booking


def _address_full(address: str, now: datetime) -> bool:
    """Whether the address holds as many discounted times being chosen as it may (under the offer's lock when
    booking)."""
    held = Booking.objects.filter(
        held_from=address,
        promotion__isnull=False,
        status=Booking.Status.HELD,
        hold_expires_at__gt=now,
        requested_at__isnull=True,
    )
    return bool(address) and held.count() >= DISCOUNTED_PER_ADDRESS


def _regular(slot: Slot) -> Quote:
    return Quote(price_cents=slot.service.regular_price_cents, notice=BUSY_ADDRESS)


def _keep(booking: Booking, slot: Slot, now: datetime) -> None:
    """Under the slot's lock: a lapsed hold is taken again while its time is free, else HoldLapsed."""
    if booking.is_active(now):
        return
    if slot_unavailable_reason(slot, now, holding=booking):
        raise HoldLapsed(GONE.format(minutes=settings.BOOKING_HOLD_MINUTES))
    previous = booking.status
    booking.status, booking.hold_expires_at = Booking.Status.HELD, now + _hold_for()
    if previous != booking.status:
        _record(booking, previous, note="Held again")


def hold_quote(
    booking: Booking, *, patient: Patient | None = None, now: datetime | None = None, lock: bool = False
) -> Quote:
    """The price of the time a patient is choosing, for them: their own hold takes no spot from them, and a
    hold without a discounted spot gets none while its address holds as many as it may."""
    now = now or timezone.now()
    quote = quote_slot(slot=booking.slot, now=now, patient=patient, lock=lock, holding=booking)
    if quote.promotion and not booking.promotion_id and _address_full(booking.held_from, now):
        return _regular(booking.slot)
    return quote


def _priced(booking: Booking, quote: Quote) -> None:
    """Under the locks: the hold at the quote's price, its discounted spot kept or given back."""
    gives_up_spot = booking.promotion_id and quote.promotion is None
    booking.promotion, booking.price_cents = quote.promotion, quote.price_cents
    if gives_up_spot:
        capacity_freed.send(sender=Booking, booking=booking)


def hold_details_save(*, booking: Booking, patient: Patient, now: datetime | None = None) -> Booking:
    """Keep the patient's details on the time they are choosing, priced for them (one discount per patient).

    A hold that lapsed is taken again if its time is still free; if not, the details are kept all the same
    (the next time this browser chooses starts with them) and HoldLapsed says so.
    """
    lapsed = None
    with _capacity_transaction(durable=True):
        slot = _lock_slot(booking.slot_id)
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        now = now or timezone.now()
        if not booking.choosing:
            raise BookingError(_("This time is already booked or given back."))
        booking.patient_name, booking.email, booking.phone = patient.name, patient.email, patient.phone
        booking.sms_consent, booking.language = patient.sms_consent, patient.language
        try:
            _keep(booking, slot, now)
            _priced(booking, hold_quote(booking, patient=patient, now=now, lock=True))
        except HoldLapsed as exc:
            lapsed = exc
        booking.save()
    if lapsed:
        raise lapsed
    return booking


def hold_request(
    *,
    booking: Booking,
    quoted_price_cents: int,
    hold_for: timedelta | None = None,
    proven_mobile: str = "",
    now: datetime | None = None,
) -> Booking:
    """The patient confirms the time they hold at the price they were shown.

    Paying at the visit, it is booked; a discounted spot waits for the code texted to the mobile
    (booking/verification.py), unless the booking's mobile is `proven_mobile` (this browser opened the
    booking link texted to it); with `hold_for` (paying online) it stays held that long for the payment.
    Confirming twice changes nothing. Raises PriceChanged (and books nothing) when the price is not the
    quoted one, HoldLapsed when the hold lapsed and its time went, HoldPending when the same patient is
    already paying for or verifying another time.
    """
    with _capacity_transaction(durable=True):
        slot = _lock_slot(booking.slot_id)
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        booking.slot = slot  # with its service and clinic, for what the confirmation sends
        now = now or timezone.now()
        if booking.requested_at:
            return booking  # a second click on "confirm", or Back and confirm again
        if not booking.choosing:
            raise BookingError(_("This time can no longer be booked from here."))
        if not booking.patient_name:
            raise BookingError(NO_DETAILS)
        patient = Patient.of(booking)
        _keep(booking, slot, now)
        quote = hold_quote(booking, patient=patient, now=now, lock=True)
        if quote.price_cents != quoted_price_cents:
            raise PriceChanged(quote)
        if held := _live_hold(patient, (), now, besides=booking):
            raise HoldPending(held)
        previous = booking.status
        _priced(booking, quote)
        booking.requested_at = now
        booking.sms_consent_at = now if booking.sms_consent else None
        note = "Details confirmed online"
        if proven_mobile and booking.phone == proven_mobile:
            booking.phone_verified_at = now
            note += "; mobile proven by the booking link texted to it"
        if hold_for is None and (not quote.promotion or booking.phone_verified_at):
            booking.status, booking.confirmed_at, booking.hold_expires_at = Booking.Status.CONFIRMED, now, None
        else:
            booking.hold_expires_at = now + (hold_for or MOBILE_CHECK_HOLD)
        booking.save()
        _record(booking, previous, note="" if booking.status == previous else note)
        if booking.status == Booking.Status.CONFIRMED:
            booking_confirmed.send(sender=Booking, booking=booking)
        return booking
