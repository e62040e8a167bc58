"""The public booking flow, page by page, through the test client.

The clock is frozen at Monday 2026-04-06, 8:00 AM in San Diego (PDT) for every test,
so the factories' defaults land at known dates: the conftest promotion ($99, 8 spots)
covers visits Tue April 7 to Thu April 16 and closes Mon April 20 at 8:00 AM.
"""

import re
from datetime import UTC, date, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from booking.models import Booking, Slot
from booking.services import slots_generate
from booking.tests.factories import (
    BookingFactory,
    ClinicFactory,
    ClosureFactory,
    PromotionFactory,
    ServiceFactory,
    SlotFactory,
    local,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 4, 6)  # a Monday
NOW = local(TODAY, 8)
PROMO_DAY = date(2026, 4, 8)  # Wednesday, inside the promotion's visit window
REGULAR_DAY = date(2026, 4, 20)  # Monday, after the visit window

MICHAEL = {"name": "Michael Green", "email": "michael@example.com", "phone": "(619) 555-0123", "sms_consent": "on"}
DANA = {"name": "Dana Cruz", "email": "dana@example.com", "phone": "(858) 555-0199"}  # no texts

SLOT_UNAVAILABLE = "Sorry, that time can no longer be booked online. Please choose another."
SLOT_TAKEN = "Sorry, someone has just booked that time. Please choose another."
FRIENDLY_404 = "We can’t find that page"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# Helpers -------------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
BLOCK = {"br", "button", "caption", "dd", "div", "dl", "dt", "form", "h1", "h2", "h3", "label", "li", "ol", "p"}
BLOCK |= {"section", "table", "td", "th", "tr", "ul", "header", "footer", "main"}


class _Page(HTMLParser):
    """What a patient sees and can use on a page: its text, form controls, labels, links and timestamps."""

    def __init__(self, html: str):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, visible text)
        self.times: list[tuple[str, str]] = []  # (datetime attribute, visible text)
        self.by_id: dict[str, str] = {}  # element id -> its visible text
        self._open: list[tuple[str, dict, list[str]]] = []
        self._all: list[str] = []
        self.feed(html)
        self.close()
        self.text = _squash("".join(self._all))

    def _add(self, data: str):
        self._all.append(data)
        for _, _, parts in self._open:
            parts.append(data)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea"):
            self.controls.append({"tag": tag, **attrs})
        elif tag == "label":
            self.label_for.append(attrs.get("for"))
        if tag in BLOCK:
            self._add(" ")
        if tag not in VOID:
            self._open.append((tag, attrs, []))

    def handle_endtag(self, tag):
        if tag in BLOCK:
            self._add(" ")
        if tag not in [t for t, _, _ in self._open]:
            return
        while True:
            open_tag, attrs, parts = self._open.pop()
            text = _squash("".join(parts))
            if "id" in attrs:
                self.by_id[attrs["id"]] = text
            if open_tag == "a":
                self.links.append((attrs.get("href"), text))
            if open_tag == "time":
                self.times.append((attrs.get("datetime"), text))
            if open_tag == tag:
                return

    def handle_data(self, data):
        self._add(data)


def _squash(text: str) -> str:
    return " ".join(text.split())


def page(response) -> _Page:
    return _Page(response.content.decode())


def says(response, phrase: str, status: int = 200) -> None:
    """The page answered with `status` and shows `phrase` to the patient."""
    assert response.status_code == status, response.content.decode()
    text = page(response).text
    assert phrase in text, f"{phrase!r} not on the page:\n{text}"


def does_not_say(response, phrase: str) -> None:
    text = page(response).text
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


def day_links(response) -> dict[str, str]:
    """Each day offered on the days page: its YYYY-MM-DD and what the link says."""
    return {
        href.split("/")[2]: text
        for href, text in page(response).links
        if re.fullmatch(r"/book/\d{4}-\d{2}-\d{2}/", href or "")
    }


