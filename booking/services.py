"""Booking writes. Every change that touches capacity happens here, under row locks.

Capacity is guarded the same way everywhere: inside one transaction, lock the
slot row, then the promotion rows a price depends on (in primary-key order),
then the booking; count the active bookings; then insert or update. Freeing
capacity needs no lock. Bookings therefore never wait on each other in a cycle.
"""

import logging
from collections.abc import Collection
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clinic.codes import LIFETIME as CODE_LIFETIME
from clinic.models import Practitioner
from clinic.privacy import mask_email, mask_phone

from .models import Booking, BookingEvent, Promotion, Service, Slot
from .rules import (
    ONE_PER_PATIENT,
    SLOT_UNAVAILABLE,
    SOLD_OUT,
    Patient,
    Quote,
    quote_move,
    quote_slot,
    same_patient,
    slot_unavailable_reason,
)
from .signals import (
    booking_cancelled,
    booking_confirmed,
    booking_rescheduled,
    capacity_freed,
    contact_changed,
    links_replaced,
)

logger = logging.getLogger(__name__)

FINISHED = (Booking.Status.CANCELLED, Booking.Status.EXPIRED)  # nothing left to open or to tell
BUSY = _("We are very busy right now and could not finish your booking. Please try again.")
NO_SHOW_TOO_SOON = "A no-show can be marked from the visit's start time on."
ARRIVED_TOO_SOON = "The patient can be checked in on the day of the visit."
MOVED_MEANWHILE = _("This visit has just been moved by someone else. Check its new time before moving it again.")
CHANGES_CLOSED = _("Online changes to this visit have closed. Please call the clinic.")
ONE_HOLD = _(
    "You already have a time on hold. Finish that booking (type the code we texted you, or pay), "
    "or let it go, before you choose another time."
)
# A discounted spot booked online to pay at the visit waits this long for the code texted to the patient's
# mobile (booking/verification.py): as long as the code works.
MOBILE_CHECK_HOLD = CODE_LIFETIME


class BookingError(Exception):
    """A booking rule said no. The message is written for the patient."""


class BookingBusy(BookingError):
    """The database was too busy to decide in time; nothing was decided, so the same request may be retried."""


class HoldPending(BookingError):
    """The patient (this browser, email or mobile) holds another time already: one live hold at a time."""

    def __init__(self, held: Booking):
        super().__init__(ONE_HOLD)
        self.held = held


class PriceChanged(BookingError):
    """The price is no longer the one the patient saw; nothing was booked."""

    def __init__(self, quote: Quote):
        super().__init__(_price_changed_message(quote))
        self.quote = quote


@contextmanager
def _capacity_transaction(*, durable: bool = False):
    """A transaction for a capacity check that gives up on a lock instead of queueing forever.

    `durable`: the outermost transaction, never a savepoint inside a caller's. Only an error before the
    commit is "busy": one in the commit, or in what runs after it, may follow a booking that was made.
    """
    with transaction.atomic(durable=durable):
        try:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('lock_timeout', %s, true)", [f"{settings.BOOKING_LOCK_TIMEOUT_MS}ms"]
                    )
            yield
        except OperationalError as exc:
            logger.warning("Booking gave up on a database lock or connection: %s", exc)
            raise BookingBusy(BUSY) from exc


def _record(booking: Booking, from_status: str, *, user=None, note: str = "", **fields) -> BookingEvent:
    return BookingEvent.objects.create(
        booking=booking, from_status=from_status, to_status=booking.status, user=user, note=note[:200], **fields
    )


def _lock_slot(slot_id: int) -> Slot:
    try:
        return Slot.objects.select_for_update(of=("self",)).select_related("service__clinic").get(pk=slot_id)
    except Slot.DoesNotExist:
        raise BookingError(SLOT_UNAVAILABLE) from None


