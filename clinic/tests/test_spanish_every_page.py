"""Every public page in Spanish: each page and state a patient meets (every_page.py, every_page_states.py), opened
under /es/ in the patient's phone, is `lang="es"` and shows none of a list of English words and phrases taken from
the English pages, in its text, its title, or the labels, titles, placeholders and alternative texts of its
elements. The same sweep in English finds some of them on every page, so the list reaches every page.

The clinic's own words (its name and address, the service's name and what it includes, the offer's headline, the
practitioners' bios, the consent documents) are typed by the clinic, in each language, and left out. The staff's
pages (the admin, its login) stay in English and have no Spanish address.
"""

import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.urls import Resolver404, resolve
from django.utils import translation

from assessments.forms import STEPS
from assessments.models import ConsentDocument
from clinic.forms import WRONG_CODE
from clinic.models import Closure

from .every_page import PAGES, PATIENT, Sweep
from .every_page_browsers import Browsers, is_page, shows
from .every_page_states import STATES
from .every_page_world import NOW, World, world_build

pytestmark = pytest.mark.django_db

# Words and phrases of the English pages that no Spanish page has: the words every English sentence is made of,
# then the pages' headings, buttons, labels and messages. Matched whole and with their case ("No" and "a" are
# Spanish too, so are not here; nor are names, such as Google Calendar or Instagram).
ENGLISH = [
    *["the", "The", "and", "you", "You", "your", "Your", "we", "We", "our", "Our", "is", "are", "for", "with"],
    *["this", "This", "that", "not", "of", "to", "on", "at", "or", "it", "It", "by", "from", "From", "if", "If"],
    *["Book", "book", "Booking", "booking", "booked", "Choose", "choose", "Your details", "Confirm", "confirm"],
    *["Continue", "Cancel", "cancel", "Move", "move", "minutes", "Back to", "Go to", "pay", "Payment"],
    *["payment", "paid", "due", "waiting list", "There is a problem", "Page not found", "Something went wrong"],
    *["Please", "please", "Thank you", "thank you", "Step", "step", "Email", "Mobile", "Full name"],
    *["Name", "Text", "texts", "Call", "call", "Send", "Enter", "Type", "Check", "Held", "Confirmed", "Cancelled"],
    *["Reference", "Amount", "When", "Where", "With", "Price", "Status", "Visit", "visit", "time", "times", "day"],
    *["Pacific time", "Hours", "closed", "Yes", "Questions", "Before your visit", "spots"],
    *["discounted", "regular price", "left", "held", "hold", "until", "Until", "again", "now", "new", "link"],
    *["page", "code", "questionnaire", "answers", "pain", "running", "history", "safety", "consent", "Date of birth"],
    *["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Mon", "Tue", "Wed", "Thu"],
    *["November", "December", "January", "AM", "PM"],
]
# How Spanish writes a time: "9:00 a. m.", ending a sentence as "a. m." (not "a. m.."), with its article after "a",
# "hasta" or "entre" ("a las 9:00 a. m."), and one o'clock singular ("a la 1:00 p. m.", not "a las 1:00 p. m.").
NOT_SPANISH_STYLE = [
    r"\d (a\.m\.|p\.m\.)",
    r"m\.\.",
    r"\b(a|hasta|entre|y) \d{1,2}(:\d\d)? [ap]\. m\.",
    r"\blas 1(:\d\d)? [ap]\. m\.",
]

READ = """() => {
  const texts = [document.title, document.body.innerText];
  const named = '[title], [aria-label], [placeholder], [alt], input[type=submit], input[type=button]';
  for (const element of document.querySelectorAll(named)) {
    for (const name of ['title', 'aria-label', 'placeholder', 'alt']) {
      if (element.hasAttribute(name)) texts.push(element.getAttribute(name));
    }
    if (element.matches('input')) texts.push(element.value);
  }
  return {lang: document.documentElement.lang, texts};
}"""


def clinic_words(world: World) -> list[str]:
    """What the clinic types itself, line by line as pages show it, longest first."""
    clinic, service, promotion, practitioner = world.clinic, world.service, world.promotion, world.practitioner
    texts = [
        *(clinic.name, clinic.street, clinic.city, clinic.parking_note, clinic.address_line),
        *(service.name, service.summary, service.includes, promotion.name, promotion.headline),
        *(practitioner.name, practitioner.credentials, practitioner.bio),
        *Closure.objects.values_list("reason", flat=True),
        *ConsentDocument.objects.values_list("body", flat=True),
    ]
    lines = {line.strip().removeprefix("## ").removeprefix("- ") for text in texts for line in text.splitlines()}
    return sorted(filter(None, lines), key=len, reverse=True)


def english_on(texts: list[str], words: list[str]) -> list[str]:
    """The English phrases in `texts`, with the clinic's own `words` left out."""
    text = "\n".join(texts)
    for line in words:
        text = text.replace(line, "\n")
    return [phrase for phrase in ENGLISH if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text)]


def reads_spanish(words: list[str]):
    def check(page) -> None:
        shown = page.evaluate(READ)
        assert shown["lang"] == "es", f'<html lang="{shown["lang"]}">'
        english = english_on(shown["texts"], words)
        assert not english, f"English on the Spanish page: {english}\n\n" + "\n".join(shown["texts"])
        text = "\n".join(shown["texts"])
        style = [m.group() for pattern in NOT_SPANISH_STYLE for m in re.finditer(pattern, text)]
        assert not style, f"not as Spanish writes it: {style}"

    return check