def time_choices(response) -> list[str]:
    """What each time link on a day page says, e.g. "7:00 AM $99 · discounted"."""
    return [text for href, text in page(response).links if (href or "").startswith("/book/time/")]


def slot_at(service, day: date, hour: int, minute: int = 0, **kwargs) -> Slot:
    return SlotFactory(service=service, starts_at=local(day, hour, minute), **kwargs)


def post_details(client, slot, details=MICHAEL, **changes):
    return client.post(f"/book/time/{slot.pk}/", {**details, **changes})


def review(client, slot, details=MICHAEL):
    response = post_details(client, slot, details)
    assert response.status_code == 200, response.content.decode()
    return response


def confirm(client, slot, fields):
    return client.post(f"/book/time/{slot.pk}/confirm/", fields)


def book(client, slot, details=MICHAEL) -> Booking:
    """Go through details, review and confirm as a patient would."""
    response = confirm(client, slot, hidden_fields(review(client, slot, details)))
    assert response.status_code == 302, response.content.decode()
    return Booking.objects.get(reference=response.url.strip("/").split("/")[-1])


# 1. Landing page -----------------------------------------------------------------------------------


def test_landing_shows_the_offer_price_spots_and_a_book_link(client, promotion):
    response = client.get("/")
    says(response, "$99 $175")  # the offer price, then the regular price struck through
    says(response, "8 of 8 discounted spots left")
    says(response, "Book your $99 assessment")
    assert "/book/" in hrefs(response)


def test_landing_shows_the_rate_rise_in_clinic_local_time(client, service):
    # 11:30 PM on Monday April 20 in San Diego is already Tuesday April 21 in UTC.
    closes_at = local(date(2026, 4, 20), 23, 30)
    assert closes_at.astimezone(UTC).date() == date(2026, 4, 21)
    PromotionFactory(service=service, closes_at=closes_at)
    response = client.get("/")
    says(response, "The rate rises to $175 on Monday, April 20 at 11:30 PM (PDT).")
    does_not_say(response, "April 21")


def test_landing_shows_opening_hours_address_and_phone_links(client, promotion):
    response = client.get("/")
    says(response, "Monday 7 AM – 7 PM")
    says(response, "Friday 7 AM – 7 PM")
    says(response, "Saturday 7 AM – 3 PM")
    does_not_say(response, "Sunday")
    says(response, "4901 Morena Blvd, Suite 501, San Diego, CA 92117")
    says(response, "(619) 268-1397")
    assert {"tel:+16192681397", "sms:+16192681397"} <= set(hrefs(response))


def test_landing_counts_one_spot_fewer_after_a_confirmed_discounted_booking(client, service, promotion):
    booking = book(Client(), slot_at(service, PROMO_DAY, 10))
    assert booking.promotion == promotion
    says(client.get("/"), "7 of 8 discounted spots left")


def test_landing_stops_counting_a_hold_the_moment_it_lapses(client, clock, service, promotion):
    BookingFactory(
        slot=slot_at(service, PROMO_DAY, 10),
        promotion=promotion,
        status=Booking.Status.HELD,
        hold_expires_at=NOW + timedelta(minutes=15),
    )
    says(client.get("/"), "7 of 8 discounted spots left")  # a live hold takes a spot
    clock.move_to(NOW + timedelta(minutes=15, seconds=1))
    assert Booking.objects.get().status == Booking.Status.HELD  # no cleanup job has run
    says(client.get("/"), "8 of 8 discounted spots left")


def test_sold_out_landing_says_all_spots_taken_and_offers_the_regular_price(client, service, promotion):
    for hour in range(7, 15):
        BookingFactory(slot=slot_at(service, PROMO_DAY, hour), promotion=promotion)
    response = client.get("/")
    says(response, "All 8 discounted spots are taken.")
    says(response, "$175 for a 60-minute assessment")
    assert "/book/" in hrefs(response)
    does_not_say(response, "$99")
    does_not_say(response, "spots left")