def booking_hold(
    *,
    slot_id: int,
    patient: Patient,
    quoted_price_cents: int,
    hold_for: timedelta | None = None,
    resume: Collection[str] = (),
    now: datetime | None = None,
) -> Booking:
    """Hold a seat at the price the patient was shown, for `hold_for` (default BOOKING_HOLD_MINUTES).

    Raises PriceChanged (and books nothing) when the price is no longer the quoted one,
    for instance because the last discounted spot went a moment ago. `resume` holds the
    references this browser booked already: a second click on "confirm" gets the same booking.
    """
    return _book(
        slot_id=slot_id,
        patient=patient,
        quoted_price_cents=quoted_price_cents,
        hold_for=hold_for,
        resume=resume,
        now=now,
    )


def _book(
    *,
    slot_id: int,
    patient: Patient,
    quoted_price_cents: int,
    hold_for: timedelta | None = None,
    resume: Collection[str] = (),
    user=None,
    online: bool = True,
    now: datetime | None = None,
    confirm: bool = False,
    durable: bool = False,
) -> Booking:
    """Take a seat at the quoted price under the slot's (and the offer's) locks: held, or with `confirm` booked.

    A patient booking online holds one time at a time (HoldPending). One who books a discounted spot to pay
    at the visit gets it held, not booked, until they type the code texted to their mobile
    (booking/verification.py); staff booking a caller vouch for the number themselves.
    """
    with _capacity_transaction(durable=durable):
        slot = _lock_slot(slot_id)
        now = now or timezone.now()  # read after the lock: the wait for it may have crossed a deadline
        if resume and (existing := slot.bookings.active(now).filter(reference__in=resume).first()):
            awaits_code = user is None and existing.promotion_id and existing.phone_verified_at is None
            if confirm and existing.status == Booking.Status.HELD and not awaits_code:
                return booking_confirm(booking=existing, user=user, now=now)
            return existing
        if reason := slot_unavailable_reason(slot, now, online=online):
            raise BookingError(reason)
        quote = quote_slot(slot=slot, patient=patient, now=now, lock=True)
        if quote.price_cents != quoted_price_cents:
            raise PriceChanged(quote)
        patient_online = user is None and online
        if confirm and patient_online and quote.promotion:
            confirm, hold_for = False, MOBILE_CHECK_HOLD  # the spot waits for the code texted to the mobile
        if not confirm and patient_online and (held := _live_hold(patient, resume, now)):
            # Under the offer's lock for a discounted spot: two holds of one patient for two spots take turns.
            raise HoldPending(held)
        booking = Booking.objects.create(
            slot=slot,
            promotion=quote.promotion,
            status=Booking.Status.CONFIRMED if confirm else Booking.Status.HELD,
            patient_name=patient.name,
            email=patient.email,
            phone=patient.phone,
            sms_consent=patient.sms_consent,
            sms_consent_at=now if patient.sms_consent else None,
            language=patient.language,
            email_by_staff=patient.email_by_staff or user is not None,  # staff booking a caller type both
            phone_by_staff=patient.phone_by_staff or user is not None,
            price_cents=quote.price_cents,
            confirmed_at=now if confirm else None,
            requested_at=now,
            hold_expires_at=None if confirm else now + (hold_for or timedelta(minutes=settings.BOOKING_HOLD_MINUTES)),
        )
        _record(booking, "", user=user)
        if confirm:
            booking_confirmed.send(sender=Booking, booking=booking)
        return booking


def _live_hold(
    patient: Patient, browser: Collection[str], now: datetime, *, besides: Booking | None = None
) -> Booking | None:
    """A live hold this browser (the references it booked), email or mobile has asked for, `besides` aside: what a
    patient holds already. A time still being chosen (booking/holds.py: no details confirmed yet) is not one."""
    same = same_patient(patient) | Q(reference__in=browser)
    held = Booking.objects.filter(same, status=Booking.Status.HELD, hold_expires_at__gt=now, requested_at__isnull=False)
    return (held.exclude(pk=besides.pk) if besides else held).first()


