"""Every page of the site in Chromium, each checked with axe-core and against the CSP (clinic/tests/audit.py).

Every URL pattern is either a page in the sweep (every_page.py: how to open it, and as whom), in a state a
person meets (every_page_states.py: the error pages, forms sent back with errors, a time lost while typing), or
excluded with the reason it is no page. One browser per role, each kept for all of that role's pages: the
patient's phone (390 × 844), and a desktop signed out, for the front desk, a clinician, the manager and a
superuser.
"""

import pytest
import time_machine

from assessments.roles import CLINICIAN, FRONT_DESK, MANAGER

from .every_page import ROLES, SUPERUSER, UNNAMED_EXCLUDED, Sweep, everything, url_patterns
from .every_page_browsers import Browsers, is_page, shows
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
