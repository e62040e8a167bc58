"""generate_history: five years of made-up past visits for benchmarks, never on the live clinic by mistake."""

import io
from collections import Counter
from datetime import date, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from assessments.models import Intake
from booking.models import Booking, Payment, Promotion, Slot
from booking.tests.factories import BookingFactory, SlotFactory, local
from clinic.models import Clinic
from notifications.models import Message

pytestmark = pytest.mark.django_db

TODAY = date(2026, 9, 15)
# Intake fields that are not answers: what the questionnaire is attached to and how far it got.
INTAKE_BOOKKEEPING = {"id", "booking", "steps_done", "completed_at", "created_at", "updated_at"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(local(TODAY, 10), tick=False) as traveller:
        yield traveller


def generate(**options) -> str:
    out = io.StringIO()
    call_command("generate_history", stdout=out, **{"bookings": 200, "messages": 600, **options})
    return out.getvalue()


def test_it_refuses_while_debug_is_off(service, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        generate()
    assert not Booking.objects.exists() and not Message.objects.exists() and not Slot.objects.exists()


def test_force_runs_it_with_debug_off(service, settings):
    settings.DEBUG = False
    generate(force=True)
    assert Booking.objects.count() == 200


@pytest.fixture
def history(service, settings):
    settings.DEBUG = True
    output = generate()
    return {"service": service, "output": output}


def test_it_adds_the_bookings_and_messages_asked_for_all_in_the_past(history):
    clinic = Clinic.objects.get()
    midnight = clinic.local_datetime(TODAY, datetime.min.time())
    assert Booking.objects.count() == 200
    assert Message.objects.count() == 600
    assert not Booking.objects.filter(slot__starts_at__gte=midnight).exists()
    first = Slot.objects.order_by("starts_at").first().starts_at
    assert first >= clinic.local_datetime(date(2021, 9, 15), datetime.min.time())
    assert "Added 200 past bookings" in history["output"] and "600 messages" in history["output"]


def test_the_history_looks_like_a_clinics(history):
    statuses = Counter(Booking.objects.values_list("status", flat=True))
    assert set(statuses) == {"attended", "no_show", "cancelled", "expired"}
    assert statuses["attended"] > statuses["cancelled"] > 0
    # Never two kept visits in one seat.
    over = Slot.objects.annotate(
        kept=Count("bookings", filter=Q(bookings__status__in=Booking.Status.consuming()))
    ).filter(kept__gt=1)
    assert not over.exists()
    # Each booked before its visit, and each message sent between booking and visit (give or take a reminder).
    for booking in Booking.objects.select_related("slot")[:50]:
        assert booking.created_at < booking.slot.starts_at
        assert booking.hold_expires_at is not None
    assert Payment.objects.filter(status=Payment.Status.PAID).exists()
    assert Payment.objects.filter(status=Payment.Status.REFUNDED, booking__status="cancelled").exists()
    # The spring offers: below the regular price, never more discounted visits than spots.
    for promotion in Promotion.objects.annotate(sold=Count("bookings")):
        assert promotion.price_cents < history["service"].regular_price_cents
        assert promotion.sold <= promotion.spots
    assert Booking.objects.filter(price_cents=99_00, promotion__isnull=False).exists()


def test_no_message_is_left_to_send(history):
    statuses = set(Message.objects.values_list("status", flat=True))
    assert statuses <= {"sent", "delivered", "failed", "suppressed"}
    assert Message.objects.filter(created_at__lt=local(TODAY, 0)).count() == 600  # dated when sent, not today


def test_intakes_are_completed_with_no_answers(history):
    intakes = Intake.objects.all()
    assert intakes.exists()
    for intake in intakes:
        assert intake.completed_at is not None
        for field in Intake._meta.concrete_fields:
            if field.name in INTAKE_BOOKKEEPING:
                continue
            value = getattr(intake, field.name)
            assert value in (None, "", [], {}, False), (field.name, value)  # no answer, no draft


def test_it_adds_nothing_the_second_time(history):
    with pytest.raises(CommandError, match="already has 200 past bookings"):
        generate()
    assert Booking.objects.count() == 200
    assert Message.objects.count() == 600


def test_it_refuses_a_clinic_with_visits_of_its_own(service, settings):
    settings.DEBUG = True
    BookingFactory(slot=SlotFactory(service=service, starts_at=local(date(2026, 9, 1), 9)))
    with pytest.raises(CommandError, match="already has 1 past booking:"):
        generate()
    assert Booking.objects.count() == 1


def test_it_needs_a_clinic_first(db, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="seed_demo"):
        generate()


@pytest.mark.parametrize("options", [{"bookings": 0}, {"messages": -1}, {"years": 0}, {"years": 21}])
def test_nonsense_sizes_are_refused(service, settings, options):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="must be"):
        generate(**options)
    assert not Booking.objects.exists()


def test_fewer_messages_than_asked_when_the_bookings_had_no_more(service, settings):
    settings.DEBUG = True
    output = generate(bookings=10, messages=1000)
    assert Message.objects.count() < 1000
    assert f"{Message.objects.count():,} messages" in output