def _price_changed_message(quote: Quote) -> str:
    if quote.notice == SOLD_OUT:
        lead = gettext("The last discounted spot has just been taken.")
    elif quote.notice == ONE_PER_PATIENT:
        lead = gettext("You already have a discounted assessment booked (one per patient).")
    else:
        lead = gettext("The price for this time has changed.")
    then = gettext("This time is %(price)s. Nothing is booked yet: confirm to book it at this price.")
    return f"{lead} {then % {'price': quote.price}}"


def booking_confirm(*, booking: Booking, user=None, now: datetime | None = None) -> Booking:
    """Confirm a held booking at its locked price. Idempotent.

    A hold that lapsed (a payment arriving late) confirms only if the visit is
    still ahead, its slot open and free, and, for a discounted price, a spot free.
    """
    with _capacity_transaction():
        slot = _lock_slot(booking.slot_id)
        promotion = Promotion.objects.select_for_update().get(pk=booking.promotion_id) if booking.promotion_id else None
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        now = now or timezone.now()
        if booking.status == Booking.Status.CONFIRMED:
            return booking
        if booking.status not in (Booking.Status.HELD, Booking.Status.EXPIRED):
            raise BookingError(_("This booking can no longer be confirmed."))
        if not booking.is_active(now):
            if reason := slot_unavailable_reason(slot, now, online=False):
                raise BookingError(reason)
            if promotion and promotion.bookings.active(now).count() >= promotion.spots:
                raise BookingError(SOLD_OUT)
        previous = booking.status
        booking.status = Booking.Status.CONFIRMED
        booking.confirmed_at = now
        booking.save(update_fields=["status", "confirmed_at", "updated_at"])
        _record(booking, previous, user=user)
        booking_confirmed.send(sender=Booking, booking=booking)
        return booking


def booking_create(
    *,
    slot_id: int,
    patient: Patient,
    quoted_price_cents: int,
    resume: Collection[str] = (),
    user=None,
    online: bool = True,
    now: datetime | None = None,
) -> Booking:
    """Book a slot with payment due at the visit: checked and confirmed in one locked pass.

    `online=False` is the front desk booking a caller: the online notice and horizon do not apply.
    """
    return _book(
        slot_id=slot_id,
        patient=patient,
        quoted_price_cents=quoted_price_cents,
        resume=resume,
        user=user,
        online=online,
        now=now,
        confirm=True,
        durable=True,
    )


def booking_reschedule(
    *,
    booking: Booking,
    slot_id: int,
    quoted_price_cents: int,
    user=None,
    now: datetime | None = None,
    until: datetime | None = None,
    online: bool = True,
    from_slot_id: int | None = None,
    by_patient: bool = False,
) -> Booking:
    """Move a confirmed booking to another slot at the price the patient was shown, in one transaction.

    The new slot is locked and checked as for a new booking (online, or at the desk: `online=False` lifts
    the notice and the horizon, as for booking a caller); the old seat, and a discounted spot the move gives
    up, are free again when this commits. Raises PriceChanged when the move's price is not the quoted one,
    and BookingError at or after `until` (a patient's cut-off), or when the booking is no longer in
    `from_slot_id`, the time whoever moves it was looking at (someone else moved it first).
    """
    with _capacity_transaction():
        slot = _lock_slot(slot_id)
        now = now or timezone.now()
        # Locked on its own: a lock taken through a join re-reads a row moved meanwhile against the slot it
        # left, and finds nothing (PostgreSQL's re-check under READ COMMITTED).
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status != Booking.Status.CONFIRMED:
            raise BookingError(_("Only a confirmed booking can be moved."))
        if from_slot_id is not None and booking.slot_id != from_slot_id:
            raise BookingError(MOVED_MEANWHILE)
        if until and now >= until:
            raise BookingError(CHANGES_CLOSED)
        if booking.slot_id == slot.pk:
            raise BookingError(_("Your visit is already at this time."))
        if slot.service_id != booking.slot.service_id:
            raise BookingError(SLOT_UNAVAILABLE)  # a move keeps the visit; another service is a new booking
        if reason := slot_unavailable_reason(slot, now, online=online):
            raise BookingError(reason)
        quote = quote_move(booking=booking, slot=slot)
        if quote.price_cents != quoted_price_cents:
            raise PriceChanged(quote)
        previous = booking.slot
        booking.slot, booking.promotion, booking.price_cents = slot, quote.promotion, quote.price_cents
        booking.save(update_fields=["slot", "promotion", "price_cents", "updated_at"])
        local = timezone.localtime(previous.starts_at, slot.service.clinic.tz)
        note = f"Moved from {local:%a %b %-d, %-I:%M %p}"
        move = _record(booking, booking.status, user=user, note=note, online=by_patient, moved_from=previous)
        booking_rescheduled.send(
            sender=Booking, booking=booking, previous_starts_at=previous.starts_at, move=move, by_patient=by_patient
        )
        capacity_freed.send(sender=Booking, booking=booking)
        return booking


