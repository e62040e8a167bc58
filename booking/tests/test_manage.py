"""The patient's private link, `/manage/<signed token>/`: see the visit, add it to a calendar, move or cancel it.

The clock is frozen at pages.NOW (Monday 2026-04-06, 8:00 AM in San Diego); see booking.tests.pages.
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16.
A visit on PROMO_DAY (Wed April 8) at 10:00 AM may be changed online until Tue April 7, 10:00 AM.
"""

import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from assessments.models import Intake
from booking.links import LinkGone, Purpose, booking_for_token, manage_path, private_link, private_token
from booking.manage import CANCELLED_ONLINE, patient_cancel, patient_reschedule
from booking.models import Booking, Payment, Refund
from booking.payments import paid_online_cents
from booking.rules import SLOT_TAKEN, SLOT_UNAVAILABLE, Patient
from booking.selectors import featured_offer
from booking.services import BookingError, booking_create
from booking.signals import capacity_freed
from booking.tests.factories import BookingFactory, ServiceFactory, SlotFactory, local
from booking.tests.manage_helpers import (
    DANA_P,
    INTENT,
    booked,
    fresh,
    manage_token,
    paid_online,
    session_completed,
    url,
)
from booking.tests.pages import (
    FRIENDLY_404,
    PROMO_DAY,
    REGULAR_DAY,
    book,
    code_typed,
    does_not_say,
    hidden_fields,
    hrefs,
    page,
    says,
    slot_at,
)
from notifications.models import Message
from notifications.transports import text_as_sent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

REFUNDS = ("POST", "/v1/refunds")
SESSIONS = ("POST", "/v1/checkout/sessions")
BALANCE_INTENT = "pi_test_balance"
PHONE = "(619) 268-1397"  # the clinic's, as patients see it
ADDRESS = "4901 Morena Blvd, Suite 501, San Diego, CA 92117"
MAPS = "https://maps.google.com/?q=" + quote(ADDRESS, safe="/")
OTHER_DAY = date(2026, 4, 9)  # Thursday, inside the promotion's visit window
# The private link's pages that change the visit, and with them every page it opens.
CHANGE_PAGES = [
    ("cancel/", "get"),
    ("cancel/", "post"),
    ("move/", "get"),
    (f"move/{OTHER_DAY}/", "get"),
    ("move/time/{slot}/", "get"),
    ("move/time/{slot}/", "post"),
]
EVERY_PAGE = [("", "get"), ("calendar.ics", "get"), *CHANGE_PAGES]
NEXT_DAY = PROMO_DAY + timedelta(days=1)
CUTOFF = local(date(2026, 4, 7), 10)  # 24 hours before a visit on PROMO_DAY at 10:00 AM
LOSES_DISCOUNT = "The discounted price is for visits from April 7 to April 16, so this time is at the regular rate."
Kind = Message.Kind


@pytest.fixture(autouse=True)
def offer(clock, promotion):
    """The conftest promotion, made once the clock is frozen: $99 for visits April 7 to 16."""
    return promotion


def kinds(booking: Booking) -> list[str]:
    return sorted(Message.objects.filter(booking=booking).values_list("kind", flat=True))


def moved_events(booking: Booking) -> list[str]:
    return list(booking.events.filter(note__startswith="Moved").values_list("note", flat=True))


def unchanged(booking: Booking, before: Booking) -> None:
    """Nothing about the booking changed: same slot, price, discount and status; no new event or message."""
    now = fresh(booking)
    assert (now.slot_id, now.price_cents, now.promotion_id, now.status) == (
        before.slot_id,
        before.price_cents,
        before.promotion_id,
        before.status,
    )
    assert moved_events(booking) == []
    assert not Message.objects.filter(booking=booking, kind__in=[Kind.RESCHEDULE, Kind.CANCELLATION]).exists()


# The token ------------------------------------------------------------------------------------------


def test_token_round_trip_gives_the_booking_and_the_path_and_link_carry_it(service, settings):
    booking = booked(service)
    token = manage_token(booking)

    assert booking_for_token(token, Purpose.MANAGE) == booking
    assert manage_path(booking) == f"/manage/{token}/"
    assert private_link(booking, Purpose.MANAGE) == f"{settings.PUBLIC_BASE_URL}/manage/{token}/"
    assert manage_token(booking) == token  # the same booking with the same links: the same link
    assert len(token) < 80  # short enough for a text message


def test_token_carries_the_reference_and_link_version_and_no_database_id(service):
    booking = BookingFactory(id=987_654_321, slot=slot_at(service, PROMO_DAY, 10))
    token = manage_token(booking)

    payload = signing.Signer(salt="booking.link.manage").unsign(token)
    assert payload == f"{booking.reference}.1"
    assert "987654321" not in token
    assert signing.b62_encode(987_654_321) not in token
    # Staff know the reference; without the server's key it opens nothing.
    assert Client().get(f"/manage/{booking.reference}/").status_code == 404


