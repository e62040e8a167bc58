"""Pages in the states a person meets them in, beyond what `PAGES` opens: the error pages (400, 404, 410, 429,
500, the CSRF 403 and the admin's 403), forms sent back with errors, a time lost while the patient typed, two
tabs holding two times, a cancelled visit, an offer sold out, the front desk's panels and action pages. Each is
reached the way a person reaches it, in that role's browser, and shows `shows` when it is there. Swept after
`PAGES`, in this order (the last moves the clock on).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from assessments.forms import STEPS
from assessments.roles import CLINICIAN, FRONT_DESK, MANAGER
from booking.links import manage_path
from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_create
from clinic.forms import WRONG_CODE
from clinic.tests.staff import PASSWORD
from waitlist.links import details_path
from waitlist.services import offers_make

from .every_page import (
    PATIENT,
    SIGNED_OUT,
    Sweep,
    choose_a_time,
    claim_path,
    intake,
    manage,
    paying_online,
    type_details,
)
from .every_page_world import FULL_DAY, NEXT_MONDAY, sell_out

FAULT_URLCONF = "clinic.tests.urls_with_a_fault"
JO = Patient(name="Jo Park", email="jo@example.com", phone="+16195550152")
BAD_FILTER = "/admin/notifications/message/?body__regex=^a"  # clinic/admin_site.py: only declared filters
TYPO = {"name": "Dana Cruz", "email": "dana@gmial.com", "phone": "(619) 555-0150"}


@dataclass(frozen=True)
class State:
    what: str
    role: str
    open: Callable  # (sweep, page)
    shows: str


def go(path: Callable) -> Callable:
    return lambda sweep, page: sweep.goto(page, path(sweep.world))


def submit(page, form: str = "main form") -> None:
    page.locator(f"{form} button[type=submit], {form} input[type=submit]").first.click()
    page.wait_for_load_state()


def _resend(contact: str) -> Callable:
    def open_page(sweep: Sweep, page) -> None:
        sweep.goto(page, "/booking/resend-link/")
        page.fill("[name=contact]", contact)
        submit(page)

    return open_page


def _too_many_resends(sweep: Sweep, page) -> None:
    for _ in range(4):  # three an hour for the same email
        _resend("fay@example.com")(sweep, page)


def _csrf_refused(sweep: Sweep, page) -> None:
    """The form's security token no longer matches its cookie (an old tab, a cleared cookie)."""
    sweep.goto(page, "/booking/resend-link/")
    page.fill("[name=contact]", "fay@example.com")
    page.locator("[name=csrfmiddlewaretoken]").evaluate("input => { input.value = 'a'.repeat(64) }")
    submit(page)


def _fault(sweep: Sweep, page) -> None:
    sweep.settings.ROOT_URLCONF = FAULT_URLCONF
    try:
        sweep.goto(page, "/test-fault/")
    finally:
        sweep.settings.ROOT_URLCONF = "config.urls"


def _details_with(**typed) -> Callable:
    """A time chosen and its details sent as `typed` (the details typed for an earlier time are filled in)."""

    def open_page(sweep: Sweep, page) -> None:
        choose_a_time(sweep, page)
        for name in ("name", "email", "phone"):
            page.fill(f"[name={name}]", typed.get(name, ""))
        submit(page, "main form[action$='/']")

    return open_page


def _time_taken_meanwhile(sweep: Sweep, page) -> None:
    """Jo books the time on another phone while the patient looks at it; then the patient chooses it."""
    sweep.goto(page, f"/book/{NEXT_MONDAY}/")
    time = page.locator(".time-list button").first
    slot_id = int(time.get_attribute("formaction").strip("/").split("/")[-1])
    booking_create(slot_id=slot_id, patient=JO, quoted_price_cents=175_00)
    time.click()
    page.wait_for_load_state()


def _two_tabs(sweep: Sweep, page) -> None:
    """A time chosen in one tab, another in a second: the first tab's page says which one is held."""
    choose_a_time(sweep, page)
    first = page.url
    sweep.goto(page, f"/book/{NEXT_MONDAY}/")
    page.locator(".time-list button").nth(1).click()
    page.wait_for_url("**/book/held/*/")
    page.goto(first)


def _payment_down(sweep: Sweep, page) -> None:
    """Stripe refuses to open its payment page."""
    type_details(sweep, page)
    sweep.stripe.fail_next(400, code="invalid_request_error", message="Stripe is down.")
    submit(page)