def booking_extend_hold(*, booking: Booking, until: datetime, now: datetime | None = None) -> Booking:
    """Give a live hold more time (a waiting-list claim going on to payment). It takes no more capacity."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        now = now or timezone.now()
        if booking.status != Booking.Status.HELD or booking.hold_expires_at <= now:
            raise BookingError(_("This hold has lapsed."))
        if until > booking.hold_expires_at:
            booking.hold_expires_at = until
            booking.save(update_fields=["hold_expires_at", "updated_at"])
        return booking


def booking_release_hold(*, booking: Booking, now: datetime | None = None) -> bool:
    """Give a held slot back at once. Freeing capacity needs no lock; a booking confirmed meanwhile stays."""
    now = now or timezone.now()
    was_live = Booking.objects.filter(pk=booking.pk, status=Booking.Status.HELD, hold_expires_at__gt=now).exists()
    released = Booking.objects.filter(pk=booking.pk, status=Booking.Status.HELD).update(
        status=Booking.Status.EXPIRED, updated_at=now
    )
    if released:
        BookingEvent.objects.create(
            booking_id=booking.pk, from_status=Booking.Status.HELD, to_status=Booking.Status.EXPIRED, note="Released"
        )
        if was_live:  # a lapsed hold stopped counting when it lapsed: releasing it frees nothing
            capacity_freed.send(sender=Booking, booking=booking)
    return bool(released)


def booking_cancel(
    *,
    booking: Booking,
    reason: str,
    notify: bool = True,
    user=None,
    now: datetime | None = None,
    until: datetime | None = None,
    by_patient: bool = False,
) -> Booking:
    """Cancel a booking; its seat and spot are free again at once. Cancelling twice changes nothing.

    A confirmed booking's patient is told, unless the caller sends its own, more specific notice.
    `until` is a patient's cut-off: at or after it, BookingError.
    """
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        now = now or timezone.now()  # read after the lock
        if booking.status == Booking.Status.CANCELLED:
            return booking
        if until and now >= until:
            raise BookingError(CHANGES_CLOSED)
        if booking.status in (Booking.Status.ATTENDED, Booking.Status.NO_SHOW):
            raise BookingError(_("This visit has already taken place and cannot be cancelled."))
        previous = booking.status
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.cancel_reason = reason
        booking.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        event = _record(booking, previous, user=user, note=reason, online=by_patient)
        booking_cancelled.send(
            sender=Booking,
            booking=booking,
            event=event,
            notify=notify and previous == Booking.Status.CONFIRMED,
            by_patient=by_patient,
        )
        capacity_freed.send(sender=Booking, booking=booking)
        return booking


def booking_links_replace(*, booking: Booking, user=None) -> Booking:
    """End every private link made for the booking so far, and the browsers they let in; the patient is sent
    the new one (links_replaced)."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)  # on its own: see booking_reschedule
        if booking.status in FINISHED:
            raise BookingError("This booking is no longer on: it has no link to send.")
        booking.link_version += 1
        booking.save(update_fields=["link_version", "updated_at"])
        event = _record(booking, booking.status, user=user, note="New private link; earlier links ended")
        links_replaced.send(sender=Booking, booking=booking, event=event)
        return booking