def reads_english(words: list[str], seen: dict, what: str):
    def check(page) -> None:
        seen[what] = english_on(page.evaluate(READ)["texts"], words)

    return check


def is_spanish_page(name: str):
    """The browser is on a page of the pattern `name`, under /es/."""

    def arrived(page) -> None:
        path = urlsplit(page.url).path
        assert path.startswith("/es/"), f"the browser is on {path}, not a Spanish address"
        with translation.override("es"):
            try:
                found = resolve(path).view_name
            except Resolver404:
                found = "no pattern"
        assert found == name, f"the browser is on {found}"

    return arrived


def _spanish(message) -> str:
    with translation.override("es"):
        return str(message)


# What each state shows in Spanish, as `State.shows` says it in English.
SHOWN_IN_SPANISH = {
    "the texted code: a wrong one": _spanish(WRONG_CODE),
    "the texted code: booked": "Su cita está reservada, Ann",
    "the offer's page once claimed": "Es suyo, Ann",
    "the offer sold out": "lista de espera",
    "a page that is not there (404)": "No encontramos esa página",
    "an altered private link (404)": "No encontramos esa página",
    "a replaced private link (410)": "ya no funciona",
    "a fault on the server (500)": "Algo salió mal de nuestro lado",
    "a form whose security token expired (403)": "Por favor inténtelo de nuevo",
    "resend my link: nothing typed": "Reciba el enlace de su reserva",
    "resend my link, once too often (429)": "Por favor espere un momento",
    "a booking's reference alone": "Reserva ",
    "a cancelled visit's page": "Esta cita está cancelada",
    "details: nothing typed": "Hay un problema",
    "details: an email typo": "¿Quiso decir",
    "a time booked by someone else meanwhile": "alguien acaba de reservar",
    "two tabs, two times": "Tiene otra hora apartada",
    "the payment provider down": "En este momento no pudimos recibir su pago",
    **{f"the questionnaire: {step.title}": _spanish(step.title) for step in list(STEPS.values())[1:]},
    "the questionnaire: nothing typed": "Hay un problema",
    "the questionnaire's code: a wrong one": _spanish(WRONG_CODE),
    "the waiting list: nothing typed": "Hay un problema",
    "a name and email for the waiting list: nothing typed": "Hay un problema",
    "a booking link texted over a week ago (410)": "El enlace para reservar que le enviamos por texto sirve durante 7",
    "a hold lapsed while the patient typed": "Terminó el tiempo que le apartamos esta hora",
}

PUBLIC_PAGES = {name: visit for name, visit in PAGES.items() if visit.role == PATIENT}
PUBLIC_STATES = [state for state in STATES if state.role == PATIENT]


@pytest.fixture
def sweep_public_pages(
    chromium, live_server, clinic, service, settings, django_user_model, stripe_recorder, twilio_recorder
):
    """Every public page and state, opened under a prefix in the patient's phone and checked as `on_page(name,
    words)` and `on_state(state, words)` say (`words`: the clinic's own): what went wrong, page by page."""

    def sweep_all(prefix: str, on_page, on_state) -> list[str | None]:
        settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""  # pay at the visit, unless a page says
        results = []
        with time_machine.travel(NOW, tick=True) as clock:
            world = world_build(
                clinic=clinic,
                service=service,
                settings=settings,
                django_user_model=django_user_model,
                twilio=twilio_recorder,
            )
            words = clinic_words(world)
            sweep = Sweep(world, live_server.url + prefix, settings, stripe_recorder, twilio_recorder, clock)
            browsers = Browsers(chromium, live_server, world, audit=False)
            try:
                for name, visit in PUBLIC_PAGES.items():
                    results.append(browsers.sweep(name, PATIENT, visit.open, sweep, on_page(name, words)))
                for state in PUBLIC_STATES:
                    results.append(browsers.sweep(state.what, PATIENT, state.open, sweep, on_state(state, words)))
            finally:
                browsers.close()
        failed = [result for result in results if result]
        assert not failed, f"{len(failed)} of {len(results)} pages failed:\n\n" + "\n\n".join(failed)
        assert len(results) == len(PUBLIC_PAGES) + len(PUBLIC_STATES) > 50
        return results

    return sweep_all


def both(*checks):
    def check(page) -> None:
        for one in checks:
            one(page)

    return check


def test_every_public_state_says_what_it_shows_in_spanish():
    assert {state.what for state in PUBLIC_STATES} == set(SHOWN_IN_SPANISH)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_public_page_and_state_in_spanish_shows_no_english(sweep_public_pages):
    sweep_public_pages(
        "/es",
        lambda name, words: both(is_spanish_page(name), reads_spanish(words)),
        lambda state, words: both(shows(SHOWN_IN_SPANISH[state.what]), reads_spanish(words)),
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_public_page_and_state_in_english_shows_the_english_phrases(sweep_public_pages):
    """The list reaches every page: each English page shows several of its phrases, and each phrase is on one."""
    seen = {}
    sweep_public_pages(
        "",
        lambda name, words: both(is_page(name), reads_english(words, seen, name)),
        lambda state, words: both(shows(state.shows), reads_english(words, seen, state.what)),
    )

    assert len(seen) == len(PUBLIC_PAGES) + len(PUBLIC_STATES)
    assert not {what: english for what, english in seen.items() if len(english) < 5}
    unseen = sorted(set(ENGLISH) - {phrase for english in seen.values() for phrase in english})
    assert not unseen, f"on no English page: {unseen}"
