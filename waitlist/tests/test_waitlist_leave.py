"""Leaving the waiting list from the private link in the email that confirmed the join: asked first, idempotent,
a clear page whatever became of the entry, and links that are forged, altered, replayed or someone else's.

The clock stops at Monday 2026-04-06, 10:00 AM in San Diego (PDT), outside quiet hours (21:00-08:00).
The conftest promotion ($99, 8 spots) is sold out; Ann, Ben and Cat wait in that order.
"""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import signing

from assessments.roles import FRONT_DESK, ensure_groups
from booking.links import Purpose, private_path, private_token
from booking.models import Booking
from booking.services import booking_cancel
from booking.tests.pages import FRIENDLY_404, does_not_say, page, says, type_code
from clinic.privacy import mask_private_links
from notifications.models import Message
from notifications.transports import text_as_sent
from waitlist.links import leave_path, leave_token
from waitlist.models import WaitlistEntry
from waitlist.services import offer_decline, offers_make, place_in_line, waitlist_leave
from waitlist.tests.helpers import Status, fresh, statuses

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def leave(client, entry: WaitlistEntry):
    return client.post(leave_path(entry))


# The link ----------------------------------------------------------------------------------------------------


def test_the_join_email_carries_a_leave_link_that_opens_a_page_asking_first(client, line):
    ann = line[0]
    email = Message.objects.get(kind=Message.Kind.WAITLIST_JOINED, channel="email", recipient="ann@example.com")
    link = re.search(r"https?://\S+/waitlist/leave/\S+/", text_as_sent(email)).group(0)
    assert link.endswith(leave_path(ann))

    response = client.get(leave_path(ann))

    says(response, "Leave the waiting list?")
    says(response, "You are number 1 waiting for a $99 spot (Launch week).")
    says(response, "Yes, take me off the list")
    assert response["Cache-Control"].startswith("max-age=0")
    assert fresh(ann).status == Status.WAITING  # opening the link changes nothing


def test_the_link_holds_a_signed_reference_and_nothing_of_the_patient(line):
    ann = line[0]
    token = leave_token(ann)
    reference, _, signature = token.partition(":")
    assert reference == ann.reference and len(signature) >= 40
    for personal in ("ann", "Lee", "example.com", "6195550101", f"/{ann.pk}/"):
        assert personal not in leave_path(ann)
    assert mask_private_links(f"GET {leave_path(ann)} HTTP/1.1") == "GET /waitlist/leave/[private link]/ HTTP/1.1"


def test_leaving_takes_the_patient_off_the_list_and_the_others_move_up(client, line):
    ann, ben, cat = line

    response = leave(client, ann)

    assert (response.status_code, response.url) == (302, leave_path(ann))
    says(client.get(response.url), "You are off the waiting list")
    assert statuses(ann, ben, cat) == [Status.LEFT, Status.WAITING, Status.WAITING]
    assert [place_in_line(fresh(e)) for e in (ben, cat)] == [1, 2]


def test_leaving_twice_or_replaying_the_link_changes_nothing_more(client, line):
    ann = line[0]
    leave(client, ann)
    left_at = fresh(ann).updated_at

    again = leave(client, ann)

    assert (again.status_code, again.url) == (302, leave_path(ann))
    says(client.get(leave_path(ann)), "You are off the waiting list")
    assert (fresh(ann).status, fresh(ann).updated_at) == (Status.LEFT, left_at)


def test_someone_waiting_who_was_offered_a_place_leaves_and_it_goes_to_the_next_person(client, sold_out, line):
    ann, ben, _ = line
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    held = fresh(ann).booking

    asked = client.get(leave_path(ann))
    says(asked, "A place is being held for you right now, until 10:30 AM.")
    assert private_path(held, Purpose.CLAIM) in [href for href, _ in page(asked).links]
    leave(client, ann)

    held.refresh_from_db()
    assert held.status == Booking.Status.EXPIRED
    assert fresh(ann).status == Status.LEFT
    assert offers_make() == 1
    assert fresh(ben).booking.slot_id == held.slot_id
    claim = client.get(private_path(held, Purpose.CLAIM))
    says(claim, "You have left the waiting list")
    says(claim, "The place we were holding for you is being offered to the next person waiting.")


@pytest.mark.parametrize(
    ("status", "says_so"),
    [
        (Status.DECLINED, "You let go of the place we offered you, and left the list then."),
        (Status.LAPSED, "The place we offered you was not claimed in time, so you left the list then."),
        (Status.REMOVED, "We took you off it"),
    ],
)
def test_an_entry_already_off_the_list_gets_a_clear_page_and_nothing_changes(client, line, status, says_so):
    ann = line[0]
    WaitlistEntry.objects.filter(pk=ann.pk).update(status=status)

    response = client.get(leave_path(ann))
    says(response, "You are no longer on this waiting list")
    says(response, says_so)
    does_not_say(response, "Yes, take me off the list")
    leave(client, ann)
    assert fresh(ann).status == status


