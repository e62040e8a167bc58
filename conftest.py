import os
from contextlib import contextmanager
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from booking import stripe_gateway
from booking.rules import Patient
from booking.tests.factories import PromotionFactory, ServiceFactory
from booking.tests.pages import NOW
from booking.tests.stripe_fakes import SECRET_KEY, WEBHOOK_SECRET, NoStripeNetwork, StripeRecorder
from clinic.tests.factories import ClinicFactory
from clinic.tests.staff import staff_user
from clinic.two_factor import two_factor_required
from config.celery import app as celery_app
from notifications import twilio_gateway
from notifications.tests.twilio_fakes import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, NoTwilioNetwork, TwilioRecorder


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config):
    # Tasks run in the test's own process, so a test sees their effects.
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    # CI proves the suite on the real services: a silent fallback to SQLite would hide that.
    if _ci():
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError(f"CI must run on PostgreSQL (DATABASE_URL), not {engine}.")
        if not settings.REDIS_URL:
            raise pytest.UsageError("CI must run with REDIS_URL set.")


def pytest_collection_modifyitems(config, items):
    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    skip_postgres = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    skip_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://...")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_postgres)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)


_force_login = Client.force_login


def _signed_in_with_two_factors(self, user, backend=None):
    """Client.force_login, and the session verified by an authenticator app where the user must have one."""
    _force_login(self, user, backend)
    if two_factor_required(user):
        device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "Test app"})
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


@pytest.fixture(autouse=True)
def verified_force_login():
    """force_login skips the login form, and so its second factor too (tests run with DEBUG off, where
    clinicians and superusers need one). The sign-in itself is tested through the form in
    clinic/tests/test_two_factor.py."""
    with mock.patch.object(Client, "force_login", _signed_in_with_two_factors):
        yield


@pytest.fixture(autouse=True)
def english_outside_a_request():
    """Every test starts in English. A page under /es/ activates Spanish in the thread that serves it, and the test
    client serves it in the test's own thread, where nothing turns it off again: a test whose last page was Spanish
    would leave gettext, reverse() and the clinic's words in Spanish for the tests after it."""
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counts and kept availability pages (booking/page_cache.py) start from nothing in every test (they
    are kept in Django's cache: Redis in CI)."""
    cache.clear()


@pytest.fixture(autouse=True)
def pay_at_visit(settings, monkeypatch):
    """Every test starts in pay-at-visit mode, and fails if it reaches Stripe's servers."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_API_BASE = ""
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", NoStripeNetwork())


@pytest.fixture(autouse=True)
def texts_to_console(settings, monkeypatch):
    """Every test starts with texts going to the console, and fails if it reaches Twilio's servers."""
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_FROM_NUMBER = ""
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    monkeypatch.setattr(twilio_gateway, "HTTP_CLIENT", NoTwilioNetwork())


@pytest.fixture
def twilio_recorder(settings, monkeypatch) -> TwilioRecorder:
    """Texts through the real twilio Client, with a recorder in place of the network."""
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    recorder = TwilioRecorder()
    monkeypatch.setattr(twilio_gateway, "HTTP_CLIENT", recorder)
    return recorder


@pytest.fixture
def stripe_recorder(settings, monkeypatch) -> StripeRecorder:
    """Online payments on, through the real stripe library, with a recorder in place of the network."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    recorder = StripeRecorder()
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", recorder)
    return recorder


@pytest.fixture
def clinic(db):
    return ClinicFactory()


@pytest.fixture
def service(clinic):
    return ServiceFactory(clinic=clinic)


@pytest.fixture
def promotion(service):
    return PromotionFactory(service=service)


@pytest.fixture
def clock():
    """The clock stopped at booking.tests.pages.NOW (a Monday morning in San Diego); tests may move it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def offer(clock, promotion):
    """The promotion, made once the clock is stopped: $99 for visits April 7 to 16."""
    return promotion


@pytest.fixture
def front_desk(django_user_model):
    return staff_user(django_user_model, "frontdesk", "Front desk")


@pytest.fixture
def clinician(django_user_model):
    return staff_user(django_user_model, "clinician", "Clinician")


@pytest.fixture
def manager(django_user_model):
    return staff_user(django_user_model, "owner", "Manager")


@pytest.fixture
def superuser(django_user_model):
    return staff_user(django_user_model, "boss", is_superuser=True)


@pytest.fixture
def patient():
    return Patient(name="Michael Green", email="michael@example.com", phone="+16195550123", sms_consent=True)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright. Required in CI; elsewhere skipped when not installed."""
    if not os.path.exists(CHROMIUM):
        if _ci():
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it with apt-get install chromium.")
        pytest.skip("browser tests need Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls in
    # the tests themselves are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@contextmanager
def _page(chromium, **options):
    context = chromium.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone_page(chromium, live_server):
    with _page(chromium, **PHONE) as page:
        yield page


@pytest.fixture
def spanish_phone_page(chromium, live_server):
    """A phone set to Spanish (Mexico), as many of San Diego's are: its browser asks for Spanish pages."""
    with _page(chromium, **PHONE, locale="es-MX") as page:
        yield page


@pytest.fixture
def second_phone_page(chromium, live_server):
    """Another patient's phone: a browser of its own, with its own cookies."""
    with _page(chromium, **PHONE) as page:
        yield page


@pytest.fixture
def desktop_page(chromium, live_server):
    with _page(chromium, viewport={"width": 1280, "height": 900}) as page:
        yield page