def test_link_works_until_seven_days_after_the_visit_ends_then_expires(service, clock):
    booking = booked(service)  # Wed April 8, 10:00 to 11:00 AM
    token = manage_token(booking)
    expires_at = local(date(2026, 4, 15), 11)

    assert booking_for_token(token, Purpose.MANAGE, now=expires_at - timedelta(seconds=1)) == booking
    with pytest.raises(LinkGone):
        booking_for_token(token, Purpose.MANAGE, now=expires_at)

    clock.move_to(expires_at - timedelta(seconds=1))
    assert Client().get(url(token)).status_code == 200
    clock.move_to(expires_at)
    expired = Client().get(url(token))
    says(expired, "This link no longer works", status=410)
    says(expired, PHONE, status=410)
    assert "tel:+16192681397" in hrefs(expired)
    does_not_say(expired, booking.reference)
    does_not_say(expired, booking.patient_name)


@pytest.mark.parametrize(
    "rest, method",
    [("", "get"), ("calendar.ics", "get"), ("cancel/", "get"), ("cancel/", "post"), ("move/", "get")],
)
def test_an_expired_link_is_410_on_every_page_and_changes_nothing(service, clock, rest, method):
    booking = booked(service)
    token = manage_token(booking)
    clock.move_to(local(date(2026, 4, 16), 9))

    response = getattr(Client(), method)(url(token, rest))

    says(response, "This link no longer works", status=410)
    assert fresh(booking).status == Booking.Status.CONFIRMED


def _value(token: str) -> str:
    return token.rsplit(":", 1)[0]


def _signature(token: str) -> str:
    return token.rsplit(":", 1)[1]


def _later_version(token: str) -> str:
    reference, version = _value(token).split(".")
    return f"{reference}.{int(version) + 1}:{_signature(token)}"


def _flipped_signature(token: str) -> str:
    last = "A" if _signature(token)[-1] != "A" else "B"
    return token[:-1] + last


