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
    """Pick an answer to a yes/no, pick-one, pick-several or pain question: the option's label inside the
    question's group (a pain score is one of eleven boxes, a yes or no one of two)."""
    page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


def fill_date_of_birth(page, month: str, day: str, year: str) -> None:
    born = page.get_by_role("group", name="Date of birth")
    born.get_by_label("Month").fill(month)
    born.get_by_label("Day").fill(day)
    born.get_by_label("Year").fill(year)


def fill_about(page) -> None:
    fill_date_of_birth(page, "3", "14", "1988")
    page.get_by_label("Sex (optional)").select_option(label="Female")
    page.get_by_label("Emergency contact's name").fill("Ottoline Brackwater")
    page.get_by_label("Emergency contact's phone").fill("(619) 555-0177")
    page.get_by_label("How did you hear of us? (optional)").select_option(label="A running club or race")


def fill_pain(page) -> None:
    answer(page, "Where does it hurt?", "Low back")
    answer(page, "Where does it hurt?", "Hip")
    answer(page, "Which side? (optional)", "Left")
    answer(page, "How long has it been hurting?", "2 to 6 weeks")
    page.get_by_label("How did it start?").fill("Hill repeats in the rain")
    answer(page, "How much does it hurt now?", "3")
    answer(page, "How much does it hurt at its worst?", "7")
    page.get_by_label("What makes it worse?").fill("Downhill running")
    page.get_by_label("What makes it better?").fill("Walking")
    answer(page, "Does it wake you at night?", "No")


def fill_running(page, *, race_day: str) -> None:
    page.get_by_label("Years running").fill("9")
    page.get_by_label("Weekly miles now").fill("32.5")
    page.get_by_label("Weekly miles at peak").fill("48")
    page.get_by_label("Longest recent run (miles)").fill("14")
    page.get_by_label("Where is your training plan? (optional)").select_option(label="Build")
    page.get_by_label("Your next race (if any)").fill("Carlsbad Half")
    page.get_by_label("Next race date").fill(race_day)
    page.get_by_label("Its distance").fill("13.1 miles")
    page.get_by_label("Other sports").fill("Cycling")
    page.get_by_label("Strength work now").fill("Deadlifts twice a week")


def fill_history(page) -> None:
    page.get_by_label("Previous injuries and surgeries").fill("Sprained ankle, 2019")
    page.get_by_label("Medications").fill("None")
    page.get_by_label("Imaging already done").fill("None")
    page.get_by_label("Other conditions").fill("None")


def fill_screen(page) -> None:
    for question in SCREEN_QUESTIONS:
        answer(page, question, "No")


def fill_consent(page, *, signature: str) -> None:
    page.get_by_label("What would you like from the visit?").fill("Run the half without pain")
    page.get_by_label("I consent to evaluation and treatment.").check()
    page.get_by_label("I have read the Notice of Privacy Practices.").check()
    answer(page, "May we film your stride for the assessment?", "Yes")
    page.get_by_label("Type your full name to sign").fill(signature)


def fill_steps(page, steps, *, race_day: str, signature: str = "Dana Cruz", check=lambda page: None) -> None:
    """Answer these steps in turn, from the one on the page, calling `check(page)` on each step's page before
    filling it, and sending it."""
    fillers = {
        "about": ("About you", fill_about),
        "pain": ("Your pain", fill_pain),
        "running": ("Your running", lambda page: fill_running(page, race_day=race_day)),
        "history": ("Your history", fill_history),
        "screen": ("A few safety questions", fill_screen),
        "consent": ("Goals and consent", lambda page: fill_consent(page, signature=signature)),
    }
    for step in steps:
        title, fill = fillers[step]
        check(page)
        assert page.locator("h1").inner_text() == title
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        fill(page)
        page.get_by_role("button", name="Sign and send" if step == "consent" else "Save and continue").click()


def fill_questionnaire(page, *, race_day: str, signature: str = "Dana Cruz", check=lambda page: None) -> None:
    """Answer all six steps from the first, calling `check(page)` on each step's page before filling it."""
    steps = ["about", "pain", "running", "history", "screen", "consent"]
    fill_steps(page, steps, race_day=race_day, signature=signature, check=check)


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