def test_closed_offer_landing_says_the_offer_has_closed(client, service):
    PromotionFactory(service=service, opens_at=NOW - timedelta(days=10), closes_at=NOW - timedelta(minutes=1))
    response = client.get("/")
    says(response, "The $99 offer has closed.")
    says(response, "$175 for a 60-minute assessment")
    assert "/book/" in hrefs(response)
    does_not_say(response, "spots left")


def test_landing_without_a_promotion_offers_the_regular_price(client, service):
    response = client.get("/")
    says(response, "$175 for a 60-minute assessment")
    assert "/book/" in hrefs(response)
    does_not_say(response, "discounted spots")


def test_landing_renders_before_any_clinic_or_service_exists(client):
    response = client.get("/")
    says(response, "Your low-back pain may be a single-leg problem")
    assert "/book/" not in hrefs(response)


# 2. Choosing a day and a time ----------------------------------------------------------------------


def test_days_page_lists_only_clinic_local_days_with_a_bookable_time(client, clinic, service, promotion):
    slot_at(service, date(2026, 4, 7), 10)  # bookable
    slot_at(service, date(2026, 4, 8), 10, is_blocked=True)
    slot_at(service, TODAY, 7)  # an hour ago
    slot_at(service, TODAY, 9, 30)  # inside the two hours' notice
    BookingFactory(slot=slot_at(service, date(2026, 4, 9), 10))  # full
    ClosureFactory(clinic=clinic, starts_on=date(2026, 4, 10), ends_on=date(2026, 4, 10))
    slot_at(service, date(2026, 4, 10), 10)
    slot_at(service, date(2026, 4, 13), 17, 30)  # Monday 5:30 PM here, Tuesday 00:30 in UTC

    response = client.get("/book/")

    assert response.status_code == 200
    assert day_links(response) == {
        "2026-04-07": "Tuesday, April 7 1 time · discounted price available",
        "2026-04-13": "Monday, April 13 1 time · discounted price available",
    }


def test_day_page_lists_local_times_with_the_price_each_is_booked_at(client, service, promotion):
    slot_at(service, PROMO_DAY, 7)
    slot_at(service, PROMO_DAY, 17, 30)  # already the next day in UTC
    slot_at(service, REGULAR_DAY, 7)

    promo = client.get(f"/book/{PROMO_DAY}/")
    regular = client.get(f"/book/{REGULAR_DAY}/")
    next_day = client.get(f"/book/{PROMO_DAY + timedelta(days=1)}/")

    says(promo, "Wednesday, April 8")
    assert time_choices(promo) == ["7:00 AM $99 · discounted", "5:30 PM $99 · discounted"]
    assert time_choices(regular) == ["7:00 AM $175"]
    assert time_choices(next_day) == []
    says(next_day, "There are no times left to book online on this day.")


@pytest.mark.parametrize("day", ["2026-02-30", "not-a-date", "2026-13-01", "2026-4-8"])
def test_day_page_for_an_impossible_or_malformed_date_is_a_friendly_404(client, service, day):
    says(client.get(f"/book/{day}/"), FRIENDLY_404, status=404)


# 3. The details form -------------------------------------------------------------------------------