FORGERIES = {
    "other-reference": lambda token, booking, other: token.replace(booking.reference, other.reference),
    "later-version": lambda token, booking, other: _later_version(token),
    "flipped-signature": lambda token, booking, other: _flipped_signature(token),
    "other-bookings-signature": lambda token, booking, other: f"{_value(token)}:{_signature(manage_token(other))}",
    "truncated-signature": lambda token, booking, other: token[:-4],
    "no-signature": lambda token, booking, other: _value(token) + ":",
    "unsigned": lambda token, booking, other: _value(token),
    "reference-only": lambda token, booking, other: booking.reference,
    "lowercased": lambda token, booking, other: token.lower(),
    "other-secret-key": lambda token, booking, other: signing.Signer(key="not-ours", salt="booking.link.manage").sign(
        _value(token)
    ),
    "no-salt": lambda token, booking, other: signing.Signer().sign(_value(token)),
    "intake-token": lambda token, booking, other: private_token(booking, Purpose.INTAKE),
    "garbage": lambda token, booking, other: "hello-there",
    "space": lambda token, booking, other: " ",
    "colon": lambda token, booking, other: ":",
    "dots-and-colons": lambda token, booking, other: "..::",
    "nul": lambda token, booking, other: "\x00",
    "unicode": lambda token, booking, other: "é:ü",
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_or_garbled_token_is_404_and_shows_nothing_of_the_booking(service, forge):
    booking = booked(service)
    other = booked(
        service, OTHER_DAY, 11, patient=Patient(name="Zed Other", email="z@example.com", phone="+16195550177")
    )
    token = forge(manage_token(booking), booking, other)
    assert token != manage_token(booking)

    assert booking_for_token(token, Purpose.MANAGE) is None
    response = Client().get(url(token))
    says(response, FRIENDLY_404, status=404)
    for shown in (booking, other):
        does_not_say(response, shown.reference)
        does_not_say(response, shown.patient_name)
    does_not_say(response, "April 8")

    # A forged cancel changes nothing.
    assert Client().post(url(token, "cancel/")).status_code == 404
    assert fresh(booking).status == fresh(other).status == Booking.Status.CONFIRMED


@pytest.mark.parametrize("rest, method", EVERY_PAGE)
def test_every_private_page_is_404_for_a_forged_token(service, rest, method):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    forged = _flipped_signature(manage_token(booking))
    before = fresh(booking)

    response = getattr(Client(), method)(url(forged, rest.format(slot=target.pk)), {"quoted_price_cents": 9900})

    assert response.status_code == 404
    assert booking.reference not in response.content.decode()
    unchanged(booking, before)
    assert fresh(booking).status == Booking.Status.CONFIRMED


def test_a_valid_token_for_a_booking_that_no_longer_exists_is_404(service):
    booking = BookingFactory(slot=slot_at(service, PROMO_DAY, 10))
    token = manage_token(booking)
    booking.delete()
    says(Client().get(url(token)), FRIENDLY_404, status=404)


# The page -------------------------------------------------------------------------------------------


def test_page_shows_the_visit_in_the_clinics_time_zone_with_a_maps_link(service, settings):
    settings.TIME_ZONE = "UTC"  # the server's zone must not leak onto the patient's page
    booking = booked(service)

    response = Client().get(url(booking))

    says(response, "You’re booked, Dana")
    says(response, "See you Wednesday, April 8 at 10:00 AM.")
    says(response, "Wednesday, April 8, 2026 at 10:00 AM (PDT)")
    assert ("2026-04-08T10:00:00-07:00", "Wednesday, April 8, 2026 at 10:00 AM") in page(response).times
    assert (MAPS, ADDRESS) in page(response).links
    says(response, "$99 (discounted), due at the visit")
    says(response, f"Reference {booking.reference}")
    does_not_say(response, "5:00 PM")  # 10:00 AM PDT in UTC


def test_page_is_never_cached(service):
    response = Client().get(url(booked(service)))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_page_says_until_when_changes_are_allowed_and_links_to_them(service):
    booking = booked(service)
    response = Client().get(url(booking))

    says(response, "You can move or cancel online until Tuesday, April 7 at 10:00 AM.")
    assert url(booking, "move/") in hrefs(response)
    assert url(booking, "cancel/") in hrefs(response)
    does_not_say(response, "Online changes close")


def test_calendar_file_downloads_and_parses_with_the_visit_and_no_private_link(service, settings):
    booking = booked(service)
    response = Client().get(url(booking))
    assert url(booking, "calendar.ics") in hrefs(response)

    ics = Client().get(url(booking, "calendar.ics"))

    assert ics.status_code == 200
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    assert ics["Content-Disposition"] == 'attachment; filename="visit-2026-04-08.ics"'
    [visit] = Calendar.from_ical(ics.content).walk("VEVENT")
    assert visit.decoded("dtstart") == local(PROMO_DAY, 10)
    assert visit.decoded("dtend") == local(PROMO_DAY, 11)
    # Calendars are synced to providers and shared: the clinic's public page, never the private one.
    assert str(visit["url"]) == f"{settings.PUBLIC_BASE_URL}/"
    assert str(visit["location"]) == ADDRESS
    assert "/manage/" not in ics.content.decode()
    assert manage_token(booking) not in ics.content.decode()
    assert PHONE in str(visit["description"])


def _intake_href(response) -> tuple[str, str]:
    [(href, text)] = [(h, t) for h, t in page(response).links if (h or "").startswith("/intake/")]
    return href, text


def test_page_asks_for_the_questionnaire_with_its_own_private_link(service):
    booking = booked(service)
    response = Client().get(url(booking))

    href, text = _intake_href(response)
    assert text == "Answer a few questions before your visit"
    assert booking_for_token(href.split("/")[2], Purpose.INTAKE) == booking


def test_page_says_finish_for_a_questionnaire_begun(service):
    booking = booked(service)
    Intake.objects.create(booking=booking, steps_done=["about"])

    href, text = _intake_href(Client().get(url(booking)))

    assert text == "Finish a few questions before your visit"
    assert booking_for_token(href.split("/")[2], Purpose.INTAKE) == booking


def test_page_thanks_for_a_finished_questionnaire_and_offers_to_review_it(service):
    booking = booked(service)
    Intake.objects.create(booking=booking, steps_done=["about"], completed_at=timezone.now())

    response = Client().get(url(booking))

    says(response, "Your questionnaire was received on Monday, April 6, thank you.")
    assert _intake_href(response)[1] == "See or change your answers"
    does_not_say(response, "Answer a few questions")
    does_not_say(response, "Finish a few questions")


def test_the_browser_that_booked_goes_from_the_reference_page_to_the_private_page(client, service, promotion):
    booking = book(client, slot_at(service, PROMO_DAY, 10))

    response = client.get(f"/booking/{booking.reference}/")
    assert (response.status_code, response.url) == (302, manage_path(booking))

    stranger = Client().get(f"/booking/{booking.reference}/")
    assert stranger.status_code == 200
    says(stranger, "This booking is confirmed.")
    assert "/manage/" not in stranger.content.decode()
    assert manage_token(booking) not in stranger.content.decode()
    does_not_say(stranger, "Michael")  # a reference alone shows no patient details
    does_not_say(stranger, "April 8")


def test_confirmation_messages_carry_the_private_link(service):
    booking = booked(
        service, patient=Patient(name="Michael Green", email="m@example.com", phone="+16195550166", sms_consent=True)
    )
    sent = {message.channel: message for message in Message.objects.filter(booking=booking, kind=Kind.CONFIRMATION)}

    assert set(sent) == {"email", "sms"}
    assert all(private_link(booking, Purpose.MANAGE) in text_as_sent(message) for message in sent.values())
    assert not any("/manage/" in message.body for message in sent.values())  # the outbox keeps no link


# The cut-off ----------------------------------------------------------------------------------------


def test_after_the_cutoff_the_page_offers_no_changes_and_gives_the_phone(service, clock):
    booking = booked(service)
    clock.move_to(CUTOFF)

    response = Client().get(url(booking))

    says(response, "Online changes close 24 hours before the visit.")
    says(response, f"To move or cancel now, please call or text {PHONE}.")
    assert "tel:+16192681397" in hrefs(response)
    assert url(booking, "move/") not in hrefs(response)
    assert url(booking, "cancel/") not in hrefs(response)
    does_not_say(response, "You can move or cancel online")


def test_one_second_before_the_cutoff_changes_are_still_offered(service, clock):
    booking = booked(service)
    clock.move_to(CUTOFF - timedelta(seconds=1))
    assert url(booking, "cancel/") in hrefs(Client().get(url(booking)))


@pytest.mark.parametrize("rest, method", CHANGE_PAGES)
def test_after_the_cutoff_changes_redirect_to_the_page_and_change_nothing(service, clock, rest, method):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    before, events = fresh(booking), booking.events.count()
    clock.move_to(CUTOFF)

    response = getattr(Client(), method)(url(booking, rest.format(slot=target.pk)), {"quoted_price_cents": 9900})

    assert (response.status_code, response.url) == (302, url(booking))
    unchanged(booking, before)
    assert booking.events.count() == events  # booked, nothing since


def test_cancelling_after_the_cutoff_is_refused_by_the_service(service, clock):
    booking = booked(service)
    clock.move_to(CUTOFF)

    with pytest.raises(
        BookingError, match=re.escape(f"Online changes close 24 hours before the visit. Please call {PHONE}")
    ):
        patient_cancel(booking=booking)
    with pytest.raises(BookingError, match="Online changes close"):
        patient_reschedule(booking=booking, slot_id=slot_at(service, OTHER_DAY, 11).pk, quoted_price_cents=9900)

    assert fresh(booking).status == Booking.Status.CONFIRMED
    assert moved_events(booking) == []


def test_cutoff_in_the_week_the_clocks_go_back_is_24_real_hours(service, clock):
    """Visit Monday Nov 2, 9:00 AM PST, the day after the clocks fall back: changes close Sunday 9:00 AM PST."""
    clock.move_to(local(date(2026, 10, 30), 12))
    booking = BookingFactory(slot=SlotFactory(service=service, starts_at=local(date(2026, 11, 2), 9)))

    says(Client().get(url(booking)), "You can move or cancel online until Sunday, November 1 at 9:00 AM.")
    clock.move_to(local(date(2026, 11, 1), 8, 59))
    assert Client().get(url(booking, "cancel/")).status_code == 200
    clock.move_to(local(date(2026, 11, 1), 9))
    assert Client().get(url(booking, "cancel/")).status_code == 302
    says(Client().get(url(booking)), "Online changes close 24 hours before the visit.")


def test_a_48_hour_cutoff_across_the_clock_change_counts_real_hours(service, clock, settings):
    """48 real hours before Monday Nov 2, 9:00 AM PST is Saturday Oct 31, 10:00 AM PDT (not 9:00 AM)."""
    settings.CANCELLATION_CUTOFF_HOURS = 48
    clock.move_to(local(date(2026, 10, 29), 12))
    booking = BookingFactory(slot=SlotFactory(service=service, starts_at=local(date(2026, 11, 2), 9)))

    says(Client().get(url(booking)), "You can move or cancel online until Saturday, October 31 at 10:00 AM.")
    clock.move_to(local(date(2026, 10, 31), 9, 30))
    assert Client().post(url(booking, "cancel/")).status_code == 302
    assert fresh(booking).status == Booking.Status.CANCELLED


# Cancelling -----------------------------------------------------------------------------------------


def test_cancel_page_asks_first_and_says_nothing_is_charged(service):
    booking = booked(service)
    response = Client().get(url(booking, "cancel/"))

    says(response, "Cancel your visit?")
    says(response, "Nothing is charged for cancelling.")
    says(response, "Your discounted spot goes to the next person waiting for one.")
    assert fresh(booking).status == Booking.Status.CONFIRMED


def test_cancel_before_the_cutoff_frees_the_slot_at_once_and_tells_the_patient(service, settings):
    michael = Patient(name="Michael Green", email="michael@example.com", phone="+16195550123", sms_consent=True)
    booking = booked(service, patient=michael)
    freed = []
    capacity_freed.connect(lambda sender, booking, **kw: freed.append(booking.pk), weak=False, dispatch_uid="t")
    try:
        response = Client().post(url(booking, "cancel/"))
    finally:
        capacity_freed.disconnect(dispatch_uid="t")

    assert (response.status_code, response.url) == (302, url(booking))
    booking = fresh(booking)
    assert booking.status == Booking.Status.CANCELLED
    assert (booking.cancel_reason, booking.cancelled_at) == (CANCELLED_ONLINE, timezone.now())
    event_row = booking.events.last()
    assert (event_row.from_status, event_row.to_status, event_row.note, event_row.user) == (
        "confirmed",
        "cancelled",
        CANCELLED_ONLINE,
        None,
    )
    assert freed == [booking.pk]
    cancellations = Message.objects.filter(booking=booking, kind=Kind.CANCELLATION)
    assert sorted(cancellations.values_list("channel", flat=True)) == ["email", "sms"]
    assert cancellations.get(channel="email").subject == "Your visit on Wed Apr 8, 10:00 AM is cancelled"

    page_after = Client().get(url(booking))
    says(page_after, "This visit is cancelled")
    assert "/book/" in hrefs(page_after)
    assert url(booking, "cancel/") not in hrefs(page_after)

    # The time is free again at once: someone else books it.
    again = code_typed(booking_create(slot_id=booking.slot_id, patient=DANA_P, quoted_price_cents=99_00))
    assert again.status == Booking.Status.CONFIRMED
    assert again.promotion_id == booking.promotion_id  # the discounted spot too


def test_cancellation_messages_carry_the_private_link(service):
    michael = Patient(name="Michael Green", email="michael@example.com", phone="+16195550123", sms_consent=True)
    booking = booked(service, patient=michael)

    patient_cancel(booking=booking)

    sent = {message.channel: message for message in Message.objects.filter(booking=booking, kind=Kind.CANCELLATION)}
    assert set(sent) == {"email", "sms"}
    assert private_link(booking, Purpose.MANAGE) in text_as_sent(sent["sms"])
    assert private_link(booking, Purpose.MANAGE) in text_as_sent(sent["email"])


def test_cancelling_twice_is_harmless(service):
    booking = booked(service)
    first = Client().post(url(booking, "cancel/"))
    second = Client().post(url(booking, "cancel/"))

    assert first.status_code == second.status_code == 302
    assert fresh(booking).status == Booking.Status.CANCELLED
    assert booking.events.filter(to_status="cancelled").count() == 1
    assert Message.objects.filter(booking=booking, kind=Kind.CANCELLATION).count() == 1  # email only: no texts

    with pytest.raises(BookingError):
        patient_cancel(booking=fresh(booking))
    assert booking.events.filter(to_status="cancelled").count() == 1


def test_cancel_paid_online_refunds_everything_through_stripe(
    client, service, promotion, stripe_recorder, django_capture_on_commit_callbacks
):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA_P, 99_00)
    payment = booking.payments.get()
    says(Client().get(url(booking)), "until Tuesday, April 7 at 10:00 AM; a cancellation is refunded in full.")
    says(Client().get(url(booking, "cancel/")), "What you paid online ($99) is refunded in full to your card")

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(url(booking, "cancel/"))

    assert response.status_code == 302
    assert fresh(booking).status == Booking.Status.CANCELLED
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount_cents, refund.reason) == (payment.pk, 99_00, CANCELLED_ONLINE)
    assert refund.idempotency_key == f"cancel-{booking.reference}-{payment.pk}"
    [call] = stripe_recorder.calls(*REFUNDS)
    assert (call.params["payment_intent"], call.params["amount"]) == (INTENT, "9900")
    assert call.idempotency_key == refund.idempotency_key
    assert (refund.status, refund.stripe_refund_id) == ("pending", "re_test_0002")
    assert Kind.CANCELLATION in kinds(booking)
    assert Kind.REFUND in kinds(booking)
    says(Client().get(url(booking)), "What you paid online is refunded in full")

    # A second click sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(url(booking, "cancel/"))
    assert Refund.objects.count() == 1
    assert len(stripe_recorder.calls(*REFUNDS)) == 1


