"""The waiting list: joining it, offering freed capacity down it in order, and claiming an offer.

An offer is a hold on a slot (a Booking in "held"), made by `booking_hold` under
the same locks as any booking, so offers can never exceed free capacity however
many workers run. Entries are locked (skipping ones another worker holds) while
an offer is made, claimed, declined or closed, so each gets one offer at a time.
Lock order: entry, then slot, promotion and booking, as bookings take them.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

from booking.models import Booking, Payment, Promotion, Service, Slot, bookings_taken
from booking.payments import checkout_hold
from booking.rules import ONE_PER_PATIENT, Patient, quote_slot
from booking.selectors import free_slots
from booking.services import (
    MOBILE_CHECK_HOLD,
    BookingBusy,
    BookingError,
    PriceChanged,
    booking_confirm,
    booking_extend_hold,
    booking_hold,
    booking_move_hold,
    booking_release_hold,
)
from booking.stripe_gateway import payments_online
from clinic.quiet_hours import in_quiet_hours

from .models import WaitlistEntry
from .signals import entry_joined, offer_made

logger = logging.getLogger(__name__)

Status = WaitlistEntry.Status
CANDIDATES = 20  # slots tried per offer; each try is a locked check


class AlreadyWaiting(Exception):
    pass


class OfferClosed(Exception):
    """The offer lapsed, was declined, or was given to someone else; the message is for the patient."""


class OfferChanged(Exception):
    """The time held is not the one the patient claimed from (they moved it in another window); nothing was
    booked. The message is for the patient."""


# Joining ---------------------------------------------------------------------------------------


def promotion_sold_out(promotion: Promotion, *, now: datetime) -> bool:
    """Whether the offer is open, a visit at its price can still be had, and every spot is taken."""
    return (
        promotion.visits_ahead(now)
        and Promotion.objects.open_at(now).filter(pk=promotion.pk).exists()
        and promotion.bookings.active(now).count() >= promotion.spots
    )


def _entries_of(*, service: Service, promotion: Promotion | None, day):
    if promotion:
        return WaitlistEntry.objects.filter(promotion=promotion)
    return WaitlistEntry.objects.filter(service=service, day=day)


def _entry_add(*, service: Service, promotion: Promotion | None = None, day=None, **fields) -> WaitlistEntry:
    """A new entry at the end of its list, in a savepoint of its own: AlreadyWaiting when the database's constraints
    find the email or the number waiting on that list already (for two joins at once as for one)."""
    try:
        with transaction.atomic():
            last = _entries_of(service=service, promotion=promotion, day=day).aggregate(last=Max("position"))["last"]
            return WaitlistEntry.objects.create(
                service=service, promotion=promotion, day=None if promotion else day, position=(last or 0) + 1, **fields
            )
    except IntegrityError:
        raise AlreadyWaiting from None


def waitlist_join(*, service: Service, patient: Patient, promotion: Promotion | None = None, day=None) -> WaitlistEntry:
    """Add a patient at the end of a list; one live entry per email and per phone on each list.

    The database's constraints decide "already waiting", for two joins at once as for one. The patient is told
    (entry_joined), with the link that takes them off the list again.
    """
    with transaction.atomic():
        entry = _entry_add(
            service=service,
            promotion=promotion,
            day=day,
            name=patient.name,
            email=patient.email,
            phone=patient.phone,
            sms_consent=patient.sms_consent,
            language=patient.language,
        )
        entry_joined.send(sender=WaitlistEntry, entry=entry)
        return entry


def waitlist_join_by_text(*, promotion: Promotion, phone: str, language: str) -> tuple[WaitlistEntry, bool]:
    """Put a mobile that texted WAIT on the offer's waiting list: the entry, and whether it is new.

    It has the number only, agreed to texts (it asked by text); the name and email come later, from the link the
    reply to the text carries (`entry_details_save`), and until then its offers go by text alone. A number already
    waiting on the list (by text or from the site) gets its entry back. The reply to the text tells them, so no
    entry_joined is sent.
    """
    try:
        entry = _entry_add(
            service=promotion.service, promotion=promotion, phone=phone, sms_consent=True, language=language
        )
        return entry, True
    except AlreadyWaiting:
        live = WaitlistEntry.objects.filter(promotion=promotion, phone=phone, status__in=Status.live()).first()
        if live is None:  # it left the list in between: join now
            return waitlist_join_by_text(promotion=promotion, phone=phone, language=language)
        return live, False


class DetailsRefused(Exception):
    """The name and email cannot be kept for this entry; the message is for the patient."""


ALREADY_ON_THE_LIST = _("This email is already on this waiting list with another mobile number. Please call us.")
OFF_THE_LIST = _("You are no longer on this waiting list, so there is nothing to add.")


def entry_details_save(*, entry: WaitlistEntry, name: str, email: str) -> WaitlistEntry:
    """The name and email of someone waiting (who joined by text): kept on the entry, and on the place held for them
    if an offer is open and the place has none yet, so the booking it becomes is theirs by name.

    Refused (DetailsRefused) once they are off the list, or when the email waits on the same list already.
    """
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
        if entry.status not in Status.live():
            raise DetailsRefused(gettext(OFF_THE_LIST))
        entry.name, entry.email = name, email
        try:
            with transaction.atomic():
                entry.save(update_fields=["name", "email", "updated_at"])
        except IntegrityError:
            raise DetailsRefused(gettext(ALREADY_ON_THE_LIST)) from None
        if entry.status == Status.OFFERED and entry.booking_id:
            held = Booking.objects.select_for_update().get(pk=entry.booking_id)
            if held.status == Booking.Status.HELD and not held.patient_name:
                held.patient_name, held.email = name, email
                held.save(update_fields=["patient_name", "email", "updated_at"])
        return entry


def waitlist_leave(*, entry: WaitlistEntry, now: datetime | None = None) -> WaitlistEntry:
    """The patient takes themselves off the list (the link in the email that confirmed the join).

    A place held for them is released for the next person, as declining it does. Leaving twice, or once the list
    is done with them (booked, declined, lapsed, taken off by staff), changes nothing.
    """
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update(of=("self",)).select_related("booking").get(pk=entry.pk)
        if entry.status not in Status.live():
            return entry
        booking = entry.booking
        if entry.has_booked:
            entry.status = Status.BOOKED  # booked a moment ago (the code typed, or paid): the sweep would say so
        else:
            if entry.status == Status.OFFERED and booking and booking.status == Booking.Status.HELD:
                booking_release_hold(booking=booking, now=now)
            entry.status = Status.LEFT
        entry.save(update_fields=["status", "updated_at"])
        return entry


def place_in_line(entry: WaitlistEntry) -> int:
    # The order offers follow: position, then time of joining, then id.
    ahead = WaitlistEntry.objects.filter(**entry.list_filter(), status__in=Status.live()).filter(
        Q(position__lt=entry.position)
        | Q(position=entry.position, created_at__lt=entry.created_at)
        | Q(position=entry.position, created_at=entry.created_at, pk__lt=entry.pk)
    )
    return ahead.count() + 1


# Offering --------------------------------------------------------------------------------------


def _candidate_slots(entry: WaitlistEntry, now: datetime) -> list[Slot]:
    """The free times the entry waits for: inside its offer's visit window, or on its day."""
    promotion = entry.promotion
    first, last = (promotion.visit_starts_on, promotion.visit_ends_on) if promotion else (entry.day, entry.day)
    return free_slots(entry.service, now, first, last)[:CANDIDATES]