def booking_change_contact(
    *, booking: Booking, name: str, email: str, phone: str, language: str | None = None, user=None
) -> Booking:
    """Staff correct the patient's name, email or mobile, or the language their messages are written in.

    The links sent so far went to the old email or mobile: a new one ends them, the booking's history keeps
    the change, masked, and a booking still on announces it (contact_changed, links_replaced): the old email
    or mobile is told, the new one gets the new link. What staff typed is marked as theirs.
    """
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)  # on its own: see booking_reschedule
        old_email, old_phone = booking.email, booking.phone
        changed = []
        if email != old_email:
            changed.append(f"email {mask_email(old_email)} → {mask_email(email)}")
            booking.email_by_staff = True
        if phone != old_phone:
            changed.append(f"mobile {mask_phone(old_phone)} → {mask_phone(phone)}")
            booking.phone_by_staff = True
        booking.patient_name, booking.email, booking.phone = name, email, phone
        booking.link_version += bool(changed)
        if language and language != booking.language:
            named = translation.get_language_info(language)["name"]
            _record(booking, booking.status, user=user, note=f"Messages now in {named}")
            booking.language = language
        fields = ["patient_name", "email", "phone", "language", "email_by_staff", "phone_by_staff", "link_version"]
        booking.save(update_fields=[*fields, "updated_at"])
        if changed:
            note = f"Changed {'; '.join(changed)}; earlier links ended"
            event = _record(booking, booking.status, user=user, note=note)
            if booking.status not in FINISHED:
                contact_changed.send(
                    sender=Booking, booking=booking, event=event, old_email=old_email, old_phone=old_phone
                )
                links_replaced.send(sender=Booking, booking=booking, event=event)
        return booking


def bookings_expire_lapsed_holds(*, now: datetime | None = None) -> int:
    """Mark lapsed holds expired. Only bookkeeping: a lapsed hold already stopped counting."""
    now = now or timezone.now()
    with transaction.atomic():
        lapsed = list(
            Booking.objects.select_for_update(skip_locked=True)
            .filter(status=Booking.Status.HELD, hold_expires_at__lte=now)
            .values_list("pk", flat=True)
        )
        Booking.objects.filter(pk__in=lapsed).update(status=Booking.Status.EXPIRED, updated_at=now)
        BookingEvent.objects.bulk_create(
            BookingEvent(
                booking_id=pk, from_status=Booking.Status.HELD, to_status=Booking.Status.EXPIRED, note="Lapsed"
            )
            for pk in lapsed
        )
    return len(lapsed)


def _visit_outcome(*, booking: Booking, to_status: str, user) -> Booking:
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)  # on its own: see booking_reschedule
        if booking.status == to_status:
            return booking
        if booking.status != Booking.Status.CONFIRMED:
            raise BookingError(f"Only a confirmed booking can be marked {Booking.Status(to_status).label.lower()}.")
        now, tz = timezone.now(), booking.slot.service.clinic.tz
        if to_status == Booking.Status.NO_SHOW and booking.slot.starts_at > now:
            raise BookingError(NO_SHOW_TOO_SOON)
        if timezone.localdate(now, tz) < timezone.localdate(booking.slot.starts_at, tz):
            raise BookingError(ARRIVED_TOO_SOON)  # a patient arrives early, not on another day
        booking.status = to_status
        booking.save(update_fields=["status", "updated_at"])
        _record(booking, Booking.Status.CONFIRMED, user=user)
        return booking


