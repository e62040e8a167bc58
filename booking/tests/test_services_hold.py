from datetime import timedelta

import pytest
import time_machine
from django.db import OperationalError, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from booking.models import Booking
from booking.rules import Patient
from booking.services import BookingError, PriceChanged, booking_create, booking_hold, booking_release_hold
from booking.signals import capacity_freed
from booking.tests.factories import BookingFactory, PromotionFactory, SlotFactory
from clinic.tests.factories import ClosureFactory

pytestmark = pytest.mark.django_db


def other_patient(n: int = 1) -> Patient:
    return Patient(name=f"Other Runner {n}", email=f"other{n}@example.com", phone=f"+1619555{n:04d}")


def test_hold_locks_the_regular_price_for_hold_minutes(service, patient, settings):
    settings.BOOKING_HOLD_MINUTES = 7
    slot = SlotFactory(service=service)
    now = timezone.now()
    booking = booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00, now=now)
    assert booking.status == Booking.Status.HELD
    assert booking.price_cents == 175_00
    assert booking.promotion is None
    assert booking.hold_expires_at == now + timedelta(minutes=7)
    assert booking.sms_consent_at == now


def test_slot_never_takes_more_bookings_than_its_capacity(service, patient):
    slot = SlotFactory(service=service, capacity=2)
    booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    booking_create(slot_id=slot.pk, patient=other_patient(), quoted_price_cents=175_00)
    with pytest.raises(BookingError, match="someone has just booked"):
        booking_create(slot_id=slot.pk, patient=other_patient(2), quoted_price_cents=175_00)
    assert slot.bookings.count() == 2


def test_lapsed_hold_frees_the_seat_at_once_without_cleanup(service, patient, settings):
    settings.BOOKING_HOLD_MINUTES = 7
    slot = SlotFactory(service=service)
    booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    with time_machine.travel(timezone.now() + timedelta(minutes=6, seconds=59)), pytest.raises(BookingError):
        booking_hold(slot_id=slot.pk, patient=other_patient(), quoted_price_cents=175_00)
    with time_machine.travel(timezone.now() + timedelta(minutes=7, seconds=1)):
        second = booking_hold(slot_id=slot.pk, patient=other_patient(), quoted_price_cents=175_00)
    assert second.status == Booking.Status.HELD


@pytest.mark.parametrize("status", [Booking.Status.CANCELLED, Booking.Status.EXPIRED], ids=["cancelled", "expired"])
def test_cancelled_and_expired_bookings_do_not_take_the_seat(service, patient, status):
    slot = SlotFactory(service=service)
    BookingFactory(slot=slot, status=status)
    assert booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00).status == "confirmed"


def test_blocked_slot_cannot_be_booked(service, patient):
    slot = SlotFactory(service=service, is_blocked=True)
    with pytest.raises(BookingError, match="can no longer be booked"):
        booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    assert not Booking.objects.exists()


def test_past_slot_cannot_be_booked(service, patient, settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 0
    slot = SlotFactory(service=service, starts_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(BookingError):
        booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)


def test_slot_inside_minimum_notice_cannot_be_booked(service, patient, settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 3
    now = timezone.now()
    soon = SlotFactory(service=service, starts_at=now + timedelta(hours=3) - timedelta(seconds=1))
    exactly = SlotFactory(service=service, starts_at=now + timedelta(hours=3))
    with pytest.raises(BookingError):
        booking_hold(slot_id=soon.pk, patient=patient, quoted_price_cents=175_00, now=now)
    assert booking_hold(slot_id=exactly.pk, patient=patient, quoted_price_cents=175_00, now=now).slot == exactly


def test_slot_beyond_the_booking_horizon_cannot_be_booked(service, patient, settings):
    settings.BOOKING_DAYS_AHEAD = 10
    slot = SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=10, minutes=1))
    with pytest.raises(BookingError):
        booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)


def test_inactive_service_cannot_be_booked(service, patient):
    slot = SlotFactory(service=service)
    service.is_active = False
    service.save()
    with pytest.raises(BookingError):
        booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)