def _hold_for(entry: WaitlistEntry, now: datetime) -> Booking | None:
    """Hold a free time for this entry, or None when its list has nothing free. Removes an entry it cannot serve."""
    patient = Patient(
        name=entry.name,
        email=entry.email,
        phone=entry.phone,
        sms_consent=entry.sms_consent,
        email_by_staff=entry.email_by_staff,
        phone_by_staff=entry.phone_by_staff,
        language=entry.language,  # the place offered, and every message about it, in their language
    )
    hold_for = timedelta(minutes=settings.WAITLIST_OFFER_MINUTES)
    for slot in _candidate_slots(entry, now):
        slot.service = entry.service
        if entry.promotion_id:
            price = entry.promotion.price_cents
        else:
            price = quote_slot(slot=slot, now=now, patient=patient).price_cents
        try:
            return booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=price, hold_for=hold_for, now=now)
        except PriceChanged as exc:
            if not entry.promotion_id:
                continue  # waiting for a time, not a price: the next sweep quotes afresh
            if exc.quote.notice == ONE_PER_PATIENT:
                entry.status = Status.REMOVED  # they have a discounted visit booked already
                entry.save(update_fields=["status", "updated_at"])
            return None  # no discounted spot is free for them
        except BookingBusy:
            return None  # the next sweep tries again
        except BookingError:
            continue  # that time went meanwhile, or is closed
    return None


OFFERED, SKIPPED = "offered", "skipped"


