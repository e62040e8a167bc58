"""A place on the waiting list taken by texting WAIT: the entry has the mobile only, until the patient adds their
name and email from the link the reply carried; it is offered places by text alone meanwhile, and a place it
claims is booked in the name given with the claim.

The clock stops at Monday 2026-04-06, 10:00 AM in San Diego (PDT), outside quiet hours (21:00-08:00).
The conftest promotion ($99, 8 spots) is sold out.
"""

import pytest
from django.urls import reverse
from django.utils import translation

from booking.links import Purpose, private_token
from booking.models import Booking
from booking.services import booking_cancel
from booking.tests.pages import FRIENDLY_404, does_not_say, page, says
from clinic.privacy import mask_private_links
from clinic.tests.html import html
from notifications.models import Message
from notifications.transports import text_as_sent
from waitlist.links import Purpose as EntryLink
from waitlist.links import details_path, entry_token, leave_path, leave_token
from waitlist.models import WaitlistEntry
from waitlist.services import offers_make, waitlist_join, waitlist_join_by_text, waitlist_leave
from waitlist.tests.helpers import ANN, Status, fresh, offered_booking

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ROSA = "+17605550142"
ROSA_DETAILS = {"name": "Rosa Vega", "email": "rosa@example.com"}


@pytest.fixture
def rosa(promotion, sold_out) -> WaitlistEntry:
    """Rosa texted WAIT: on the list with her mobile only."""
    entry, joined = waitlist_join_by_text(promotion=promotion, phone=ROSA, language="en")
    assert joined
    return entry


def labels(response) -> dict[str, str]:
    """Each visible form field's label, by the field's name."""
    shown = page(response)
    fields = [c for c in shown.controls if c.get("type") != "hidden" and c["tag"] in ("input", "select", "textarea")]
    assert all(c["id"] in shown.label_for for c in fields), fields
    labels = {el.attrs["for"]: el.visible_text for el in html(response).find_all("label")}
    return {c["name"]: labels[c["id"]] for c in fields}


# Joining by text ------------------------------------------------------------------------------------------------


def test_a_text_join_has_the_mobile_only_and_agreed_to_texts(rosa, promotion):
    assert (rosa.name, rosa.email, rosa.email_canonical, rosa.phone) == ("", "", "", ROSA)
    assert (rosa.sms_consent, rosa.status, rosa.promotion, rosa.position) == (True, Status.WAITING, promotion, 1)
    assert str(rosa) == f"{ROSA} · a $99 spot (Launch week)"
    assert not Message.objects.filter(waitlist_entry=rosa).exists()  # the reply to the text says so


def test_a_second_join_by_text_from_the_same_number_gets_the_same_entry(rosa, promotion):
    again, joined = waitlist_join_by_text(promotion=promotion, phone=ROSA, language="es")

    assert (again, joined) == (rosa, False)
    assert WaitlistEntry.objects.count() == 1


def test_many_text_joins_without_an_email_do_not_collide(promotion, sold_out):
    entries = [waitlist_join_by_text(promotion=promotion, phone=f"+1760555{n:04d}", language="en")[0] for n in range(3)]

    assert [e.position for e in entries] == [1, 2, 3]
    assert {e.email for e in entries} == {""}


def test_after_leaving_the_number_can_join_again(rosa, promotion):
    waitlist_leave(entry=rosa)

    again, joined = waitlist_join_by_text(promotion=promotion, phone=ROSA, language="en")

    assert joined and again != rosa


# The page to add a name and email ---------------------------------------------------------------------------------


def test_the_details_page_asks_for_a_name_and_an_email_with_labels(client, rosa):
    response = client.get(details_path(rosa))

    says(response, "Your name and email")
    says(response, "You are number 1 waiting for a $99 spot (Launch week).")
    assert labels(response) == {"name": "Full name", "email": "Email"}
    assert ROSA not in response.content.decode()  # the mobile is the one she texted from: not asked, not shown
    says(response, "Leave the waiting list")
    assert leave_path(rosa) in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")