def test_details_form_labels_every_input_and_leaves_sms_consent_unticked(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    response = client.get(f"/book/time/{slot.pk}/")

    says(response, "Wednesday, April 8 at 10:00 AM")
    says(response, "$99")
    html = page(response)
    visible = [c for c in html.controls if c.get("type") != "hidden"]
    assert {c["name"] for c in visible} == {"name", "email", "phone", "sms_consent"}
    for c in visible:
        assert c.get("id") and c["id"] in html.label_for, f"{c['name']} has no <label for=...>"
    sms = control(response, "sms_consent")
    assert sms["type"] == "checkbox"
    assert "checked" not in sms


@pytest.mark.parametrize("slot_id", ["424242", "99999999999999999999"], ids=["unknown", "enormous"])
@pytest.mark.parametrize("step", ["", "confirm/"], ids=["details", "confirm"])
def test_unknown_or_enormous_slot_id_is_a_404(client, service, slot_id, step):
    url = f"/book/time/{slot_id}/{step}"
    response = client.post(url, MICHAEL) if step else client.get(url)
    says(response, FRIENDLY_404, status=404)
    assert not Booking.objects.exists()


def _blocked(service, clinic):
    return slot_at(service, PROMO_DAY, 10, is_blocked=True)


def _past(service, clinic):
    return slot_at(service, TODAY, 7)


def _too_soon(service, clinic):
    return SlotFactory(service=service, starts_at=NOW + timedelta(hours=1, minutes=59))


def _closed_day(service, clinic):
    ClosureFactory(clinic=clinic, starts_on=PROMO_DAY, ends_on=PROMO_DAY)
    return slot_at(service, PROMO_DAY, 10)


def _full(service, clinic):
    slot = slot_at(service, PROMO_DAY, 10)
    BookingFactory(slot=slot)
    return slot


@pytest.mark.parametrize(
    "make_slot, message",
    [
        (_blocked, SLOT_UNAVAILABLE),
        (_past, SLOT_UNAVAILABLE),
        (_too_soon, SLOT_UNAVAILABLE),
        (_closed_day, SLOT_UNAVAILABLE),
        (_full, SLOT_TAKEN),
    ],
    ids=["blocked", "past", "too-soon", "closure-day", "full"],
)
def test_unbookable_slot_is_a_409_at_every_step_and_saves_nothing(client, clinic, service, make_slot, message):
    slot = make_slot(service, clinic)
    bookings_before = Booking.objects.count()

    shown = client.get(f"/book/time/{slot.pk}/")
    posted = post_details(client, slot)
    confirmed = confirm(client, slot, {**MICHAEL, "phone": "+16195550123", "quoted_price_cents": "17500"})

    for response in (shown, posted, confirmed):
        says(response, f"That time is not available {message}", status=409)
    assert Booking.objects.count() == bookings_before


# 4. Posting details and reviewing ------------------------------------------------------------------


def test_valid_details_show_the_review_with_price_time_address_and_hidden_fields(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    response = review(client, slot)

    says(response, "Review and confirm")
    says(response, "Wednesday, April 8 at 10:00 AM (PDT, clinic time)")
    says(response, "4901 Morena Blvd, Suite 501, San Diego, CA 92117")
    says(response, "Payment of $99 is due at the visit.")
    assert hidden_fields(response) == {
        "name": "Michael Green",
        "email": "michael@example.com",
        "phone": "+16195550123",
        "sms_consent": "True",
        "quoted_price_cents": "9900",
    }
    assert not Booking.objects.exists()  # reviewing books nothing


def test_change_details_shows_the_form_filled_in(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot))

    response = client.post(f"/book/time/{slot.pk}/", {**fields, "edit": "1"})

    says(response, "Your details")
    assert control(response, "name")["value"] == "Michael Green"
    assert control(response, "email")["value"] == "michael@example.com"
    assert control(response, "phone")["value"] == "+16195550123"
    assert "checked" in control(response, "sms_consent")
    assert not any(c.get("aria-invalid") for c in page(response).controls)  # no errors shown yet
    assert not Booking.objects.exists()


def test_change_details_keeps_sms_consent_unticked_when_the_patient_declined_texts(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot, DANA))
    assert fields["sms_consent"] == "False"

    response = client.post(f"/book/time/{slot.pk}/", {**fields, "edit": "1"})

    assert response.status_code == 200
    assert "checked" not in control(response, "sms_consent")


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("phone", "12", "That number does not look right. Check it and try again."),
        ("phone", "abc", "Enter a mobile number such as (619) 555-0123."),
        ("email", "michael@", "Enter a valid email address."),
        ("email", "michael.example.com", "Enter a valid email address."),
        ("name", "", "This field is required."),
        ("name", "   ", "This field is required."),
        ("name", "x" * 121, "Ensure this value has at most 120 characters (it has 121)."),
        ("email", "a" * 243 + "@example.com", "Ensure this value has at most 254 characters (it has 255)."),
    ],
    ids=["phone-12", "phone-abc", "email-no-host", "email-no-at", "no-name", "blank-name", "long-name", "long-email"],
)
def test_bad_details_are_a_400_with_the_error_next_to_the_field(client, service, promotion, field, value, error):
    slot = slot_at(service, PROMO_DAY, 10)

    response = post_details(client, slot, **{field: value})

    assert response.status_code == 400
    html = page(response)
    bad = control(response, field)
    # The field is marked invalid and points at its own error text.
    assert bad.get("aria-invalid") == "true"
    assert f"id_{field}_error" in bad.get("aria-describedby", "").split()
    assert error in html.by_id[f"id_{field}_error"]
    assert [c["name"] for c in html.controls if c.get("aria-invalid")] == [field]  # only that field
    assert not Booking.objects.exists()


