"""Claiming or declining an offer: the claim page, booking it (paid online or at the visit), and claim links
that are forged or lapsed.

The clock stops at Monday 2026-04-06, 10:00 AM in San Diego (PDT), outside quiet hours (21:00-08:00).
The conftest promotion ($99, 8 spots) covers visits Tue April 7 to Thu April 16.
"""

from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from booking.links import Purpose, manage_path, private_token
from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_cancel, booking_confirm, booking_create
from booking.tests.pages import does_not_say, says, type_code
from notifications.models import Message
from waitlist.models import WaitlistEntry
from waitlist.services import OfferClosed, offer_claim, offers_make
from waitlist.tests.helpers import NOW, Status, active_discounted, fresh, offered_booking, statuses

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ENDED = "Sorry, this offer has ended, so we could not book the time for you."


def claim_token(entry: WaitlistEntry) -> str:
    """The claim link's token for the place offered to `entry` (as the offer's messages carry it)."""
    return private_token(offered_booking(entry), Purpose.CLAIM)


def claim_path(entry: WaitlistEntry) -> str:
    return reverse("waitlist:offer", args=[claim_token(entry)])


def decline_path(entry: WaitlistEntry) -> str:
    return reverse("waitlist:decline", args=[claim_token(entry)])


# Claiming and declining ------------------------------------------------------------------------