# Moving: pages --------------------------------------------------------------------------------------


def test_move_days_page_lists_days_through_the_private_link(service):
    booking = booked(service)
    slot_at(service, OTHER_DAY, 11)
    slot_at(service, REGULAR_DAY, 9)

    response = Client().get(url(booking, "move/"))

    says(response, "Moving your visit of Wednesday, April 8 at 10:00 AM")
    says(response, "Active Back & Hip Reset Assessment, 60 minutes.")
    assert url(booking, f"move/{OTHER_DAY}/") in hrefs(response)
    assert url(booking, f"move/{REGULAR_DAY}/") in hrefs(response)
    assert not any((h or "").startswith("/book/20") for h in hrefs(response))
    assert url(booking) in hrefs(response)


def test_move_day_page_prices_each_time_as_a_move_and_leaves_out_the_current_time(service, promotion):
    booking = booked(service)  # $99, April 8 at 10:00
    same_day = slot_at(service, PROMO_DAY, 12)
    inside = slot_at(service, OTHER_DAY, 11)
    outside = slot_at(service, REGULAR_DAY, 9)

    day = Client().get(url(booking, f"move/{PROMO_DAY}/"))
    choices = [(h, t) for h, t in page(day).links if "/move/time/" in (h or "")]
    assert choices == [(url(booking, f"move/time/{same_day.pk}/"), "12:00 PM $99 · discounted")]

    inside_day = Client().get(url(booking, f"move/{OTHER_DAY}/"))
    assert (url(booking, f"move/time/{inside.pk}/"), "11:00 AM $99 · discounted") in page(inside_day).links
    outside_day = Client().get(url(booking, f"move/{REGULAR_DAY}/"))
    assert (url(booking, f"move/time/{outside.pk}/"), "9:00 AM $175") in page(outside_day).links


