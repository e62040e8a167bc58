"""The offer page and the day calendar on a 390 × 844 phone in Chromium, checked with axe-core and the CSP.

The first screen, before any scrolling, shows the price, the spots left and the Book button; the Book bar
stays on screen to the foot of the page without hiding it; the whole first visit weighs at most 100 KB
and asks nothing of any other site. Then the calendar: seven columns that fit, worked with the keyboard.
"""

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from playwright.sync_api import expect

from booking.services import slots_generate
from booking.tests.factories import PromotionFactory, local
from clinic.tests.audit import Audit
from clinic.tests.factories import PractitionerFactory, portrait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = date(2026, 11, 30)  # the offer's visit week is the next one
WIDTH, HEIGHT = 390, 844
FIRST_VISIT_BUDGET = 100 * 1000  # bytes: HTML, CSS, scripts, images, icon and fonts together


@pytest.fixture
def offer_page(service):
    clinic = service.clinic
    clinic.parking_note = "Free parking in the building’s lot. By trolley: the Blue Line’s Balboa Avenue stop."
    clinic.save()
    with time_machine.travel(local(MONDAY, 9), tick=False):
        PromotionFactory(
            service=service, visit_starts_on=MONDAY + timedelta(days=7), visit_ends_on=MONDAY + timedelta(days=11)
        )
    PractitionerFactory(
        clinic=clinic,
        credentials="PT, DPT, OCS",
        bio="Brandon helps San Diego runners get back to pain-free miles, one single-leg drill at a time.",
        featured=True,
        photo=portrait(1200, 1600),
    )
    slots_generate(service=service, start=MONDAY, end=MONDAY + timedelta(days=20))


def on_screen(box) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= WIDTH and box["y"] + box["height"] <= HEIGHT


def uncovered(page, selector: str) -> bool:
    """Nothing lies over the middle of the element (the fixed Book bar, say)."""
    return page.evaluate(
        """selector => {
            const el = document.querySelector(selector), box = el.getBoundingClientRect();
            return el.contains(document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2));
        }""",
        selector,
    )


def test_the_first_screen_sells_the_offer_and_the_first_visit_stays_light_and_local(
    phone_page, live_server, offer_page
):
    page, audit = phone_page, Audit(phone_page)
    requested, responses = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("response", lambda response: responses.append(response))

    with time_machine.travel(local(MONDAY, 9), tick=True):
        page.goto(live_server.url + "/")
        audit()

        # The first screen, unscrolled: the price beside the regular one, the spots left, the Book button.
        assert page.evaluate("window.scrollY") == 0
        book = page.get_by_role("link", name="Book your $99 assessment")
        expect(page.locator(".price-line")).to_have_text("$99 regular price $175")
        expect(page.locator("#spots-left")).to_have_text("8 of 8 discounted spots left")
        for locator in (page.locator(".price-line"), page.locator("#spots-left"), book):
            assert on_screen(locator.bounding_box()), locator
        assert uncovered(page, ".price-line") and uncovered(page, "#spots-left")
        expect(page.locator(".offer-dates")).to_have_text(
            "Visits Monday, December 7 to Friday, December 11. Book by Friday, December 11."
        )

        # Scrolled to the foot: the Book bar is still on screen, and the page's last line is above it.
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_function("window.scrollY > 0")
        bar = page.locator(".book-bar").bounding_box()
        assert on_screen(bar)
        assert on_screen(book.bounding_box())
        last_line = page.evaluate("document.querySelector('.site-footer').lastElementChild.getBoundingClientRect()")
        assert last_line["bottom"] <= bar["y"]
        expect(page.get_by_role("heading", name="Brandon Pascual, PT, DPT, OCS")).to_be_visible()
        photo = page.get_by_role("img", name="Photo of Brandon Pascual")
        expect(photo).to_be_visible()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        audit()
        page.wait_for_load_state("networkidle")

        # Everything the visit loaded (the lazy photo included), and the icon the browser shows in the tab.
        weights = {response.url: len(response.body()) for response in responses}
        icon = live_server.url + page.locator("link[rel=icon]").get_attribute("href")
        if icon not in weights:
            weights[icon] = len(page.request.get(icon).body())

    assert any("/photos/practitioners/" in url for url in weights)
    assert sum(weights.values()) <= FIRST_VISIT_BUDGET, weights
    origin = urlsplit(live_server.url).netloc
    assert {urlsplit(url).netloc for url in requested} == {origin}, requested


def test_the_calendar_fits_a_phone_and_works_with_the_keyboard(phone_page, live_server, offer_page):
    page, audit = phone_page, Audit(phone_page)
    with time_machine.travel(local(MONDAY, 9), tick=True):
        page.goto(live_server.url + "/")
        book = page.get_by_role("link", name="Book your $99 assessment")
        book.focus()
        book.press("Enter")
        expect(page.locator("h1")).to_have_text("Choose a day")
        audit()

        # Seven columns within 390 pixels, each day a target at least 44 pixels square.
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        days = page.locator(".calendar a")
        assert days.count() > 10
        for box in (days.nth(i).bounding_box() for i in range(days.count())):
            assert box["width"] >= 44 and box["height"] >= 44 and box["x"] + box["width"] <= WIDTH
        expect(page.locator(".calendar caption").first).to_have_text("November 2026")
        expect(page.get_by_role("link", name="Monday, December 7: 12 times, discounted times at $99")).to_be_visible()

        page.keyboard.press("Tab")  # from the page's start: the skip link, then the clinic's name and phone
        for _ in range(20):
            if page.evaluate("document.activeElement.textContent").startswith("Next available"):
                break
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Next available: Monday, November 30"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "First $99 day: Monday, December 7"
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text("Monday, December 7")
        expect(page.get_by_text("Choose a time. Times are in Pacific time.")).to_be_visible()
        audit()