def _open_offers_to_the_same_person():
    # An entry joined by text has no email yet: it is the same person as another by its number only.
    same_email = Q(email_canonical=OuterRef("email_canonical")) & ~Q(email_canonical="")
    same_person = same_email | Q(phone=OuterRef("phone"))
    return WaitlistEntry.objects.filter(same_person, status=Status.OFFERED)


def _offer_next(list_filter: dict, now: datetime) -> str | None:
    """Offer the first entry waiting on one list a freed place.

    OFFERED when it was offered one, SKIPPED when it left the list instead (go on to the next),
    None when there is no one, or nothing free.
    """
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("service__clinic", "promotion")
            .filter(**list_filter, status=Status.WAITING)
            .exclude(Exists(_open_offers_to_the_same_person()))  # one open offer per person, across lists
            .order_by("position", "created_at", "pk")
            .first()
        )
        if entry is None or in_quiet_hours(now, entry.service.clinic.tz):
            return None
        booking = _hold_for(entry, now)
        if booking is None:
            return SKIPPED if entry.status == Status.REMOVED else None  # go on if this one left the list
        entry.status, entry.booking = Status.OFFERED, booking
        entry.save(update_fields=["status", "booking", "updated_at"])
        offer_made.send(sender=WaitlistEntry, booking=booking, expires_at=booking.hold_expires_at)
        return OFFERED


def offers_close(*, now: datetime) -> int:
    """Settle offers that ended: booked when the hold was confirmed, lapsed (hold released) when it was not."""
    closed = 0
    with transaction.atomic():
        entries = (
            WaitlistEntry.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("booking")
            .filter(status=Status.OFFERED)
            # A live hold is an open offer, or one claimed and being paid for (a claim extends the hold).
            .exclude(booking__status=Booking.Status.HELD, booking__hold_expires_at__gt=now)
        )
        for entry in entries:
            booking = entry.booking
            if booking and booking.status in Booking.Status.consuming():
                entry.status = Status.BOOKED
            else:
                if booking:
                    booking_release_hold(booking=booking, now=now)
                entry.status = Status.LAPSED
            entry.save(update_fields=["status", "updated_at"])
            closed += 1
    return closed


def offers_make(*, now: datetime | None = None) -> int:
    """Close ended offers, then offer what is free to each list's first person waiting. Run every minute."""
    now = now or timezone.now()
    offers_close(now=now)
    waiting = WaitlistEntry.objects.filter(status=Status.WAITING)
    # An offer's list is served only while the offer is open with a spot free: the rest wait without a try.
    promotions = (
        Promotion.objects.open_at(now)
        .filter(pk__in=waiting.values("promotion_id"))
        .annotate(taken=bookings_taken(now))
        .filter(taken__lt=F("spots"))
        .values_list("pk", flat=True)
    )
    lists = [{"promotion_id": pk} for pk in promotions]
    lists += [
        {"service_id": service_id, "day": day}
        for service_id, day in waiting.filter(day__isnull=False).values_list("service_id", "day").distinct()
    ]
    made = 0
    for list_filter in lists:
        while outcome := _offer_next(list_filter, now):
            made += outcome == OFFERED  # an entry taken off the list is no offer
    return made


# Answering an offer ----------------------------------------------------------------------------


# Whether the place went to the next person or is open to anyone, the page says (selectors.place_goes_to_next).
# The patient's words, kept as English text (tests and logs compare them) and translated when raised.
LAPSED = _("Sorry, this offer has ended, so we could not book the time for you.")
HOLD_CHANGED = _("The time held for you was changed in another window. Here it is now: check it, then claim it.")
BOOKED_ALREADY = _("You have booked this place already. To change its time, use the link to your booking.")
NOT_IN_THIS_OFFER = _("Sorry, your place cannot move to that time. Please choose one of the times listed.")
PAYING = _("You have started paying for this time, so it cannot be changed now. Please finish paying, or call us.")


def _given_away(booking: Booking, slot: Slot, promotion: Promotion | None, now: datetime) -> bool:
    """Whether the held seat, or its discounted spot, is taken by someone else at `now`."""
    others = Booking.objects.active(now).exclude(pk=booking.pk)
    if others.filter(slot_id=slot.pk).count() >= slot.capacity:
        return True
    return promotion is not None and others.filter(promotion_id=promotion.pk).count() >= promotion.spots


