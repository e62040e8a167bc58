"""Shared helpers and constants for the booking view tests (test_views_*.py).

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego (PDT) for every test,
so the factories' defaults land at known dates: the conftest promotion ($99, 8 spots)
covers visits Tue April 7 to Thu April 16 and closes Mon April 20 at 8:00 AM.
Each view test module freezes it with its own autouse `clock` fixture, travelling to NOW.
"""

import re
from datetime import date

from django.core.cache import cache

from booking.links import Purpose, booking_for_token
from booking.models import Booking, Slot
from booking.tests.factories import SlotFactory, local
from booking.verification import Check, awaits_mobile_code, mobile_code_send, mobile_verify
from clinic.tests.html import Page, html
from notifications import transports
from notifications.models import Message

TODAY = date(2026, 4, 6)  # a Monday
NOW = local(TODAY, 8)
PROMO_DAY = date(2026, 4, 8)  # Wednesday, inside the promotion's visit window
REGULAR_DAY = date(2026, 4, 20)  # Monday, after the visit window

MICHAEL = {"name": "Michael Green", "email": "michael@example.com", "phone": "(619) 555-0123", "sms_consent": "on"}
DANA = {"name": "Dana Cruz", "email": "dana@example.com", "phone": "(858) 555-0199"}  # no texts

SLOT_UNAVAILABLE = "Sorry, that time can no longer be booked online. Please choose another."
SLOT_TAKEN = "Sorry, someone has just booked that time. Please choose another."
FRIENDLY_404 = "We can’t find that page"


def page(response) -> Page:
    return Page(response.content.decode())


def says(response, phrase: str, status: int = 200) -> None:
    """The page answered with `status` and shows `phrase` to the patient."""
    assert response.status_code == status, response.content.decode()
    text, phrase = page(response).text, str(phrase)  # a message may be translated lazily (in English here)
    assert phrase in text, f"{phrase!r} not on the page:\n{text}"


def does_not_say(response, phrase: str) -> None:
    text, phrase = page(response).text, str(phrase)
    assert phrase not in text, f"{phrase!r} is on the page:\n{text}"


def hrefs(response) -> list[str]:
    return [href for href, _ in page(response).links]


def hidden_fields(response) -> dict[str, str]:
    """What the review page's form posts back, as a browser would send it."""
    return {
        c["name"]: c.get("value", "")
        for c in page(response).controls
        if c.get("type") == "hidden" and c["name"] != "csrfmiddlewaretoken"
    }


def control(response, name: str) -> dict:
    return next(c for c in page(response).controls if c.get("name") == name)


def spoken(element) -> str:
    """What a screen reader says of an element: its text, leaving out what is hidden from it (aria-hidden)."""
    parts = []
    for child in element.children:
        if isinstance(child, str):
            parts.append(child)
        elif child.attrs.get("aria-hidden") != "true":
            parts.append(f" {spoken(child)} ")
    return " ".join("".join(parts).split())


def day_links(response) -> dict[str, str]:
    """Each day the calendar offers: its YYYY-MM-DD and what its link says to a screen reader."""
    return {
        a.attrs["href"].rstrip("/").split("/")[-1]: spoken(a)
        for a in html(response).find_all("a")
        if a.has_class("cal-day")
    }


def time_choices(response) -> list[str]:
    """What each time link on a day page says, e.g. "7:00 AM $99 · discounted"."""
    return [text for action, text in page(response).buttons if (action or "").startswith("/book/time/")]


def slot_at(service, day: date, hour: int, minute: int = 0, **kwargs) -> Slot:
    return SlotFactory(service=service, starts_at=local(day, hour, minute), **kwargs)


def choose(client, slot):
    """Press the time on its day's page: it is held for this browser, and its details page opens."""
    return client.post(f"/book/time/{slot.pk}/")


def held_url(client, slot) -> str:
    """The details page of the time this test client holds, choosing the time first if it holds none yet."""
    holds = client.__dict__.setdefault("holds", {})
    given_back = Booking.Status.EXPIRED, Booking.Status.CANCELLED
    if slot.pk not in holds or Booking.objects.get(reference=holds[slot.pk].split("/")[-2]).status in given_back:
        response = choose(client, slot)
        assert response.status_code == 303, response.content.decode()
        holds[slot.pk] = response.url
    return holds[slot.pk]


def client_get_details(client, slot):
    """Choose the time and open its details page."""
    response = client.get(held_url(client, slot))
    assert response.status_code == 200, response.content.decode()
    return response


def post_details(client, slot, details=MICHAEL, **changes):
    return client.post(held_url(client, slot), {**details, **changes})


def review(client, slot, details=MICHAEL):
    """Type the details: the review page opens (by GET: reload and Back are safe)."""
    response = post_details(client, slot, details)
    assert response.status_code == 303, response.content.decode()
    response = client.get(response.url)
    assert response.status_code == 200, response.content.decode()
    return response


def confirm(client, slot, fields):
    return client.post(held_url(client, slot) + "confirm/", fields)


def confirm_details(client, slot, details=MICHAEL, price_cents: int = 99_00):
    """Choose the time, type `details` and confirm at `price_cents`: the response to Confirm."""
    response = post_details(client, slot, details)
    assert response.status_code == 303, response.content.decode()
    return confirm(client, slot, {"quoted_price_cents": price_cents})


VERIFY_URL = re.compile(r"^/booking/(?P<reference>\w+)/verify/$")


def texted_code(booking: Booking) -> str:
    """The latest code texted to the booking's mobile, as the patient reads it on their phone.

    Until it is sent (after commit) the code waits in the cache beside its outbox row, which holds none.
    """
    message = Message.objects.filter(booking=booking, kind=Message.Kind.ACCESS_CODE, channel="sms").latest("pk")
    assert not re.search(r"\d{6}", message.body), "the outbox holds the code"
    return cache.get(transports.code_cache_key(message.pk))[0]


def code_typed(booking: Booking) -> Booking:
    """A code is texted to the mobile (as the confirm page does) and the patient types it: a discounted spot
    held for it is booked."""
    if awaits_mobile_code(booking):
        mobile_code_send(booking=booking)
        assert mobile_verify(booking=booking, code=texted_code(booking)) == Check.ACCEPTED
    return Booking.objects.get(pk=booking.pk)


def type_code(client, booking: Booking, code: str | None = None):
    """Type the code texted to the mobile (the latest, unless `code`) on the booking's verify page."""
    return client.post(f"/booking/{booking.reference}/verify/", {"code": code or texted_code(booking)})


def book(client, slot, details=MICHAEL) -> Booking:
    """Go through details, review and confirm, and the code texted for a discounted spot, as a patient would."""
    response = confirm(client, slot, hidden_fields(review(client, slot, details)))
    assert response.status_code == 302, response.content.decode()
    if verify := VERIFY_URL.match(response.url):
        response = type_code(client, Booking.objects.get(reference=verify["reference"]))
        assert response.status_code == 302, response.content.decode()
    # Booked: the browser goes to the booking's private page, /manage/<signed token>/.
    return booking_for_token(response.url.strip("/").split("/")[-1], Purpose.MANAGE)
