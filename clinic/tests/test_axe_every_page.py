"""Every page of the site in Chromium, each checked with axe-core and against the CSP (clinic/tests/audit.py).

Every URL pattern is either a page in the sweep (every_page.py: how to open it, and as whom), in a state a
person meets (every_page_states.py: the error pages, forms sent back with errors, a time lost while typing), or
excluded with the reason it is no page. One browser per role, each kept for all of that role's pages: the
patient's phone (390 × 844), and a desktop signed out, for the front desk, a clinician, the manager and a
superuser.
"""

from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from assessments.roles import CLINICIAN, FRONT_DESK, MANAGER

from .audit import Audit
from .every_page import PATIENT, ROLES, STAFF, SUPERUSER, UNNAMED_EXCLUDED, Sweep, everything, url_patterns
from .every_page_states import STATES
from .every_page_world import NOW, world_build

pytestmark = pytest.mark.django_db


def test_every_url_pattern_is_swept_or_excluded_for_a_reason(front_desk, clinician, manager, superuser):
    pages, excluded = everything({FRONT_DESK: front_desk, CLINICIAN: clinician, MANAGER: manager, SUPERUSER: superuser})
    patterns = list(url_patterns())
    names = {name for name, _ in patterns if name}

    unknown = sorted(names - set(pages) - set(excluded))
    assert not unknown, f"Add each to PAGES (how to open it) or EXCLUDED (why it is no page): {unknown}"
    assert not set(pages) & set(excluded)
    assert not (set(pages) | set(excluded)) - names, "the sweep names patterns the site no longer has"
    unnamed = sorted({view for name, view in patterns if not name} - set(UNNAMED_EXCLUDED))
    assert not unnamed, f"patterns without a name, neither swept nor excluded: {unnamed}"
    assert {"admin:booking_booking_change", "admin:auth_user_add", "admin:assessments_intake_change"} <= set(pages)


class Browsers:
    """One browser context per role, made when first needed and kept: staff signed in, the patient's holding
    what the world gave it."""

    def __init__(self, chromium, live_server, world):
        self.chromium, self.url, self.world = chromium, live_server.url, world
        self.pages, self.audits, self.contexts = {}, {}, []

    def page(self, role: str):
        if role not in self.pages:
            phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
            context = self.chromium.new_context(
                **(phone if role == PATIENT else {"viewport": {"width": 1280, "height": 900}})
            )
            self.contexts.append(context)
            cookies = self.world.patient_cookies if role == PATIENT else []
            if role in STAFF:
                client = Client()
                client.force_login(self.world.users[role])  # verified by both factors where needed (conftest.py)
                session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
                cookies = [{"name": django_settings.SESSION_COOKIE_NAME, "value": session}]
            context.add_cookies([{**cookie, "url": self.url} for cookie in cookies])
            page = context.new_page()
            page.set_default_timeout(10_000)
            self.pages[role], self.audits[role] = page, Audit(page)
        return self.pages[role]

    def sweep(self, what: str, role: str, open_page, sweep: Sweep, arrived) -> str | None:
        """Open a page in the role's browser, check it is the page meant (`arrived(page)`), and audit it: what went
        wrong, or None."""
        page, audit = self.page(role), self.audits[role]
        try:
            open_page(sweep, page)
            page.wait_for_load_state()
            arrived(page)
            audit()
        except (AssertionError, PlaywrightError) as error:
            return f"{what} ({role}) {where(page)}: {str(error)[:2_000]}"
        finally:
            audit.csp_errors.clear()  # reported once, with the page that caused it
        return None

    def close(self):
        for context in self.contexts:
            context.close()


def where(page) -> str:
    """The page's address and heading, to say where a failure happened."""
    try:
        heading = page.locator("h1").first.inner_text(timeout=1_000)
    except PlaywrightError:
        heading = "no heading"
    alerts = page.locator("[role=alert]").all_inner_texts()
    return f"at {page.url} ({heading}{': ' + ' '.join(alerts) if alerts else ''})"


def is_page(name: str):
    """A check that the browser is on a page of the pattern `name` (it was not sent elsewhere)."""

    def arrived(page) -> None:
        try:
            found = resolve(urlsplit(page.url).path).view_name
        except Resolver404:
            found = "no pattern"
        assert found == name, f"the browser is on {found}"

    return arrived


def shows(text: str):
    """A check that the page shows `text`: it is in the state meant."""
    return lambda page: expect(page.locator("body")).to_contain_text(text)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_page_has_no_serious_accessibility_violation_and_nothing_refused_by_the_csp(
    chromium, live_server, clinic, service, settings, django_user_model, stripe_recorder, twilio_recorder
):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""  # pay at the visit, unless a page says
    results = []  # what went wrong on each page, or None
    with time_machine.travel(NOW, tick=True) as clock:
        world = world_build(
            clinic=clinic,
            service=service,
            settings=settings,
            django_user_model=django_user_model,
            twilio=twilio_recorder,
        )
        pages, _ = everything(world.users)
        sweep = Sweep(world, live_server.url, settings, stripe_recorder, twilio_recorder, clock)
        browsers = Browsers(chromium, live_server, world)
        try:
            for name, visit in pages.items():
                results.append(browsers.sweep(name, visit.role, visit.open, sweep, is_page(name)))
            for state in STATES:
                results.append(browsers.sweep(state.what, state.role, state.open, sweep, shows(state.shows)))
        finally:
            browsers.close()

    failed = [result for result in results if result]
    assert not failed, f"{len(failed)} of {len(results)} pages failed:\n\n" + "\n\n".join(failed)
    assert len(results) == len(pages) + len(STATES) > 150  # every page was swept
    assert set(ROLES) == set(browsers.pages)  # in every role's browser