def test_move_day_for_an_impossible_date_is_404(service):
    booking = booked(service)
    assert Client().get(url(booking, "move/2026-02-30/")).status_code == 404


# Moving: keeping or losing the discount -------------------------------------------------------------


def test_move_inside_the_visit_window_keeps_the_discount(service, promotion):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)

    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    says(review, "From Wednesday, April 8 at 10:00 AM")
    says(review, "To Thursday, April 9 at 11:00 AM (PDT)")
    says(review, "Price $99 discounted")
    does_not_say(review, "regular rate")
    assert hidden_fields(review) == {"quoted_price_cents": "9900"}

    response = Client().post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review))

    moved = fresh(booking)
    assert (response.status_code, response.url) == (302, manage_path(moved))
    assert (moved.slot, moved.price_cents, moved.promotion, moved.status) == (target, 99_00, promotion, "confirmed")
    assert moved_events(booking) == ["Moved from Wed Apr 8, 10:00 AM"]
    says(Client().get(response.url), "Thursday, April 9, 2026 at 11:00 AM")


def test_move_outside_the_visit_window_goes_to_the_regular_price_after_asking(service, promotion):
    booking = booked(service)
    target = slot_at(service, REGULAR_DAY, 9)
    assert featured_offer(now=timezone.now()).spots_left == 7

    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    says(review, "Price $175 (now $99)")
    says(review, LOSES_DISCOUNT)
    says(review, "Move my visit at $175")
    assert hidden_fields(review) == {"quoted_price_cents": "17500"}

    # The old price, posted from a page that showed it, moves nothing and tells the new one.
    stale = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})
    says(stale, LOSES_DISCOUNT, status=409)
    says(stale, "Price $175", status=409)
    assert hidden_fields(stale) == {"quoted_price_cents": "17500"}
    before = fresh(booking)
    assert (before.slot_id, before.price_cents, before.promotion) == (booking.slot_id, 99_00, promotion)
    assert moved_events(booking) == []

    moved = Client().post(url(booking, f"move/time/{target.pk}/"), hidden_fields(stale))

    booking = fresh(booking)
    assert moved.status_code == 302
    assert (booking.slot, booking.price_cents, booking.promotion) == (target, 175_00, None)
    says(Client().get(moved.url), "$175, due at the visit")
    # The discounted spot it gave up is free for someone else.
    assert featured_offer(now=timezone.now()).spots_left == 8
    landing = Client().get("/")
    assert page(landing).by_id["spots-left"] == "8 of 8 discounted spots left"