def test_us_phone_number_is_stored_in_e164(service, promotion):
    booking = book(Client(), slot_at(service, PROMO_DAY, 10), {**MICHAEL, "phone": "(619) 555-0123"})
    assert booking.phone == "+16195550123"


# 5. Confirming -------------------------------------------------------------------------------------


def test_confirm_books_at_the_quoted_price_and_redirects_to_the_reference_page(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    response = confirm(client, slot, hidden_fields(review(client, slot)))

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response.url == f"/booking/{booking.reference}/"
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.confirmed_at == NOW
    assert (booking.slot, booking.price_cents, booking.promotion) == (slot, 99_00, promotion)
    assert booking.patient_name == "Michael Green"
    assert booking.email == "michael@example.com"
    assert booking.phone == "+16195550123"
    assert booking.sms_consent is True

    detail = client.get(response.url)
    says(detail, "You’re booked, Michael")
    says(detail, "See you Wednesday, April 8 at 10:00 AM.")
    says(detail, "Wednesday, April 8, 2026 at 10:00 AM")
    says(detail, "$99 (discounted), due at the visit")
    says(detail, f"Reference {booking.reference}")


def test_confirmed_price_stays_locked_when_the_offer_changes_later(client, service, promotion):
    booking = book(client, slot_at(service, PROMO_DAY, 10))
    promotion.price_cents = 50_00
    promotion.save()
    booking.refresh_from_db()
    assert booking.price_cents == 99_00
    says(client.get(f"/booking/{booking.reference}/"), "$99 (discounted), due at the visit")


def test_confirm_with_tampered_price_books_nothing_and_tells_the_real_price(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot))

    response = confirm(client, slot, {**fields, "quoted_price_cents": "1"})

    says(response, "The price for this time has changed. This time is $99.", status=409)
    assert hidden_fields(response)["quoted_price_cents"] == "9900"
    assert not Booking.objects.exists()


