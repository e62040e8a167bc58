"""Filling the questionnaire in a browser, every field found by its label, as a patient on a phone would."""

import re

SCREEN_QUESTIONS = [
    "Do you have numbness or tingling in your legs?",
    "Do you have numbness or tingling in the saddle area",
    "Do you have major or worsening weakness in your legs?",
    "Do you have new changes in how your bladder or bowels work?",
    "Do you have weight loss you cannot explain?",
    "Do you have fever, or feeling generally unwell?",
    "Do you have a history of cancer?",
    "Do you have a recent fall or accident?",
    "Do you have constant pain that rest does not ease?",
]


def answer(page, question: str, choice: str) -> None:
    """Pick an answer to a yes/no or pick-several question: the option's label inside the question's group."""
    page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


def fill_questionnaire(page, *, race_day: str, signature: str = "Dana Cruz", check=lambda page: None) -> None:
    """Answer all six steps from the first, calling `check(page)` on each step's page before filling it."""
    check(page)
    assert page.locator("h1").inner_text() == "About you"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.get_by_label("Date of birth").fill("1988-03-14")
    page.get_by_label("Sex (optional)").select_option(label="Female")
    page.get_by_label("Emergency contact's name").fill("Ottoline Brackwater")
    page.get_by_label("Emergency contact's phone").fill("(619) 555-0177")
    page.get_by_label("How you heard of us").select_option(label="A running club or race")
    page.get_by_role("button", name="Save and continue").click()

    check(page)
    assert page.locator("h1").inner_text() == "Your pain"
    answer(page, "Where does it hurt?", "Low back")
    answer(page, "Where does it hurt?", "Hip")
    page.get_by_label("Which side").select_option(label="Left")
    page.get_by_label("Since when").select_option(label="2 to 6 weeks")
    page.get_by_label("How it started").fill("Hill repeats in the rain")
    page.get_by_label("Pain now (0–10)").fill("3")
    page.get_by_label("Pain at its worst (0–10)").fill("7")
    page.get_by_label("What makes it worse").fill("Downhill running")
    page.get_by_label("What makes it better").fill("Walking")
    answer(page, "Does it wake you at night?", "No")
    page.get_by_role("button", name="Save and continue").click()

    check(page)
    assert page.locator("h1").inner_text() == "Your running"
    page.get_by_label("Years running").fill("9")
    page.get_by_label("Weekly miles now").fill("32.5")
    page.get_by_label("Weekly miles at peak").fill("48")
    page.get_by_label("Longest recent run (miles)").fill("14")
    page.get_by_label("Where your plan is").select_option(label="Build")
    page.get_by_label("Your next race (if any)").fill("Carlsbad Half")
    page.get_by_label("Next race date").fill(race_day)
    page.get_by_label("Its distance").fill("13.1 miles")
    page.get_by_label("Other sports").fill("Cycling")
    page.get_by_label("Strength work now").fill("Deadlifts twice a week")
    page.get_by_role("button", name="Save and continue").click()

    check(page)
    assert page.locator("h1").inner_text() == "Your history"
    page.get_by_label("Previous injuries and surgeries").fill("Sprained ankle, 2019")
    page.get_by_label("Medications").fill("None")
    page.get_by_label("Imaging already done").fill("None")
    page.get_by_label("Other conditions").fill("None")
    page.get_by_role("button", name="Save and continue").click()

    check(page)
    assert page.locator("h1").inner_text() == "A few safety questions"
    for question in SCREEN_QUESTIONS:
        answer(page, question, "No")
    page.get_by_role("button", name="Save and continue").click()

    check(page)
    assert page.locator("h1").inner_text() == "Goals and consent"
    page.get_by_label("What would you like from the visit?").fill("Run the half without pain")
    page.get_by_label("I consent to a physical-therapy assessment and treatment.").check()
    page.get_by_label("I have read how the clinic keeps my health information private.").check()
    answer(page, "May we film your stride for the assessment?", "Yes")
    page.get_by_label("Type your full name to sign").fill(signature)
    page.get_by_role("button", name="Sign and send").click()


# A page object of the PDF ("/Type /Page"), not the tree that holds them ("/Type /Pages").
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
PAGE_COUNT = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b")


def pdf_pages(pdf: bytes) -> int:
    """The pages of a PDF, counted twice over: its page objects, and the count its page tree declares."""
    objects = len(PAGE_OBJECT.findall(pdf))
    declared = [int(a or b) for a, b in PAGE_COUNT.findall(pdf)]
    assert declared, "no page tree found in the PDF"
    assert max(declared) == objects
    return objects