def test_a_patient_who_booked_from_the_list_is_told_so_and_stays_booked(client, sold_out, line):
    ann = line[0]
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    WaitlistEntry.objects.filter(pk=ann.pk).update(phone_by_staff=True)  # a claim then books at once
    client.post(private_path(fresh(ann).booking, Purpose.CLAIM), {"answer": "claim"})
    assert fresh(ann).status == Status.BOOKED

    leave(client, ann)

    says(client.get(leave_path(ann)), "You booked a visit from the waiting list")
    assert fresh(ann).status == Status.BOOKED
    assert fresh(ann).booking.status == Booking.Status.CONFIRMED


def test_a_patient_who_typed_the_code_before_the_sweep_settled_the_offer_is_told_they_booked(client, sold_out, line):
    ann = line[0]
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    client.post(private_path(fresh(ann).booking, Purpose.CLAIM), {"answer": "claim"})
    type_code(client, fresh(ann).booking)
    assert fresh(ann).status == Status.OFFERED  # until the sweep

    response = client.get(leave_path(ann))

    says(response, "You booked a visit from the waiting list")
    does_not_say(response, "Yes, take me off the list")


def test_leaving_while_a_payment_confirmed_the_place_settles_it_as_booked(sold_out, line):
    ann = line[0]
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    Booking.objects.filter(pk=fresh(ann).booking_id).update(status=Booking.Status.CONFIRMED)  # paid a moment ago

    assert waitlist_leave(entry=ann).status == Status.BOOKED
    assert fresh(ann).booking.status == Booking.Status.CONFIRMED


# Links that are not the patient's own ------------------------------------------------------------------------


def tamper(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.mark.parametrize(
    "forge",
    [
        lambda ann, ben: tamper(leave_token(ann)),
        lambda ann, ben: f"{ben.reference}:{leave_token(ann).partition(':')[2]}",  # another entry, Ann's signature
        lambda ann, ben: signing.Signer(salt="waitlist.link.leave").sign("NOSUCHREFERENCE2"),
        lambda ann, ben: signing.Signer(salt="another.salt").sign(ann.reference),
        lambda ann, ben: ann.reference,  # unsigned
        lambda ann, ben: leave_token(ann)[:20],  # cut
    ],
    ids=["tampered", "another-entry", "made-up", "other-salt", "unsigned", "cut"],
)
def test_a_forged_leave_link_is_404_and_takes_no_one_off(client, line, forge):
    ann, ben, _ = line
    token = forge(ann, ben)
    for response in (client.get(f"/waitlist/leave/{token}/"), client.post(f"/waitlist/leave/{token}/")):
        says(response, FRIENDLY_404, status=404)
        says(response, "(619) 268-1397", status=404)  # the clinic's phone
    assert statuses(*line) == [Status.WAITING] * 3


def test_a_claim_token_is_no_leave_link(client, sold_out, line):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    claim = private_token(fresh(line[0]).booking, Purpose.CLAIM)
    assert client.post(f"/waitlist/leave/{claim}/").status_code == 404
    assert fresh(line[0]).status == Status.OFFERED


def test_each_link_takes_off_its_own_entry_only(client, line):
    ann, ben, cat = line
    leave(client, ben)
    assert statuses(ann, ben, cat) == [Status.WAITING, Status.LEFT, Status.WAITING]


def test_the_leave_posts_are_rate_limited(client, line):
    for _ in range(10):
        leave(client, line[0])
    refused = leave(client, line[1])
    says(refused, "Please wait a moment", status=429)
    says(refused, "(619) 268-1397", status=429)
    assert fresh(line[1]).status == Status.WAITING


# What the front desk sees ------------------------------------------------------------------------------------


def test_the_front_desk_sees_who_left_the_list(client, django_user_model, line):
    ensure_groups(Group, Permission)
    desk = django_user_model.objects.create_user("desk", "d@example.com", "a-long-test-password", is_staff=True)
    desk.groups.add(Group.objects.get(name=FRONT_DESK))
    client.force_login(desk)
    waitlist_leave(entry=line[0])
    offer_decline(entry=line[1])  # no offer: nothing to decline, Ben still waits

    response = client.get("/admin/waitlist/waitlistentry/", {"status__exact": "left"})

    says(response, "Ann Lee")
    says(response, "Left the list")
    does_not_say(response, "Ben Ortiz")