def test_saving_a_name_and_email_keeps_them_on_the_entry(client, rosa):
    response = client.post(details_path(rosa), {"name": "  Rosa   Vega ", "email": "Rosa.Vega+wl@Example.com "})

    assert (response.status_code, response.url) == (302, details_path(rosa) + "?saved=1")
    rosa = fresh(rosa)
    assert (rosa.name, rosa.email, rosa.email_canonical) == (
        "Rosa Vega",
        "Rosa.Vega+wl@Example.com",
        "rosa.vega@example.com",
    )
    saved = client.get(response.url)
    says(saved, "Thank you: your details are saved")
    says(saved, "we text you and email you a link to claim it, booked in your name")
    does_not_say(saved, "Save my details")


def test_the_details_can_be_changed_again_while_waiting(client, rosa):
    client.post(details_path(rosa), ROSA_DETAILS)

    form = client.get(details_path(rosa))
    assert 'value="Rosa Vega"' in form.content.decode()
    client.post(details_path(rosa), {**ROSA_DETAILS, "email": "rosa.v@example.org"})

    assert fresh(rosa).email == "rosa.v@example.org"


@pytest.mark.parametrize(
    ("typed", "errors"),
    [
        ({"name": "", "email": ""}, ["Enter your full name.", "Enter your email address."]),
        ({"name": "Rosa Vega", "email": "rosa@"}, ["Enter an email address like name@example.com."]),
        ({"name": "www.example.com", "email": "rosa@example.com"}, ["Please enter just your name"]),
        ({"name": "R" * 121, "email": "rosa@example.com"}, ["That name is too long for our records"]),
    ],
)
def test_bad_details_are_explained_and_nothing_is_saved(client, rosa, typed, errors):
    response = client.post(details_path(rosa), typed)

    assert response.status_code == 400
    says(response, "There is a problem", status=400)
    for error in errors:
        says(response, error, status=400)
    assert (fresh(rosa).name, fresh(rosa).email) == ("", "")


def test_an_email_already_waiting_on_the_same_list_is_refused_with_why(client, rosa, promotion):
    waitlist_join(service=promotion.service, patient=ANN, promotion=promotion)

    response = client.post(details_path(rosa), {"name": "Rosa Vega", "email": "ANN@example.com"})

    says(response, "This email is already on this waiting list with another mobile number. Please call us.", 400)
    assert fresh(rosa).email == ""


def test_once_off_the_list_the_page_says_so_and_keeps_nothing(client, rosa):
    waitlist_leave(entry=rosa)

    says(client.get(details_path(rosa)), "You are no longer on this waiting list")
    response = client.post(details_path(rosa), ROSA_DETAILS)

    assert response.status_code == 400
    does_not_say(response, "Save my details")
    assert fresh(rosa).name == ""


def test_the_page_is_in_spanish_under_es(client, rosa):
    with translation.override("es"):
        path = details_path(rosa)

    response = client.get(path)

    assert path.startswith("/es/waitlist/details/")
    says(response, "Su nombre y correo electrónico")
    says(response, "Guardar mis datos")
    assert '<html lang="es"' in response.content.decode()


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda entry: entry.reference, id="unsigned-reference"),
        pytest.param(lambda entry: leave_token(entry), id="the-leave-link"),
        pytest.param(lambda entry: entry_token(entry, EntryLink.DETAILS)[:-3], id="cut"),
        pytest.param(lambda entry: "x" + entry_token(entry, EntryLink.DETAILS), id="altered"),
    ],
)
def test_a_forged_or_other_link_is_not_found(client, rosa, token):
    response = client.get(reverse("waitlist:details", args=[token(rosa)]))

    says(response, FRIENDLY_404, status=404)


def test_logs_show_that_the_details_link_was_used_never_the_link(rosa):
    assert mask_private_links(f"GET {details_path(rosa)}") == "GET /waitlist/details/[private link]/"


# Offers to an entry joined by text -------------------------------------------------------------------------------


def test_a_place_is_offered_by_text_alone_to_an_entry_with_no_name_or_email(rosa, sold_out):
    booking_cancel(booking=sold_out[0], reason="Patient called")

    assert offers_make() == 1

    held = offered_booking(rosa)
    assert (held.patient_name, held.email, held.phone, held.status) == ("", "", ROSA, Booking.Status.HELD)
    [text] = Message.objects.filter(booking=held, kind=Message.Kind.WAITLIST_OFFER)
    assert (text.channel, text.recipient) == ("sms", ROSA)
    sent = text_as_sent(text)
    assert sent.startswith("Project Performance Physical Therapy: a spot opened for you: Wed Apr 8 at 9:00 AM, $99.")
    assert ", ," not in sent and ": ," not in sent
    assert f"/waitlist/claim/{private_token(held, Purpose.CLAIM)}/" in sent