def test_a_second_click_from_the_same_browser_returns_the_same_booking(service, patient):
    slot = SlotFactory(service=service, capacity=2)
    first = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    again = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00, resume=[first.reference])
    assert again == first
    assert slot.bookings.count() == 1
    # Without this browser's references the same details are simply another booking.
    third = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    assert third != first


def test_slot_on_a_closed_day_cannot_be_booked(clinic, service, patient):
    slot = SlotFactory(service=service)
    day = timezone.localtime(slot.starts_at, clinic.tz).date()
    ClosureFactory(clinic=clinic, starts_on=day, ends_on=day)
    with pytest.raises(BookingError):
        booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)


def test_unknown_slot_is_a_booking_error(db, patient):
    with pytest.raises(BookingError):
        booking_hold(slot_id=987654, patient=patient, quoted_price_cents=175_00)


def test_promotion_price_applies_inside_the_window_while_open(promotion, patient):
    slot = SlotFactory(service=promotion.service)
    booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=99_00)
    assert booking.price_cents == 99_00
    assert booking.promotion == promotion


def test_slot_outside_the_visit_window_is_at_the_regular_price(promotion, patient):
    slot = SlotFactory(service=promotion.service, starts_at=timezone.now() + timedelta(days=12))
    booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    assert (booking.price_cents, booking.promotion) == (175_00, None)


def test_offer_closing_switches_to_the_regular_price_at_closes_at(promotion, patient):
    promotion.closes_at = timezone.now() + timedelta(days=1)
    promotion.save()
    slot = SlotFactory(service=promotion.service, starts_at=timezone.now() + timedelta(days=3))
    with time_machine.travel(promotion.closes_at - timedelta(seconds=1)):
        held = booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=99_00)
        assert held.promotion == promotion
        Booking.objects.filter(pk=held.pk).update(status=Booking.Status.CANCELLED)
    with time_machine.travel(promotion.closes_at):
        with pytest.raises(PriceChanged) as raised:
            booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=99_00)
        assert raised.value.quote.price_cents == 175_00
        assert booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00).promotion is None


def test_promotion_not_yet_open_gives_no_discount(promotion, patient):
    promotion.opens_at = timezone.now() + timedelta(minutes=5)
    promotion.save()
    slot = SlotFactory(service=promotion.service)
    assert booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00).promotion is None


def test_promotion_no_cheaper_than_the_regular_rate_gives_no_discount(promotion, patient):
    service = promotion.service
    service.regular_price_cents = 99_00  # staff lowered the regular rate after the offer was made
    service.save()
    slot = SlotFactory(service=service)
    booking = booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=99_00)
    assert booking.promotion is None


def test_cheapest_covering_promotion_applies(promotion, patient):
    cheaper = PromotionFactory(service=promotion.service, price_cents=79_00)
    slot = SlotFactory(service=promotion.service)
    assert booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=79_00).promotion == cheaper


def test_one_discount_per_patient_across_overlapping_promotions(promotion, patient):
    PromotionFactory(service=promotion.service, price_cents=120_00)
    booking_create(slot_id=SlotFactory(service=promotion.service).pk, patient=patient, quoted_price_cents=99_00)
    with pytest.raises(PriceChanged) as raised:
        booking_hold(slot_id=SlotFactory(service=promotion.service).pk, patient=patient, quoted_price_cents=120_00)
    assert raised.value.quote.price_cents == 175_00


def test_inactive_promotion_gives_no_discount(promotion, patient):
    promotion.is_active = False
    promotion.save()
    slot = SlotFactory(service=promotion.service)
    assert booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00).promotion is None


def test_never_a_ninth_discounted_booking(promotion, patient):
    for _ in range(8):
        BookingFactory(slot=SlotFactory(service=promotion.service), promotion=promotion)
    slot = SlotFactory(service=promotion.service)
    with pytest.raises(PriceChanged, match="last discounted spot has just been taken") as raised:
        booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=99_00)
    assert raised.value.quote.price_cents == 175_00
    assert promotion.bookings.count() == 8
    assert not slot.bookings.exists()
    # Told before anything was booked, the patient can take the regular rate.
    assert booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00).promotion is None