def test_a_regular_price_booking_stays_regular_when_it_moves_into_the_window(service, promotion):
    booking = booked(service, REGULAR_DAY, 9)
    assert (booking.price_cents, booking.promotion) == (175_00, None)
    target = slot_at(service, PROMO_DAY, 12)

    day = Client().get(url(booking, f"move/{PROMO_DAY}/"))
    assert (url(booking, f"move/time/{target.pk}/"), "12:00 PM $175") in page(day).links
    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    says(review, "Price $175")
    does_not_say(review, "discounted")

    cheaper = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})
    assert cheaper.status_code == 409
    assert fresh(booking).slot_id == booking.slot_id

    assert Client().post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review)).status_code == 302
    booking = fresh(booking)
    assert (booking.slot, booking.price_cents, booking.promotion) == (target, 175_00, None)
    assert featured_offer(now=timezone.now()).spots_left == 8


@pytest.mark.parametrize(
    "hour, minute, day, price, kept",
    [(23, 30, date(2026, 4, 16), "$99", True), (0, 30, date(2026, 4, 17), "$175", False)],
    ids=["last-evening-of-the-window", "first-minutes-after-it"],
)
def test_the_visit_window_is_counted_in_clinic_days(service, promotion, settings, hour, minute, day, price, kept):
    settings.TIME_ZONE = "UTC"  # April 16, 11:30 PM in San Diego is already April 17 in UTC
    booking = booked(service)
    target = slot_at(service, day, hour, minute)

    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    says(review, f"Price {price}")
    Client().post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review))

    booking = fresh(booking)
    assert booking.slot == target
    assert (booking.promotion == promotion) is kept


def test_a_raised_regular_price_on_a_move_is_asked_for_and_the_visit_does_not_move_meanwhile(service):
    booking = booked(service, REGULAR_DAY, 9)
    target = slot_at(service, REGULAR_DAY, 11)
    service.regular_price_cents = 200_00
    service.save()

    stale = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "17500"})

    says(stale, "The price for this time has changed. This time is $200.", status=409)
    says(stale, "Your visit has not moved", status=409)
    does_not_say(stale, "Nothing is booked yet")
    assert hidden_fields(stale) == {"quoted_price_cents": "20000"}
    assert fresh(booking).slot_id == booking.slot_id


@pytest.mark.parametrize("price", ["", "ninety-nine", "-1", "99.5"])
def test_a_garbled_move_post_is_400_and_moves_nothing(service, price):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    before = fresh(booking)

    response = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": price})

    assert response.status_code == 400
    unchanged(booking, before)


# Moving: times that cannot be had -------------------------------------------------------------------


def test_moving_into_a_full_slot_is_refused_and_changes_nothing(service):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    BookingFactory(slot=target)
    before = fresh(booking)

    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    posted = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})

    says(review, SLOT_TAKEN, status=409)
    says(posted, SLOT_TAKEN, status=409)
    unchanged(booking, before)
    with pytest.raises(BookingError, match=SLOT_TAKEN):
        patient_reschedule(booking=booking, slot_id=target.pk, quoted_price_cents=99_00)
    unchanged(booking, before)


def test_a_slot_taken_between_review_and_move_is_refused(service):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    assert review.status_code == 200
    quick = Patient(name="Quick Runner", email="quick@example.com", phone="+16195550188")
    booking_create(slot_id=target.pk, patient=quick, quoted_price_cents=99_00)
    before = fresh(booking)

    posted = Client().post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review))

    says(posted, SLOT_TAKEN, status=409)
    unchanged(booking, before)


def _blocked(service):
    return slot_at(service, OTHER_DAY, 11, is_blocked=True)


def _too_soon(service):
    return SlotFactory(service=service, starts_at=timezone.now() + timedelta(hours=1))


def _in_the_past(service):
    return SlotFactory(service=service, starts_at=timezone.now() - timedelta(days=1))


def _too_far_ahead(service):
    return SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=60))


def _service_paused(service):
    slot = slot_at(service, OTHER_DAY, 11)
    type(service).objects.filter(pk=service.pk).update(is_active=False)
    return slot


def _other_service(service):
    return slot_at(ServiceFactory(clinic=service.clinic, name="Gait clinic"), OTHER_DAY, 11)


class _Missing:
    pk = 999_999