def test_two_entries_joined_by_text_are_two_people_and_each_gets_an_offer(promotion, sold_out):
    first, _ = waitlist_join_by_text(promotion=promotion, phone=ROSA, language="en")
    second, _ = waitlist_join_by_text(promotion=promotion, phone="+17605550143", language="en")
    booking_cancel(booking=sold_out[0], reason="Patient called")
    booking_cancel(booking=sold_out[1], reason="Patient called")

    assert offers_make() == 2

    assert [fresh(first).status, fresh(second).status] == [Status.OFFERED, Status.OFFERED]


def claim_path(entry: WaitlistEntry) -> str:
    return reverse("waitlist:offer", args=[private_token(offered_booking(entry), Purpose.CLAIM)])


def test_the_claim_page_asks_who_the_visit_is_for_and_claims_with_the_name_given(client, rosa, sold_out):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()

    shown = client.get(claim_path(rosa))
    says(shown, "Tell us who the visit is for, and we book it in your name.")
    assert labels(shown) == {"name": "Full name", "email": "Email"}

    refused = client.post(claim_path(rosa), {"answer": "claim", "name": "", "email": "rosa@"})
    assert refused.status_code == 400
    says(refused, "Enter your full name.", status=400)
    says(refused, "Enter an email address like name@example.com.", status=400)
    held = offered_booking(rosa)
    assert (held.status, held.requested_at is not None, fresh(rosa).status) == (
        Booking.Status.HELD,
        True,
        Status.OFFERED,
    )

    claimed = client.post(claim_path(rosa), {"answer": "claim", **ROSA_DETAILS})

    held.refresh_from_db()
    assert (claimed.status_code, claimed.url) == (302, f"/booking/{held.reference}/verify/")  # a discounted spot
    assert (held.patient_name, held.email, held.email_canonical) == (
        "Rosa Vega",
        "rosa@example.com",
        "rosa@example.com",
    )
    assert (fresh(rosa).name, fresh(rosa).email) == ("Rosa Vega", "rosa@example.com")


def test_an_entry_that_gave_its_details_claims_as_anyone_does(client, rosa, sold_out):
    client.post(details_path(rosa), ROSA_DETAILS)
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()
    held = offered_booking(rosa)
    assert (held.patient_name, held.email) == ("Rosa Vega", "rosa@example.com")
    assert Message.objects.filter(booking=held, kind=Message.Kind.WAITLIST_OFFER, channel="email").exists()

    shown = client.get(claim_path(rosa))
    does_not_say(shown, "Tell us who the visit is for")

    claimed = client.post(claim_path(rosa), {"answer": "claim"})
    assert claimed.url == f"/booking/{held.reference}/verify/"


def test_details_added_while_a_place_is_held_go_on_the_place_too(client, rosa, sold_out):
    booking_cancel(booking=sold_out[0], reason="Patient called")
    offers_make()

    page_now = client.get(details_path(rosa))
    says(page_now, "A place is being held for you right now, until 10:30 AM.")
    client.post(details_path(rosa), ROSA_DETAILS)

    held = offered_booking(rosa)
    assert (held.patient_name, held.email) == ("Rosa Vega", "rosa@example.com")


# The front desk ---------------------------------------------------------------------------------------------------


def test_the_front_desk_sees_an_entry_joined_by_text_by_its_mobile_until_it_has_a_name(client, rosa, front_desk):
    client.force_login(front_desk)

    listed = client.get("/admin/waitlist/waitlistentry/")
    says(listed, f"{ROSA} (joined by text)")
    change = client.get(f"/admin/waitlist/waitlistentry/{rosa.pk}/change/")
    assert change.status_code == 200

    client.post(details_path(rosa), ROSA_DETAILS)
    says(client.get("/admin/waitlist/waitlistentry/"), "Rosa Vega")