def test_lapsed_promo_hold_returns_the_spot(promotion, patient, settings):
    settings.BOOKING_HOLD_MINUTES = 15
    slots = [SlotFactory(service=promotion.service) for _ in range(2)]
    promotion.spots = 1
    promotion.save()
    booking_hold(slot_id=slots[0].pk, patient=other_patient(), quoted_price_cents=99_00)
    with pytest.raises(PriceChanged):
        booking_hold(slot_id=slots[1].pk, patient=patient, quoted_price_cents=99_00)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert booking_hold(slot_id=slots[1].pk, patient=patient, quoted_price_cents=99_00).promotion == promotion


@pytest.mark.parametrize(
    "same",
    [
        {"email": "MICHAEL@Example.com", "phone": "+16195559999"},
        {"email": "someone-else@example.com", "phone": "+16195550123"},
    ],
    ids=["same-email-other-case", "same-phone"],
)
def test_one_discounted_assessment_per_patient(promotion, patient, same):
    booking_create(slot_id=SlotFactory(service=promotion.service).pk, patient=patient, quoted_price_cents=99_00)
    again = Patient(name="Mike G", **same)
    slot = SlotFactory(service=promotion.service)
    with pytest.raises(PriceChanged, match="one per patient") as raised:
        booking_hold(slot_id=slot.pk, patient=again, quoted_price_cents=99_00)
    assert raised.value.quote.price_cents == 175_00


def test_cancelled_discounted_booking_lets_the_patient_book_the_offer_again(promotion, patient):
    first = booking_create(slot_id=SlotFactory(service=promotion.service).pk, patient=patient, quoted_price_cents=99_00)
    Booking.objects.filter(pk=first.pk).update(status=Booking.Status.CANCELLED)
    second = booking_create(
        slot_id=SlotFactory(service=promotion.service).pk, patient=patient, quoted_price_cents=99_00
    )
    assert second.promotion == promotion


def test_quoted_regular_price_when_a_spot_freed_is_told_the_lower_price(promotion, patient):
    slot = SlotFactory(service=promotion.service)
    with pytest.raises(PriceChanged) as raised:
        booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=175_00)
    assert raised.value.quote.price_cents == 99_00
    assert not Booking.objects.exists()


def test_releasing_a_live_hold_announces_the_freed_seat_and_a_lapsed_one_does_not(service, patient):
    freed = []

    def heard(sender, booking, **kwargs):
        freed.append(booking.pk)

    capacity_freed.connect(heard)
    try:
        slot = SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=2))
        live = booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=service.regular_price_cents)
        assert booking_release_hold(booking=live)
        lapsed = booking_hold(slot_id=slot.pk, patient=patient, quoted_price_cents=service.regular_price_cents)
        assert booking_release_hold(booking=lapsed, now=lapsed.hold_expires_at + timedelta(seconds=1))
    finally:
        capacity_freed.disconnect(heard)

    # The lapsed hold stopped counting when it lapsed: releasing it frees nothing, so the waiting list is not woken.
    assert freed == [live.pk]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("book", [booking_create, booking_hold])
def test_a_database_error_after_the_booking_commits_is_not_called_busy(service, patient, book):
    """Only an error before the commit means nothing was booked; one after it must not tell the patient to retry."""

    def after_commit():
        raise OperationalError("the connection went away after the commit")

    def on_save(sender, instance, created, **kwargs):
        if created:
            transaction.on_commit(after_commit)

    post_save.connect(on_save, sender=Booking, dispatch_uid="test-after-commit")
    try:
        with pytest.raises(OperationalError):
            book(slot_id=SlotFactory(service=service).pk, patient=patient, quoted_price_cents=175_00)
    finally:
        post_save.disconnect(dispatch_uid="test-after-commit", sender=Booking)
    assert Booking.objects.count() == 1