@pytest.mark.parametrize(
    "make, phrase, status",
    [
        *[
            (make, SLOT_UNAVAILABLE, 409)
            for make in (_blocked, _too_soon, _in_the_past, _too_far_ahead, _service_paused)
        ],
        (_other_service, FRIENDLY_404, 404),
        (lambda service: _Missing(), FRIENDLY_404, 404),
    ],
    ids=["blocked", "too-soon", "in-the-past", "too-far-ahead", "service-paused", "other-service", "missing"],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_moving_to_a_time_it_cannot_move_to_is_refused_and_changes_nothing(service, make, phrase, status, method):
    booking = booked(service)
    target = make(service)
    before = fresh(booking)

    response = getattr(Client(), method)(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})

    says(response, phrase, status=status)
    unchanged(booking, before)


@pytest.mark.parametrize("method", ["get", "post"])
def test_moving_to_the_time_it_is_at_goes_back_to_the_booking(service, method):
    booking = booked(service)
    before = fresh(booking)

    response = getattr(Client(), method)(url(booking, f"move/time/{booking.slot_id}/"), {"quoted_price_cents": "9900"})

    assert (response.status_code, response.url) == (302, url(booking))
    unchanged(booking, before)


def test_a_second_click_on_move_moves_once(service):
    booking = booked(service)
    target = slot_at(service, OTHER_DAY, 11)
    browser = Client()
    review = browser.get(url(booking, f"move/time/{target.pk}/"))

    first = browser.post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review))
    second = browser.post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review))

    assert first.status_code == 302
    assert (second.status_code, second.url) == (302, first.url)  # the booking's page, not an error
    assert fresh(booking).slot == target
    assert len(moved_events(booking)) == 1
    assert Message.objects.filter(booking=booking, kind=Kind.RESCHEDULE).count() == 1


def test_the_service_refuses_a_move_to_the_same_slot(service):
    booking = booked(service)
    with pytest.raises(BookingError, match="already at this time"):
        patient_reschedule(booking=booking, slot_id=booking.slot_id, quoted_price_cents=99_00)


def test_a_cancelled_booking_cannot_be_moved(service):
    booking = booked(service)
    patient_cancel(booking=booking)
    target = slot_at(service, OTHER_DAY, 11)

    response = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})

    assert (response.status_code, response.url) == (302, url(booking))
    assert fresh(booking).slot_id == booking.slot_id
    assert not target.bookings.exists()
    with pytest.raises(BookingError):
        patient_reschedule(booking=fresh(booking), slot_id=target.pk, quoted_price_cents=99_00)


# Moving: what the patient is told, and the old link -------------------------------------------------


def test_a_move_queues_a_reschedule_notice_with_the_new_time_and_link(service, promotion):
    michael = Patient(name="Michael Green", email="michael@example.com", phone="+16195550123", sms_consent=True)
    booking = booked(service, patient=michael)
    target = slot_at(service, OTHER_DAY, 11)
    freed = []
    capacity_freed.connect(lambda sender, booking, **kw: freed.append(booking.pk), weak=False, dispatch_uid="t")
    try:
        Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})
    finally:
        capacity_freed.disconnect(dispatch_uid="t")

    booking = fresh(booking)
    assert freed == [booking.pk]
    notices = {m.channel: m for m in Message.objects.filter(booking=booking, kind=Kind.RESCHEDULE)}
    assert set(notices) == {"email", "sms"}
    email, sms = notices["email"], notices["sms"]
    assert email.subject == "Your visit is now Thu Apr 9, 11:00 AM"
    assert "Your visit has moved from Wednesday, April 8 at 10:00 AM to:" in email.body
    assert "Thursday, April 9, 2026 at 11:00 AM (PDT)" in email.body
    assert "your visit is now Thu Apr 9 at 11:00 AM" in sms.body
    for message in (email, sms):
        assert private_link(booking, Purpose.MANAGE) in text_as_sent(message)


def test_the_old_link_still_opens_the_booking_and_shows_the_new_time(service):
    booking = booked(service)
    old = url(booking)
    target = slot_at(service, OTHER_DAY, 11)
    Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "9900"})

    response = Client().get(old)

    says(response, "Thursday, April 9, 2026 at 11:00 AM")
    does_not_say(response, "Wednesday, April 8, 2026")


def test_moving_back_and_forth_tells_the_patient_every_time(service, clock):
    booking = booked(service)
    first, second = booking.slot, slot_at(service, OTHER_DAY, 11)

    for target in (second, first, second):
        clock.shift(timedelta(minutes=5))
        patient_reschedule(booking=fresh(booking), slot_id=target.pk, quoted_price_cents=99_00)

    assert fresh(booking).slot == second
    notices = Message.objects.filter(booking=booking, kind=Kind.RESCHEDULE).order_by("created_at", "pk")
    assert [m.subject for m in notices] == [
        "Your visit is now Thu Apr 9, 11:00 AM",
        "Your visit is now Wed Apr 8, 10:00 AM",
        "Your visit is now Thu Apr 9, 11:00 AM",
    ]


# Moving: money --------------------------------------------------------------------------------------


def _balance_payment(booking: Booking) -> Payment:
    return booking.payments.exclude(payment_intent_id=INTENT).get()