def _wrong_code(path: Callable) -> Callable:
    def open_page(sweep: Sweep, page) -> None:
        sweep.goto(page, path(sweep.world))
        page.fill("[name=code]", "000000")
        submit(page)

    return open_page


def _right_code(sweep: Sweep, page) -> None:
    sweep.goto(page, f"/booking/{sweep.world.ann.booking.reference}/verify/")
    page.fill("[name=code]", sweep.twilio.code_texted_to(sweep.world.ann.phone))
    submit(page)
    page.wait_for_url("**/manage/*/")


def _sold_out(sweep: Sweep, page) -> None:
    sell_out(sweep.world)
    sweep.goto(page, "/")


def _lapsed_while_typing(sweep: Sweep, page) -> None:
    """The patient types their details so slowly that the hold lapses, and Jo books the time meanwhile."""
    choose_a_time(sweep, page)
    page.fill("[name=name]", "Dana Cruz")
    page.fill("[name=email]", "dana.cruz@example.com")
    page.fill("[name=phone]", "(619) 555-0150")
    sweep.clock.shift(timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 1))
    held = Booking.objects.get(reference=page.url.strip("/").split("/")[-1])
    booking_create(slot_id=held.slot_id, patient=JO, quoted_price_cents=held.price_cents)
    submit(page, "main form[action$='/']")


def _new_clinician_signs_in(sweep: Sweep, page) -> None:
    """A clinician's first sign-in: two-factor sign-in is set up before anything else."""
    user = get_user_model().objects.create_user("newclinician", "new@example.com", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=CLINICIAN))
    sweep.goto(page, "/admin/login/")
    page.fill("[name=username]", "newclinician")
    page.fill("[name=password]", PASSWORD)
    submit(page, "#login-form")
    page.wait_for_url("**/admin/two-factor/**")


def _wrong_password(sweep: Sweep, page) -> None:
    sweep.goto(page, "/admin/login/")
    page.fill("[name=username]", "desk")
    page.fill("[name=password]", "not-the-password")
    submit(page, "#login-form")


def _visit_panel(sweep: Sweep, page) -> None:
    """Today, with a visit's panel opened beside the calendar (htmx)."""
    sweep.goto(page, "/admin/")
    page.locator(f"#visit-{sweep.world.caller.pk} .today-visit-name").click()
    page.locator("#today-panel h2").first.wait_for()


def _cancel_action(sweep: Sweep, page) -> None:
    """The bookings list's "Cancel the selected bookings…" action asks why, on a page of its own."""
    sweep.goto(page, "/admin/booking/booking/")
    page.get_by_role("row").filter(has_text=sweep.world.fay.reference).get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option(value="cancel_bookings")
    page.locator("button[name=index]").click()
    page.wait_for_load_state()


def _empty_form_at(path: Callable, form: str = "main form") -> Callable:
    """The form at `path`, sent with nothing filled in."""

    def open_page(sweep: Sweep, page) -> None:
        sweep.goto(page, path(sweep.world))
        submit(page, form)

    return open_page


def _empty_form(path: str) -> Callable:
    return _empty_form_at(lambda w: path, "#content-main form[method=post]")


def _claimed(sweep: Sweep, page) -> None:
    """The claim's page once the scheduler's next round (every minute) has settled the offer."""
    offers_make()
    sweep.goto(page, claim_path(sweep.world))


def _step(name: str) -> State:
    title = str(STEPS[name].title)  # a lazy translation: in English here
    return State(f"the questionnaire: {title}", PATIENT, go(lambda w: intake(w.fay, f"{name}/")), title)


def _verify_path(world) -> str:
    return f"/booking/{world.ann.booking.reference}/verify/"


PROBLEM = "There is a problem"  # the error summary a form sent back opens with

