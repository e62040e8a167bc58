"""The sweep's browsers: one per role, each kept for all of that role's pages, and the checks that a page is the one
meant (test_axe_every_page.py, test_spanish_every_page.py)."""

from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.test import Client
from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from .audit import Audit
from .every_page import PATIENT, STAFF, Sweep


class Browsers:
    """One browser context per role, made when first needed and kept: staff signed in, the patient's holding
    what the world gave it: the patient's phone (390 × 844), and a desktop for everyone else. Each page is
    audited with axe-core and against the CSP unless `audit` is False."""

    def __init__(self, chromium, live_server, world, *, audit: bool = True):
        self.chromium, self.url, self.world, self.audit = chromium, live_server.url, world, audit
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
            self.pages[role] = page
            if self.audit:
                self.audits[role] = Audit(page)
        return self.pages[role]

    def sweep(self, what: str, role: str, open_page, sweep: Sweep, arrived) -> str | None:
        """Open a page in the role's browser, check it is the page meant (`arrived(page)`, which may check more),
        and audit it: what went wrong, or None."""
        page, audit = self.page(role), self.audits.get(role)
        try:
            open_page(sweep, page)
            page.wait_for_load_state()
            arrived(page)
            if audit:
                audit()
        except (AssertionError, PlaywrightError) as error:
            return f"{what} ({role}) {where(page)}: {str(error)[:2_000]}"
        finally:
            if audit:
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