def test_the_claim_page_shows_the_offer(client, promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    response = client.get(claim_path(line[0]))
    says(response, "A place opened up for you")
    says(response, "We are holding it until 10:30 AM.")
    says(response, "Wednesday, April 8 at 9:00 AM")
    says(response, "$99 discounted paid at the visit")
    says(response, "Claim it: book this time")
    assert response["Cache-Control"].startswith("max-age=0")


def test_claiming_an_offer_books_it_and_goes_to_the_booking_page(client, promotion, sold_out, line):
    ann, ben, cat = line
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    held = fresh(ann).booking

    claimed = client.post(claim_path(ann), {"answer": "claim"})
    assert (claimed.status_code, claimed.url) == (302, f"/booking/{held.reference}/verify/")  # a discounted spot
    response = type_code(client, held)

    held.refresh_from_db()
    assert (response.status_code, response.url) == (302, manage_path(held))
    assert held.status == Booking.Status.CONFIRMED
    assert (held.price_cents, held.promotion) == (99_00, promotion)
    offers_make()  # the sweep settles the offer as booked
    assert statuses(ann, ben, cat) == [Status.BOOKED, Status.WAITING, Status.WAITING]
    assert Message.objects.filter(kind=Message.Kind.CONFIRMATION, booking=held).exists()
    # The link now says it is theirs; later sweeps leave everything as it is.
    says(client.get(claim_path(ann)), "It’s yours, Ann")
    assert offers_make() == 0
    assert statuses(ann, ben, cat) == [Status.BOOKED, Status.WAITING, Status.WAITING]
    assert active_discounted(promotion) == promotion.spots


def test_claiming_twice_changes_nothing(client, promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    first = client.post(claim_path(line[0]), {"answer": "claim"})
    second = client.post(claim_path(line[0]), {"answer": "claim"})
    assert second.status_code == 302 and second.url == first.url
    assert Booking.objects.filter(email="ann@example.com").count() == 1


def test_claiming_after_the_offer_lapsed_is_refused_and_books_nothing(client, promotion, sold_out, line, clock):
    ann = line[0]
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    held = fresh(ann).booking
    clock.move_to(NOW + timedelta(minutes=31))

    response = client.post(claim_path(ann), {"answer": "claim"})

    says(response, ENDED, status=409)
    says(response, "This offer has ended", status=409)
    held.refresh_from_db()
    assert held.status == Booking.Status.HELD  # not confirmed; it no longer counts
    assert not held.is_active(timezone.now())
    assert not Booking.objects.filter(email="ann@example.com", status=Booking.Status.CONFIRMED).exists()
    assert active_discounted(promotion) == promotion.spots - 1  # the freed spot is not taken by Ann

    # The next sweep settles it: lapsed, released, offered to Ben; Ann's link still says it ended.
    assert offers_make() == 1
    assert statuses(*line) == [Status.LAPSED, Status.OFFERED, Status.WAITING]
    response = client.post(claim_path(ann), {"answer": "claim"})
    says(response, ENDED, status=409)
    assert not Booking.objects.filter(email="ann@example.com", status=Booking.Status.CONFIRMED).exists()
    assert active_discounted(promotion) == promotion.spots


def test_the_service_refuses_a_claim_after_the_lapse(promotion, sold_out, line, clock):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    with pytest.raises(OfferClosed, match="offer has ended"):
        offer_claim(entry=line[0], now=NOW + timedelta(minutes=30))  # the hold ends at that instant
    with pytest.raises(OfferClosed):
        offer_claim(entry=line[1])  # Ben was never offered anything
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]


def test_declining_releases_the_hold_and_the_next_person_is_offered_it(client, promotion, sold_out, line):
    ann, ben, cat = line
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    held = fresh(ann).booking

    response = client.post(decline_path(ann))

    assert (response.status_code, response.url) == (302, claim_path(ann))
    says(client.get(claim_path(ann)), "Thanks for letting us know")
    says(client.get(claim_path(ann)), "We are offering the place to the next person waiting.")
    held.refresh_from_db()
    assert held.status == Booking.Status.EXPIRED
    assert statuses(ann, ben, cat) == [Status.DECLINED, Status.WAITING, Status.WAITING]
    assert active_discounted(promotion) == promotion.spots - 1

    assert offers_make() == 1
    assert statuses(ann, ben, cat) == [Status.DECLINED, Status.OFFERED, Status.WAITING]
    assert fresh(ben).booking.slot == held.slot
    # A claim after declining is refused.
    says(client.post(claim_path(ann), {"answer": "claim"}), ENDED, status=409)
    held.refresh_from_db()
    assert held.status == Booking.Status.EXPIRED


def test_claiming_with_online_payment_extends_the_hold_and_goes_to_checkout(
    client, stripe_recorder, promotion, sold_out, line, clock
):
    ann = line[0]
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    clock.move_to(NOW + timedelta(minutes=20))  # claimed 10 minutes before the offer ends
    says(client.get(claim_path(ann)), "Claim it and pay $99")

    response = client.post(claim_path(ann), {"answer": "claim"})

    held = fresh(ann).booking
    [request] = stripe_recorder.calls("POST", "/v1/checkout/sessions")
    assert response.status_code == 303
    assert response["Location"] == held.payments.get().checkout_url
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/")
    assert held.status == Booking.Status.HELD
    assert held.hold_expires_at >= timezone.now() + timedelta(minutes=31)
    assert fresh(ann).offer_expires_at == held.hold_expires_at
    assert request.params["expires_at"] == str(int(held.hold_expires_at.timestamp()))
    assert request.params["line_items[0][price_data][unit_amount]"] == "9900"
    assert fresh(ann).status == Status.OFFERED

    # Past the offer's first end, the patient is paying: the sweep leaves the hold alone.
    clock.move_to(NOW + timedelta(minutes=45))
    assert offers_make() == 0
    assert statuses(*line) == [Status.OFFERED, Status.WAITING, Status.WAITING]
    held.refresh_from_db()
    assert held.is_active(timezone.now())


def test_a_paid_claim_is_settled_as_booked_by_the_next_sweep(client, stripe_recorder, promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    client.post(claim_path(line[0]), {"answer": "claim"})
    booking_confirm(booking=fresh(line[0]).booking)  # what the paid webhook does
    assert offers_make() == 0
    assert statuses(*line) == [Status.BOOKED, Status.WAITING, Status.WAITING]


# Claim links -----------------------------------------------------------------------------------


def tamper(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.fixture
def offered(promotion, sold_out, line) -> WaitlistEntry:
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    return fresh(line[0])


@pytest.mark.parametrize(
    "forge",
    [
        lambda entry: tamper(claim_token(entry)),
        lambda entry: signing.Signer(salt="another.salt").sign(f"{entry.booking.reference}.1"),
        lambda entry: signing.Signer(salt="booking.link.claim").sign("NOSUCHREFERENCE2.1"),
        lambda entry: f"{entry.booking.reference}.1",  # the value without its signature
        lambda entry: private_token(entry.booking, Purpose.MANAGE),  # a real token, for another purpose
    ],
    ids=["tampered", "other-salt", "made-up-key", "unsigned", "manage-token"],
)
def test_a_forged_claim_link_is_404_and_changes_nothing(client, offered, forge):
    token = forge(offered)
    assert client.get(f"/waitlist/claim/{token}/").status_code == 404
    assert client.post(f"/waitlist/claim/{token}/", {"answer": "claim"}).status_code == 404
    assert client.get(f"/waitlist/claim/{token}/decline/").status_code == 404
    assert client.post(f"/waitlist/claim/{token}/decline/").status_code == 404
    assert (
        client.post(f"/waitlist/claim/{token}/", {"answer": "switch", "slot": offered.booking.slot_id}).status_code
        == 404
    )
    assert fresh(offered).status == Status.OFFERED
    assert offered.booking.status == Booking.Status.HELD
    offered.booking.refresh_from_db()
    assert offered.booking.status == Booking.Status.HELD


def test_a_claim_link_for_a_booking_no_one_was_offered_is_404(client, offered, line, sold_out):
    # Signed by us, but for a booking that is not a waiting-list offer: it opens nothing.
    token = private_token(sold_out[1], Purpose.CLAIM)
    assert client.get(f"/waitlist/claim/{token}/").status_code == 404
    assert client.post(f"/waitlist/claim/{token}/", {"answer": "claim"}).status_code == 404
    assert fresh(line[1]).status == Status.WAITING
    assert Booking.objects.get(pk=sold_out[1].pk).status == Booking.Status.CONFIRMED


# Edges -----------------------------------------------------------------------------------------


def test_a_claim_judged_before_the_lapse_is_refused_once_the_seat_was_rebooked(service, promotion, sold_out, line):
    """A claim that waited (for a lock, say) past the offer's end: its seat went meanwhile; it must not book it too."""
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    seat = fresh(line[0]).booking.slot
    later = NOW + timedelta(minutes=31)
    walk_in = Patient(name="Zed Park", email="zed@example.com", phone="+16195550177")
    taken = booking_create(slot_id=seat.pk, patient=walk_in, quoted_price_cents=99_00, now=later, online=False)
    assert taken.promotion == promotion  # the lapsed hold no longer counted: seat and spot were free

    with pytest.raises(OfferClosed):
        offer_claim(entry=line[0], now=NOW + timedelta(minutes=29))

    assert not Booking.objects.filter(email="ann@example.com", status=Booking.Status.CONFIRMED).exists()
    for moment in (NOW + timedelta(minutes=29), later):
        assert seat.bookings.active(moment).exclude(status=Booking.Status.HELD).count() == 1
        assert promotion.bookings.active(later).count() == promotion.spots


def test_claiming_twice_with_online_payment_uses_one_checkout(client, stripe_recorder, promotion, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    first = client.post(claim_path(line[0]), {"answer": "claim"})
    second = client.post(claim_path(line[0]), {"answer": "claim"})
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert len(stripe_recorder.calls("POST", "/v1/checkout/sessions")) == 1
    assert Booking.objects.filter(email="ann@example.com").count() == 1


def test_a_payment_outage_during_a_claim_says_so_and_the_place_goes_on(
    client, stripe_recorder, promotion, sold_out, line
):
    ann, ben, _ = line
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    stripe_recorder.fail_next(500, times=3)

    response = client.post(claim_path(ann), {"answer": "claim"})

    says(response, "Nothing was charged, and the place has gone back to the waiting list.", status=503)
    says(response, "This offer has ended", status=503)
    does_not_say(response, "try again")  # the released place cannot be claimed again
    does_not_say(response, "Claim it and pay")
    held = fresh(ann).booking
    assert held.status == Booking.Status.EXPIRED
    assert offers_make() == 1
    assert statuses(ann, ben) == [Status.LAPSED, Status.OFFERED]


def test_declining_when_no_one_else_waits_says_the_time_is_open_to_anyone(client, promotion, sold_out, line):
    ann, ben, cat = line
    WaitlistEntry.objects.filter(pk__in=[ben.pk, cat.pk]).update(status=Status.REMOVED)
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()

    client.post(decline_path(ann))

    page = client.get(claim_path(ann))
    says(page, "No one else was waiting, so the time is open again for anyone to book.")
    does_not_say(page, "next person")