def test_confirm_for_a_slot_someone_else_just_took_books_nothing(service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    michael, dana = Client(), Client()
    michaels_review = hidden_fields(review(michael, slot))
    first = book(dana, slot, DANA)

    response = confirm(michael, slot, michaels_review)

    says(response, SLOT_TAKEN, status=409)
    assert list(Booking.objects.all()) == [first]


def test_last_discounted_spot_taken_before_confirm_offers_the_regular_rate(service):
    promotion = PromotionFactory(service=service, spots=1)
    slot = slot_at(service, PROMO_DAY, 10)
    michael = Client()
    fields = hidden_fields(review(michael, slot))
    assert fields["quoted_price_cents"] == "9900"
    dana = book(Client(), slot_at(service, PROMO_DAY, 11), DANA)
    assert dana.promotion == promotion

    response = confirm(michael, slot, fields)

    says(response, "The last discounted spot has just been taken. This time is $175.", status=409)
    says(response, "Confirm booking at $175", status=409)
    retry = hidden_fields(response)
    assert retry["quoted_price_cents"] == "17500"
    assert list(Booking.objects.all()) == [dana]

    again = confirm(michael, slot, retry)

    assert again.status_code == 302
    booking = Booking.objects.get(slot=slot)
    assert (booking.status, booking.price_cents, booking.promotion) == (Booking.Status.CONFIRMED, 175_00, None)


@pytest.mark.parametrize(
    "same",
    [{"email": "MICHAEL@Example.com"}, {"phone": "619.555.0123"}],
    ids=["same-email-other-case", "same-phone-other-format"],
)
def test_second_discounted_booking_for_the_same_patient_is_offered_the_regular_price(client, service, promotion, same):
    first = book(Client(), slot_at(service, PROMO_DAY, 10))
    assert first.promotion == promotion
    again = {"name": "Mike Green", "email": "mike.green@example.org", "phone": "(760) 555-0142", **same}
    slot = slot_at(service, PROMO_DAY, 12)

    response = review(client, slot, again)

    says(response, "Payment of $175 is due at the visit.")
    says(response, "You already have a discounted assessment booked (one per patient)")
    fields = hidden_fields(response)
    assert fields["quoted_price_cents"] == "17500"
    stale = confirm(client, slot, {**fields, "quoted_price_cents": "9900"})
    says(stale, "You already have a discounted assessment booked (one per patient).", status=409)
    assert Booking.objects.count() == 1

    assert confirm(client, slot, fields).status_code == 302
    second = Booking.objects.get(slot=slot)
    assert (second.price_cents, second.promotion) == (175_00, None)


@pytest.mark.parametrize(
    "garbage",
    [
        {"quoted_price_cents": "ninety-nine"},
        {"quoted_price_cents": "99.5"},
        {"quoted_price_cents": ""},
        {"quoted_price_cents": "-1"},
        {"phone": "not a phone"},
        {"name": ""},
    ],
    ids=["words-price", "fraction-price", "empty-price", "negative-price", "bad-phone", "no-name"],
)
def test_confirm_with_garbage_hidden_fields_is_a_400_and_saves_nothing(client, service, promotion, garbage):
    slot = slot_at(service, PROMO_DAY, 10)
    fields = hidden_fields(review(client, slot))

    response = confirm(client, slot, {**fields, **garbage})

    assert response.status_code == 400
    assert not Booking.objects.exists()


# 6. Wrong methods and missing CSRF tokens ----------------------------------------------------------


def test_get_on_the_confirm_url_is_a_405(client, service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    assert client.get(f"/book/time/{slot.pk}/confirm/").status_code == 405
    assert not Booking.objects.exists()


@pytest.mark.parametrize("url", ["/", "/book/", f"/book/{PROMO_DAY}/", "/booking/{reference}/"])
def test_read_only_pages_refuse_post_with_a_405(client, service, promotion, url):
    booking = BookingFactory(slot=slot_at(service, PROMO_DAY, 10))
    response = client.post(url.format(reference=booking.reference), MICHAEL)
    assert response.status_code == 405
    assert Booking.objects.count() == 1


def test_details_post_without_csrf_token_is_a_friendly_403(service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    browser = Client(enforce_csrf_checks=True)
    token = control(browser.get(f"/book/time/{slot.pk}/"), "csrfmiddlewaretoken")["value"]

    refused = post_details(browser, slot)
    accepted = post_details(browser, slot, csrfmiddlewaretoken=token)

    says(refused, "Please try again", status=403)
    says(refused, "nothing was saved", status=403)
    says(accepted, "Review and confirm")  # the same post with its token goes through
    assert not Booking.objects.exists()


def test_confirm_post_without_csrf_token_is_a_friendly_403_and_books_nothing(service, promotion):
    slot = slot_at(service, PROMO_DAY, 10)
    browser = Client(enforce_csrf_checks=True)
    token = control(browser.get(f"/book/time/{slot.pk}/"), "csrfmiddlewaretoken")["value"]
    fields = hidden_fields(post_details(browser, slot, csrfmiddlewaretoken=token))

    refused = confirm(browser, slot, fields)

    says(refused, "Please try again", status=403)
    assert not Booking.objects.exists()
    assert confirm(browser, slot, {**fields, "csrfmiddlewaretoken": token}).status_code == 302


# 7. The booking page -------------------------------------------------------------------------------


@pytest.mark.parametrize("reference", ["ZZZZZZZZZZZZZZZZ", "nope"])
def test_unknown_booking_reference_is_a_friendly_404(client, service, reference):
    BookingFactory(slot=slot_at(service, PROMO_DAY, 10))
    says(client.get(f"/booking/{reference}/"), FRIENDLY_404, status=404)


# 8. Query budget -----------------------------------------------------------------------------------


def _listed(url, response) -> int:
    """How many days or times a page lists (the landing page lists none)."""
    if url == "/book/":
        return len(day_links(response))
    if url.startswith("/book/"):
        return len(time_choices(response))
    return 0


@pytest.mark.parametrize("url, budget", [("/", 3), ("/book/", 5), (f"/book/{PROMO_DAY}/", 5)])
def test_page_runs_the_same_queries_for_one_day_or_six_weeks_of_slots(client, service, promotion, url, budget):
    # One day of slots, only its first one bookable: the day page lists one time and the days page one day.
    slots_generate(service=service, start=PROMO_DAY, end=PROMO_DAY)
    _, *others = Slot.objects.all()
    Slot.objects.filter(pk__in=[s.pk for s in others]).update(is_blocked=True)
    BookingFactory(slot=others[0], promotion=promotion)
    with CaptureQueriesContext(connection) as one_day:
        small = client.get(url)

    # Six weeks of slots, all bookable but two booked ones.
    Slot.objects.update(is_blocked=False)
    slots_generate(service=service, start=TODAY, end=TODAY + timedelta(weeks=6))
    BookingFactory(slot=Slot.objects.last(), promotion=promotion)
    BookingFactory(slot=Slot.objects.filter(starts_at__gte=local(REGULAR_DAY, 0)).first())
    with CaptureQueriesContext(connection) as six_weeks:
        big = client.get(url)

    assert small.status_code == big.status_code == 200
    assert Slot.objects.count() > 400
    if url != "/":
        assert _listed(url, small) == 1
        assert _listed(url, big) > 10  # the big page really did list more
    assert len(one_day) <= budget, "\n".join(q["sql"] for q in one_day.captured_queries)
    assert len(six_weeks) == len(one_day), "\n".join(q["sql"] for q in six_weeks.captured_queries)


# 9. Daylight saving --------------------------------------------------------------------------------


def test_daylight_saving_end_keeps_7am_local_on_both_sides_and_shifts_utc(client, clock, service):
    # US daylight saving time ends on Sunday 2026-11-01.
    clock.move_to(local(date(2026, 10, 26), 9))
    slots_generate(service=service, start=date(2026, 10, 30), end=date(2026, 11, 2))

    friday = client.get("/book/2026-10-30/")
    monday = client.get("/book/2026-11-02/")

    assert time_choices(friday)[0] == "7:00 AM $175"
    assert time_choices(monday)[0] == "7:00 AM $175"
    assert page(friday).times[0] == ("2026-10-30T07:00:00-07:00", "7:00 AM")
    assert page(monday).times[0] == ("2026-11-02T07:00:00-08:00", "7:00 AM")
    first_friday = Slot.objects.get(pk=_first_slot_id(friday))
    first_monday = Slot.objects.get(pk=_first_slot_id(monday))
    assert first_friday.starts_at.astimezone(UTC).hour == 14
    assert first_monday.starts_at.astimezone(UTC).hour == 15


def _first_slot_id(response) -> int:
    return int(next(h for h in hrefs(response) if h.startswith("/book/time/")).split("/")[3])


# A clinic in another time zone ---------------------------------------------------------------------


def test_day_page_shows_times_in_the_clinics_own_time_zone(client):
    service = ServiceFactory(clinic=ClinicFactory(time_zone="America/New_York"))
    SlotFactory(service=service, starts_at=local(PROMO_DAY, 7, tz="America/New_York"))

    response = client.get(f"/book/{PROMO_DAY}/")

    assert time_choices(response) == ["7:00 AM $175"]
