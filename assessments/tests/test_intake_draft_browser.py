"""On a phone: half a step kept with "Save and finish later" and found again through the link; a wrong step's
summary takes the focus; the pain boxes answer a tap and the keyboard. Every page checked with axe-core."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import ConsentDocument, Intake
from assessments.selectors import consent_documents_live
from assessments.tests.browser import answer, fill_steps
from assessments.tests.helpers import publish
from booking.links import Purpose, private_path
from booking.tests.factories import BookingFactory, SlotFactory
from clinic.tests.audit import Audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BRAND_DARK = "rgb(124, 15, 18)"  # a chosen box (#7c0f12)


@pytest.fixture
def wording(db):
    """Version 1 of the consent and the notice (a browser test's database is emptied after each test, the
    migration's rows with it)."""
    live = consent_documents_live()
    if live.treatment is None:
        publish(ConsentDocument.Kind.TREATMENT, "## What we do\nWe assess and treat you: exercise and advice.")
    if live.privacy is None:
        publish(ConsentDocument.Kind.PRIVACY, "## Our promise\nYour health information is private.")


@pytest.fixture
def dana(live_server, service, wording):
    """Dana's booking three days from now, and her questionnaire's link."""
    slot = SlotFactory(service=service, starts_at=timezone.now() + timedelta(days=3))
    booking = BookingFactory(slot=slot, patient_name="Dana Cruz", email="dana@example.com")
    return booking, live_server.url + private_path(booking, Purpose.INTAKE)


def pain_question(page, question: str):
    return page.get_by_role("group", name=question)


def test_half_a_step_kept_for_later_is_there_when_the_patient_comes_back_and_finishes(phone_page, dana):
    page, audit = phone_page, Audit(phone_page)
    booking, link = dana
    race_day = (timezone.localdate() + timedelta(days=40)).isoformat()
    page.goto(link)
    fill_steps(page, ["about"], race_day=race_day, check=audit)

    # Half of the pain step, then away.
    expect(page.locator("h1")).to_have_text("Your pain")
    answer(page, "Where does it hurt?", "Hip")
    page.get_by_label("How did it start?").fill("Hill repeats in the rain")
    pain_question(page, "How much does it hurt now?").get_by_label("6", exact=True).tap()
    page.get_by_role("button", name="Save and finish later").click()
    expect(page.locator("h1")).to_have_text("Before your visit")
    expect(page.get_by_text("Step 2: Your pain")).to_be_visible()
    expect(page.locator(".day-list li").nth(1)).to_contain_text("Kept to finish later")
    assert "?" not in page.url and "#" not in page.url
    audit()

    # Back through the link: the half-filled step, as it was left.
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Your pain")
    expect(page.get_by_text("You kept this step to finish later.")).to_be_visible()
    expect(page.get_by_role("group", name="Where does it hurt?").get_by_label("Hip", exact=True)).to_be_checked()
    expect(page.get_by_label("How did it start?")).to_have_value("Hill repeats in the rain")
    expect(pain_question(page, "How much does it hurt now?").get_by_label("6", exact=True)).to_be_checked()
    audit()

    # Sent half done: the summary takes the focus and leads to each mistake.
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    audit()
    summary.get_by_role("link", name="Tell us how long it has been hurting.").click()
    expect(page.locator("#id_pain_since_0")).to_be_focused()
    answer(page, "How long has it been hurting?", "2 to 6 weeks")
    pain_question(page, "How much does it hurt at its worst?").get_by_label("7", exact=True).tap()
    answer(page, "Does it wake you at night?", "No")
    page.get_by_role("button", name="Save and continue").click()

    fill_steps(page, ["running", "history", "screen", "consent"], race_day=race_day, check=audit)
    expect(page.locator("h1")).to_have_text("Thank you, Dana")
    audit()
    intake = Intake.objects.get(booking=booking)
    assert intake.completed_at is not None and intake.drafts == {}
    assert (intake.pain_areas, intake.pain_onset, intake.pain_now, intake.pain_worst) == (
        ["hip"],
        "Hill repeats in the rain",
        6,
        7,
    )
    assert (intake.signed_treatment_consent.version, intake.signed_privacy_notice.version) == (1, 1)
    assert len(audit.pages) == 9


def test_the_pain_boxes_answer_a_tap_and_the_keyboard_and_fit_the_phone(phone_page, dana):
    page, audit = phone_page, Audit(phone_page)
    _, link = dana
    page.goto(f"{link}pain/")
    audit()
    now = pain_question(page, "How much does it hurt now?")
    boxes = now.locator("label")
    assert boxes.count() == 11
    for n in range(11):
        box = boxes.nth(n).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (n, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (n, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A tap chooses a box, and the box shows it.
    now.get_by_label("4", exact=True).tap()
    expect(now.get_by_label("4", exact=True)).to_be_checked()
    assert boxes.nth(4).evaluate("label => getComputedStyle(label).backgroundColor") == BRAND_DARK
    assert boxes.nth(3).evaluate("label => getComputedStyle(label).backgroundColor") != BRAND_DARK

    # The keyboard: Tab into the next question, the arrows to move, and the focus is seen.
    now.get_by_label("4", exact=True).focus()
    page.keyboard.press("ArrowRight")
    expect(now.get_by_label("5", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    worst = pain_question(page, "How much does it hurt at its worst?")
    expect(worst.get_by_label("0", exact=True)).to_be_focused()
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    expect(worst.get_by_label("7", exact=True)).to_be_checked()
    seven = worst.locator("label").nth(7)
    assert seven.evaluate("label => getComputedStyle(label).outlineStyle") == "solid"
    audit()

    # Yes or no: two large boxes side by side.
    wakes = page.get_by_role("group", name="Does it wake you at night?")
    yes, no = wakes.locator("label").nth(0).bounding_box(), wakes.locator("label").nth(1).bounding_box()
    assert yes["height"] >= 44 and yes["width"] >= 120 and yes["y"] == no["y"]
    wakes.get_by_label("Yes", exact=True).tap()
    expect(wakes.get_by_label("Yes", exact=True)).to_be_checked()