STATES = [
    # The patient's phone. First Ann, who claimed her offer (PAGES), types the code: until she has, this browser
    # may hold no other time.
    State("the texted code: a wrong one", PATIENT, _wrong_code(_verify_path), str(WRONG_CODE)),
    State("the texted code: booked", PATIENT, _right_code, "You’re booked, Ann"),
    State("the offer's page once claimed", PATIENT, _claimed, "It’s yours, Ann"),
    State("the offer sold out", PATIENT, _sold_out, "waiting list"),
    State("a page that is not there (404)", PATIENT, go(lambda w: "/no-such-page/"), "We can’t find that page"),
    State("an altered private link (404)", PATIENT, go(lambda w: manage(w)[:-4] + "xyz/"), "We can’t find that page"),
    State("a replaced private link (410)", PATIENT, go(lambda w: f"/manage/{w.gone_token}/"), "no longer works"),
    State("a fault on the server (500)", PATIENT, _fault, "Something went wrong on our side"),
    State("a form whose security token expired (403)", PATIENT, _csrf_refused, "Please try again"),
    State("resend my link: nothing typed", PATIENT, _resend(""), "Get the link to your booking"),
    State("resend my link, once too often (429)", PATIENT, _too_many_resends, "Please wait a moment"),
    State("a booking's reference alone", PATIENT, go(lambda w: f"/booking/{w.dana.reference}/"), "Booking "),
    State("a cancelled visit's page", PATIENT, go(lambda w: manage_path(w.eli)), "This visit is cancelled"),
    State("details: nothing typed", PATIENT, _details_with(), PROBLEM),
    State("details: an email typo", PATIENT, _details_with(**TYPO), "Did you mean"),
    State("a time booked by someone else meanwhile", PATIENT, _time_taken_meanwhile, "someone has just booked"),
    State("two tabs, two times", PATIENT, _two_tabs, "You are holding another time"),
    State("the payment provider down", PATIENT, paying_online(_payment_down), "We could not take your payment"),
    *[_step(name) for name in list(STEPS)[1:]],
    State(
        "the questionnaire: nothing typed",
        PATIENT,
        _empty_form_at(lambda w: intake(w.fay, "about/")),
        "There is a problem",
    ),
    State(
        "the questionnaire's code: a wrong one",
        PATIENT,
        _wrong_code(lambda w: intake(w.dana, "code/")),
        str(WRONG_CODE),
    ),
    State(
        "the waiting list: nothing typed",
        PATIENT,
        _empty_form_at(lambda w: f"/waitlist/day/{FULL_DAY}/"),
        "There is a problem",
    ),
    State(
        "a name and email for the waiting list: nothing typed",
        PATIENT,
        _empty_form_at(lambda w: details_path(w.rosa)),
        "There is a problem",
    ),
    State(
        "a booking link texted over a week ago (410)",
        PATIENT,
        go(lambda w: f"/book/texted/{w.old_texted_token}/"),
        "The booking link we texted you works for 7 days",
    ),
    # Staff, signed out, on a desktop.
    State("the login: a wrong password", SIGNED_OUT, _wrong_password, "Please enter the correct username"),
    State("a clinician's first sign-in: two-factor set-up", SIGNED_OUT, _new_clinician_signs_in, "authenticator app"),
    # The front desk.
    State("Today: the week", FRONT_DESK, go(lambda w: "/admin/?span=week"), "Week of Monday, November 30, 2026"),
    State("Today: a visit's panel", FRONT_DESK, _visit_panel, "Pat Caller"),
    State("the bookings list searched", FRONT_DESK, go(lambda w: "/admin/booking/booking/?q=Dana"), "Dana Cruz"),
    State("cancelling bookings: the reason asked", FRONT_DESK, _cancel_action, "Cancel 1 booking?"),
    State(
        "book a caller: nothing chosen",
        FRONT_DESK,
        _empty_form("/admin/booking/booking/phone/"),
        "Enter the caller’s full name",
    ),
    State("open slots: the preview", FRONT_DESK, _empty_form("/admin/booking/slot/generate/"), "Creates "),
    State("a service, read only", FRONT_DESK, go(lambda w: f"/admin/booking/service/{w.service.pk}/change/"), "View"),
    State("a list filtered by what it does not offer (400)", FRONT_DESK, go(lambda w: BAD_FILTER), "could not handle"),
    State("intakes, refused to the front desk (403)", FRONT_DESK, go(lambda w: "/admin/assessments/intake/"), "403"),
    # Clinicians and the manager.
    State("Today for a clinician", CLINICIAN, go(lambda w: "/admin/"), "Today"),
    State("Today for the manager", MANAGER, go(lambda w: "/admin/"), "Today"),
    State("a new promotion: nothing typed", MANAGER, _empty_form("/admin/booking/promotion/add/"), "Please correct"),
    # Last: the clock moves on.
    State("a hold lapsed while the patient typed", PATIENT, _lapsed_while_typing, "Your hold on this time has ended"),
]