def test_a_paid_discount_moved_outside_the_window_asks_for_the_balance_on_stripe(
    client, service, promotion, stripe_recorder, settings
):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA_P, 99_00)
    target = slot_at(service, REGULAR_DAY, 9)
    review = Client().get(url(booking, f"move/time/{target.pk}/"))
    says(review, "You can pay the difference online next, or at the visit.")

    response = Client().post(url(booking, f"move/time/{target.pk}/"), hidden_fields(review))

    # Moved already; the balance is asked for on Stripe's page.
    moved = fresh(booking)
    assert (moved.slot, moved.price_cents, moved.promotion, moved.status) == (target, 175_00, None, "confirmed")
    balance = _balance_payment(moved)
    assert response.status_code == 303
    assert response.url == balance.checkout_url
    assert response.url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert (balance.amount_cents, balance.status) == (76_00, Payment.Status.OPEN)
    call = stripe_recorder.calls(*SESSIONS)[-1]
    assert call.params["line_items[0][price_data][unit_amount]"] == "7600"
    assert call.params["client_reference_id"] == booking.reference
    # Stripe gets the booking's reference page, which only this browser goes on from: never a private link.
    reference_page = f"{settings.PUBLIC_BASE_URL}/booking/{booking.reference}/"
    assert call.params["success_url"] == call.params["cancel_url"] == reference_page
    says(Client().get(url(moved)), "$175, $99 paid online; $76 due at the visit")

    # Stripe says the balance is paid: kept, not refunded as a second payment.
    session_completed(client, balance, BALANCE_INTENT)

    balance.refresh_from_db()
    assert (balance.status, balance.payment_intent_id) == (Payment.Status.PAID, BALANCE_INTENT)
    assert not Refund.objects.exists()
    assert stripe_recorder.calls(*REFUNDS) == []
    assert fresh(booking).status == Booking.Status.CONFIRMED
    assert paid_online_cents(moved) == 175_00
    says(Client().get(url(moved)), "$175, paid online")


def test_cancelling_after_paying_a_balance_refunds_both_payments(
    client, service, promotion, stripe_recorder, django_capture_on_commit_callbacks
):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA_P, 99_00)
    target = slot_at(service, REGULAR_DAY, 9)
    Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "17500"})
    session_completed(client, _balance_payment(booking), BALANCE_INTENT)

    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(url(fresh(booking), "cancel/")).status_code == 302

    assert sorted(Refund.objects.values_list("amount_cents", flat=True)) == [76_00, 99_00]
    assert sorted(c.params["amount"] for c in stripe_recorder.calls(*REFUNDS)) == ["7600", "9900"]


def test_a_balance_with_stripe_off_is_due_at_the_visit(client, service, promotion, stripe_recorder, settings):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA_P, 99_00)
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    sessions_before = len(stripe_recorder.calls(*SESSIONS))
    target = slot_at(service, REGULAR_DAY, 9)

    response = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "17500"})

    moved = fresh(booking)
    assert (response.status_code, response.url) == (302, manage_path(moved))
    assert moved.slot == target
    assert len(stripe_recorder.calls(*SESSIONS)) == sessions_before
    says(Client().get(response.url), "$175, $99 paid online; $76 due at the visit")


def test_stripe_unreachable_for_the_balance_leaves_it_due_at_the_visit(client, service, promotion, stripe_recorder):
    booking = paid_online(client, slot_at(service, PROMO_DAY, 10), DANA_P, 99_00)
    target = slot_at(service, REGULAR_DAY, 9)
    stripe_recorder.fail_next(400, "invalid_request_error", "No.")

    response = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "17500"})

    moved = fresh(booking)
    assert (response.status_code, response.url) == (302, manage_path(moved))
    assert moved.slot == target
    says(Client().get(response.url), "$99 paid online; $76 due at the visit")


def test_a_move_to_a_lower_price_refunds_the_difference(
    client, service, stripe_recorder, django_capture_on_commit_callbacks
):
    booking = paid_online(client, slot_at(service, REGULAR_DAY, 9), DANA_P, 175_00)
    service.regular_price_cents = 150_00
    service.save()
    target = slot_at(service, REGULAR_DAY, 11)
    says(Client().get(url(booking, f"move/time/{target.pk}/")), "The difference is refunded to your card.")

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(url(booking, f"move/time/{target.pk}/"), {"quoted_price_cents": "15000"})

    moved = fresh(booking)
    assert (response.status_code, response.url) == (302, manage_path(moved))
    assert (moved.slot, moved.price_cents) == (target, 150_00)
    refund = Refund.objects.get()
    assert (refund.amount_cents, refund.reason) == (25_00, "Moved to a time at a lower price")
    assert [c.params["amount"] for c in stripe_recorder.calls(*REFUNDS)] == ["2500"]
    assert paid_online_cents(moved) == 150_00
    assert Kind.REFUND in kinds(booking)


# The outbox admin -----------------------------------------------------------------------------------


def test_outbox_admin_masks_the_private_link(admin_client, service):
    michael = Patient(name="Michael Green", email="michael@example.com", phone="+16195550123", sms_consent=True)
    booking = booked(service, patient=michael)
    patient_reschedule(booking=booking, slot_id=slot_at(service, OTHER_DAY, 11).pk, quoted_price_cents=99_00)
    booking = fresh(booking)

    for message in Message.objects.filter(booking=booking, kind__in=[Kind.CONFIRMATION, Kind.RESCHEDULE]):
        token = text_as_sent(message).split("/manage/")[1].split("/")[0]
        assert booking_for_token(token, Purpose.MANAGE) == booking  # a working link is sent

        response = admin_client.get(f"/admin/notifications/message/{message.pk}/change/")

        assert response.status_code == 200
        content = response.content.decode()
        assert "[private link: manage]" in content
        assert token not in content
        assert token.split(":")[1] not in content  # not even the signature