def booking_mark_attended(*, booking: Booking, user=None) -> Booking:
    return _visit_outcome(booking=booking, to_status=Booking.Status.ATTENDED, user=user)


def booking_mark_no_show(*, booking: Booking, user=None) -> Booking:
    return _visit_outcome(booking=booking, to_status=Booking.Status.NO_SHOW, user=user)


def slot_block(*, slot: Slot, reason: str, now: datetime | None = None) -> Slot:
    """Close an open time (a meeting, a training). A time with visits booked in it is moved or cancelled first."""
    if not reason.strip():
        raise BookingError("Say why the time is blocked.")
    with transaction.atomic():
        slot = _lock_slot(slot.pk)
        booked = slot.bookings.active(now or timezone.now()).count()
        if booked:
            raise BookingError(
                f"This time has {booked} visit{'s' if booked > 1 else ''} booked: move or cancel them first."
            )
        slot.is_blocked, slot.block_reason = True, reason.strip()
        slot.save(update_fields=["is_blocked", "block_reason"])
        return slot


def slot_unblock(*, slot: Slot) -> Slot:
    """Open a blocked time again; waiting patients may now be offered it."""
    with transaction.atomic():
        slot = _lock_slot(slot.pk)
        if slot.is_blocked:
            slot.is_blocked, slot.block_reason = False, ""
            slot.save(update_fields=["is_blocked", "block_reason"])
            capacity_freed.send(sender=Slot, booking=None)
        return slot


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
    closed = clinic.closed_days(start, end)
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
        if periods and day in closed:
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


HOLD_LAPSED = _("Sorry, this time is no longer held for you.")


def booking_move_hold(
    *, booking: Booking, slot_id: int, quoted_price_cents: int, now: datetime | None = None
) -> Booking:
    """Move a live hold to another time at the price the patient was shown: the same hold, never a second one.

    The new slot is locked and checked as for a new online booking, then the offer's row, then the hold, as
    every booking locks them. The hold keeps its end, and its discounted spot when the new day is inside the
    offer's visit window (counted again under the offer's lock); the old seat is free again when this commits.
    Raises PriceChanged when the move's price is not the quoted one, and BookingError when the hold lapsed or
    the time cannot be booked.
    """
    with _capacity_transaction():
        slot = _lock_slot(slot_id)
        promotion = Promotion.objects.select_for_update().get(pk=booking.promotion_id) if booking.promotion_id else None
        booking = Booking.objects.select_for_update().get(pk=booking.pk)  # on its own: see booking_reschedule
        now = now or timezone.now()  # read after the locks
        if booking.status != Booking.Status.HELD or booking.hold_expires_at <= now:
            raise BookingError(HOLD_LAPSED)
        if booking.slot_id == slot.pk:
            return booking
        if slot.service_id != booking.slot.service_id:
            raise BookingError(SLOT_UNAVAILABLE)
        if reason := slot_unavailable_reason(slot, now, online=True):
            raise BookingError(reason)
        quote = quote_move(booking=booking, slot=slot)
        if quote.price_cents != quoted_price_cents:
            raise PriceChanged(quote)
        if quote.promotion and promotion.bookings.active(now).exclude(pk=booking.pk).count() >= promotion.spots:
            raise BookingError(SOLD_OUT)  # the hold's own spot is the one it keeps: none is taken twice
        previous = booking.slot
        booking.slot, booking.promotion, booking.price_cents = slot, quote.promotion, quote.price_cents
        booking.save(update_fields=["slot", "promotion", "price_cents", "updated_at"])
        local = timezone.localtime(previous.starts_at, slot.service.clinic.tz)
        _record(booking, booking.status, note=f"Hold moved from {local:%a %b %-d, %-I:%M %p}", moved_from=previous)
        capacity_freed.send(sender=Booking, booking=booking)
        return booking
