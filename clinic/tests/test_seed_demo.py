from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from booking.models import Booking, Promotion, Service, Slot
from clinic.models import Clinic, Practitioner, PractitionerPhoto

pytestmark = pytest.mark.django_db


def snapshot():
    """Every row of every model, as plain values."""
    return {
        model._meta.label: sorted(map(repr, model.objects.values_list()))
        for model in apps.get_models()
        if model._meta.app_label in {"clinic", "booking", "auth"}
    }


def test_seed_demo_mirrors_the_clinics_post_relative_to_today():
    call_command("seed_demo", stdout=StringIO())
    clinic = Clinic.current()
    assert (clinic.phone, clinic.postal_code, clinic.time_zone) == ("+16192681397", "92117", "America/Los_Angeles")
    assert [(h.weekday, h.opens_at.hour, h.closes_at.hour) for h in clinic.opening_hours.all()] == [
        (0, 7, 19),
        (1, 7, 19),
        (2, 7, 19),
        (3, 7, 19),
        (4, 7, 19),
        (5, 7, 15),
    ]
    service = Service.objects.get()
    assert (service.name, service.duration_minutes, service.regular_price_cents) == (
        "Active Back & Hip Reset Assessment",
        60,
        175_00,
    )
    promotion = Promotion.objects.get()
    today = timezone.localdate(timezone=clinic.tz)
    assert (promotion.price_cents, promotion.spots) == (99_00, 8)
    assert promotion.visit_starts_on.weekday() == 0 and promotion.visit_starts_on > today
    assert promotion.visit_starts_on - today <= timedelta(days=7)
    assert promotion.visit_ends_on == promotion.visit_starts_on + timedelta(days=4)
    closes = timezone.localtime(promotion.closes_at, clinic.tz)
    assert closes.date() == promotion.visit_starts_on + timedelta(days=10)
    last_slot = timezone.localtime(Slot.objects.order_by("starts_at").last().starts_at, clinic.tz)
    assert last_slot.date() >= today + timedelta(weeks=6) - timedelta(days=1)


def test_seed_demo_twice_changes_nothing(capsys):
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    assert "Staff login" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("now", "times", "price", "spots_taken"),
    [
        # Wednesday, 9 AM in San Diego: the rest of the morning, at the regular rate (the offer's week is next).
        (datetime(2026, 12, 2, 17, 0, tzinfo=UTC), ["Wed 10:00", "Wed 11:00", "Wed 12:00"], 175_00, 0),
        # Sunday (closed): Monday morning, the offer's first day, a discounted spot each.
        (datetime(2026, 12, 6, 18, 0, tzinfo=UTC), ["Mon 07:00", "Mon 08:00", "Mon 09:00"], 99_00, 3),
    ],
)
def test_seed_demo_books_a_few_callers_into_the_next_open_times(now, times, price, spots_taken):
    with time_machine.travel(now, tick=False):
        call_command("seed_demo", stdout=StringIO())
        call_command("seed_demo", stdout=StringIO())  # again: no more callers
    visits = list(Booking.objects.select_related("slot").order_by("slot__starts_at"))
    clinic = Clinic.current()
    assert [b.patient_name for b in visits] == ["Dana Cruz", "Marcus Webb", "Priya Shah"]
    assert [timezone.localtime(b.slot.starts_at, clinic.tz).strftime("%a %H:%M") for b in visits] == times
    assert {(b.status, b.price_cents) for b in visits} == {(Booking.Status.CONFIRMED, price)}
    assert Promotion.objects.get().bookings.count() == spots_taken


def test_seed_demo_puts_the_posts_author_on_the_offer_page_with_a_photo_and_directions(client):
    call_command("seed_demo", stdout=StringIO())
    brandon = Practitioner.objects.get()
    assert (brandon.name, brandon.credentials, brandon.featured) == ("Brandon Pascual", "PT, DPT", True)
    assert "San Diego runners" in brandon.bio
    assert [(p.width, p.content_type) for p in brandon.photos.all()] == [(160, "image/webp"), (320, "image/webp")]
    assert "parking" in Clinic.current().parking_note

    page = client.get("/").content.decode()
    assert 'Brandon Pascual, <span class="credentials">PT, DPT</span>' in page
    assert brandon.photo_src in page
    assert client.get(brandon.photo_src).status_code == 200


def test_seed_demo_fills_in_a_practitioner_and_clinic_seeded_before_the_offer_page_showed_them():
    call_command("seed_demo", stdout=StringIO())
    Practitioner.objects.update(credentials="", bio="", featured=False, photo_digest="")
    PractitionerPhoto.objects.all().delete()
    Clinic.objects.update(parking_note="")
    call_command("seed_demo", stdout=StringIO())
    brandon = Practitioner.objects.get()
    assert (brandon.credentials, brandon.featured, brandon.photos.count()) == ("PT, DPT", True, 2)
    assert Clinic.current().parking_note


def test_seed_demo_writes_the_clinics_words_in_spanish_for_the_spanish_offer_page(client):
    call_command("seed_demo", stdout=StringIO())

    page = client.get("/es/").content.decode()

    for spanish in (
        "Evaluación activa de espalda y cadera",
        "una evaluación individual de 60 minutos",
        "Grabamos su zancada",
        "Semana de lanzamiento para corredores con dolor de espalda baja o de cadera.",
        "Brandon ayuda a los corredores de San Diego",
        "Estacionamiento gratuito en el lote del edificio.",
    ):
        assert spanish in page, spanish
    for english in ("Active Back & Hip Reset", "We film your stride", "Brandon helps", "Free parking"):
        assert english not in page, english


def test_seed_demo_gives_spanish_to_rows_seeded_without_it_and_keeps_what_staff_wrote():
    call_command("seed_demo", stdout=StringIO())
    Service.objects.update(name_es="", summary_es="Escrito por la clínica.", includes_es="")
    Promotion.objects.update(name_es="", headline_es="")
    Clinic.objects.update(parking_note_es="")
    Practitioner.objects.update(bio_es="")

    call_command("seed_demo", stdout=StringIO())

    service = Service.objects.get()
    assert service.name_es == "Evaluación activa de espalda y cadera"
    assert service.summary_es == "Escrito por la clínica."
    assert service.includes_es.splitlines()[0] == "Grabamos su zancada"
    assert Promotion.objects.get().headline_es.startswith("Semana de lanzamiento")
    assert Clinic.current().parking_note_es.startswith("Estacionamiento gratuito")
    assert Practitioner.objects.get().bio_es.startswith("Brandon ayuda")
