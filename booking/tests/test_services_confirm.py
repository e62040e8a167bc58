from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from booking.models import Booking
from booking.rules import Patient
from booking.services import BookingError, booking_confirm, booking_hold, bookings_expire_lapsed_holds
from booking.tasks import expire_lapsed_holds
from booking.tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db

LATER = timedelta(minutes=30)


def test_confirming_a_live_hold_confirms_it(service, patient):
    held = booking_hold(slot_id=SlotFactory(service=service).pk, patient=patient, quoted_price_cents=175_00)
    booking = booking_confirm(booking=held)
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.confirmed_at is not None


def test_confirming_twice_changes_nothing(service, patient):
    held = booking_hold(slot_id=SlotFactory(service=service).pk, patient=patient, quoted_price_cents=175_00)
    first = booking_confirm(booking=held)
    second = booking_confirm(booking=held)
    assert second.confirmed_at == first.confirmed_at
    assert Booking.objects.filter(status=Booking.Status.CONFIRMED).count() == 1


def test_lapsed_hold_confirms_when_its_seat_is_still_free(service, patient):
    held = booking_hold(slot_id=SlotFactory(service=service).pk, patient=patient, quoted_price_cents=175_00)
    with time_machine.travel(timezone.now() + LATER):
        assert booking_confirm(booking=held).status == Booking.Status.CONFIRMED


def test_lapsed_hold_does_not_confirm_into_a_seat_someone_else_took(service, patient):
    slot = SlotFactory(service=service)
    held = booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    with time_machine.travel(timezone.now() + LATER):
        BookingFactory(slot=slot)
        with pytest.raises(BookingError):
            booking_confirm(booking=held)
    held.refresh_from_db()
    assert held.status == Booking.Status.HELD


def test_lapsed_promo_hold_does_not_confirm_once_the_spots_are_gone(promotion, patient):
    promotion.spots = 1
    promotion.save()
    held = booking_hold(slot_id=SlotFactory(service=promotion.service).pk, patient=patient, quoted_price_cents=99_00)
    with time_machine.travel(timezone.now() + LATER):
        BookingFactory(slot=SlotFactory(service=promotion.service), promotion=promotion)
        with pytest.raises(BookingError, match="discounted spots are all taken"):
            booking_confirm(booking=held)


def test_cancelled_booking_cannot_be_confirmed(service):
    booking = BookingFactory(slot=SlotFactory(service=service), status=Booking.Status.CANCELLED)
    with pytest.raises(BookingError, match="can no longer be confirmed"):
        booking_confirm(booking=booking)


def test_cleanup_marks_only_lapsed_holds_expired(service, patient):
    lapsing = booking_hold(slot_id=SlotFactory(service=service).pk, patient=patient, quoted_price_cents=175_00)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        fresh = booking_hold(
            slot_id=SlotFactory(service=service).pk,
            patient=Patient(name="B", email="b@example.com", phone="+16195550199"),
            quoted_price_cents=175_00,
        )
    confirmed = BookingFactory(slot=SlotFactory(service=service))
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert expire_lapsed_holds.apply().get() == 1
        assert bookings_expire_lapsed_holds() == 0
    statuses = {b.pk: b.status for b in Booking.objects.all()}
    assert statuses == {lapsing.pk: "expired", fresh.pk: "held", confirmed.pk: "confirmed"}


def test_lapsed_hold_does_not_confirm_a_blocked_slot(service, patient):
    slot = SlotFactory(service=service)
    held = booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    slot.is_blocked = True
    slot.save()
    with time_machine.travel(timezone.now() + LATER), pytest.raises(BookingError):
        booking_confirm(booking=held)


def test_lapsed_hold_does_not_confirm_once_the_visit_has_started(service, patient):
    slot = SlotFactory(service=service, starts_at=timezone.now() + timedelta(hours=3))
    held = booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    with time_machine.travel(slot.starts_at + timedelta(minutes=1)), pytest.raises(BookingError):
        booking_confirm(booking=held)


def test_lapsed_hold_inside_minimum_notice_still_confirms(service, patient):
    # The patient paid before the visit: the online booking cut-off no longer applies.
    slot = SlotFactory(service=service, starts_at=timezone.now() + timedelta(hours=3))
    held = booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    with time_machine.travel(slot.starts_at - timedelta(hours=1)):
        assert booking_confirm(booking=held).status == Booking.Status.CONFIRMED


def test_late_confirm_honours_the_locked_discount_after_the_offer_closed(promotion, patient):
    promotion.closes_at = timezone.now() + timedelta(minutes=10)
    promotion.save()
    held = booking_hold(slot_id=SlotFactory(service=promotion.service).pk, patient=patient, quoted_price_cents=99_00)
    with time_machine.travel(timezone.now() + LATER):
        booking = booking_confirm(booking=held)
    assert (booking.status, booking.price_cents, booking.promotion) == ("confirmed", 99_00, promotion)