def offer_claim(*, entry: WaitlistEntry, held_slot_id: int | None = None, now: datetime | None = None) -> WaitlistEntry:
    """Take the offered time. Pay-at-visit books it now; with online payment the hold lasts while the patient pays.

    `held_slot_id`: the time the patient saw held. Moved since (in another window), nothing is claimed (OfferChanged).
    """
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
        if entry.status == Status.BOOKED:
            return entry
        if entry.status != Status.OFFERED or entry.booking_id is None:
            raise OfferClosed(gettext(LAPSED))
        # Lock the seat and the spot as a booking does, and only then read the clock: a sweep that saw
        # this hold lapse may have given the place away while this waited for the locks.
        held = Booking.objects.only("slot_id", "promotion_id").get(pk=entry.booking_id)
        slot = Slot.objects.select_for_update(of=("self",)).get(pk=held.slot_id)
        promotion = Promotion.objects.select_for_update().get(pk=held.promotion_id) if held.promotion_id else None
        booking = Booking.objects.select_for_update().get(pk=entry.booking_id)
        now = now or timezone.now()
        if not booking.is_active(now):
            raise OfferClosed(gettext(LAPSED))
        if booking.status == Booking.Status.HELD and _given_away(booking, slot, promotion, now):
            raise OfferClosed(gettext(LAPSED))
        if booking.status == Booking.Status.HELD and held_slot_id is not None and held_slot_id != booking.slot_id:
            raise OfferChanged(gettext(HOLD_CHANGED))
        if booking.status == Booking.Status.CONFIRMED:
            entry.status = Status.BOOKED
        elif payments_online():
            entry.booking = booking_extend_hold(booking=booking, until=now + checkout_hold(), now=now)
        elif booking.promotion_id and not entry.phone_by_staff:
            # A discounted spot paid at the visit waits for the code texted to the mobile (booking/verification.py).
            entry.booking = booking_extend_hold(booking=booking, until=now + MOBILE_CHECK_HOLD, now=now)
        else:
            booking_confirm(booking=booking, now=now)
            entry.status = Status.BOOKED
        entry.save(update_fields=["status", "updated_at"])
        return entry


def offer_decline(*, entry: WaitlistEntry, now: datetime | None = None) -> WaitlistEntry:
    """Say no: the hold is released and the next person is offered it."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update(of=("self",)).select_related("booking").get(pk=entry.pk)
        if entry.status != Status.OFFERED:
            return entry
        if entry.has_booked:
            entry.status = Status.BOOKED  # booked a moment ago (the code typed, or paid): nothing to let go
        else:
            if entry.booking and entry.booking.status == Booking.Status.HELD:
                booking_release_hold(booking=entry.booking, now=now)
            entry.status = Status.DECLINED
        entry.save(update_fields=["status", "updated_at"])
        return entry


def _in_offer_window(entry: WaitlistEntry, slot: Slot) -> bool:
    """Whether a time is one the entry waits for: inside its offer's visit window, or on its day."""
    day = timezone.localtime(slot.starts_at, entry.service.clinic.tz).date()
    return entry.promotion.covers(day) if entry.promotion_id else day == entry.day


def offer_switch(*, entry: WaitlistEntry, slot_id: int, now: datetime | None = None) -> Booking:
    """Move the place held for the entry to another free time it waits for, at the same price.

    The same hold moves (booking_move_hold: the new time's, the offer's and the hold's locks, the seat and the
    offer's spots counted under them), so the patient keeps the offer, its end and their place, and holds one
    time, never two; the time they leave is free again. Not once they have begun paying for the time held.
    """
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update(of=("self",))
            .select_related("service__clinic", "promotion")
            .get(pk=entry.pk)
        )
        if entry.status == Status.BOOKED:
            raise OfferClosed(gettext(BOOKED_ALREADY))
        if entry.status != Status.OFFERED or entry.booking_id is None:
            raise OfferClosed(gettext(LAPSED))
        slot = Slot.objects.filter(pk=slot_id, service_id=entry.service_id).first()
        if slot is None or not _in_offer_window(entry, slot):
            raise BookingError(gettext(NOT_IN_THIS_OFFER))
        held = Booking.objects.get(pk=entry.booking_id)
        if held.status in Booking.Status.consuming():
            raise OfferClosed(gettext(BOOKED_ALREADY))  # the code was typed, or it was paid, in another window
        if held.payments.filter(status__in=[Payment.Status.OPEN, Payment.Status.PROCESSING]).exists():
            raise BookingError(gettext(PAYING))
        try:
            return booking_move_hold(booking=held, slot_id=slot.pk, quoted_price_cents=held.price_cents, now=now)
        except PriceChanged:
            raise BookingError(gettext(NOT_IN_THIS_OFFER)) from None  # the offer's price only
