"""Every page of the site, by its URL pattern's name: how to open it with real data, and as whom.

`PAGES` maps each named pattern that shows a person a page to a `Visit`: the browser it needs (the patient's
phone, or a desktop signed in with a staff role) and how to reach it, by its address or by the clicks a person
makes. The admin's pages for each model (list, add, change, history, delete) come from the app list a manager
and a superuser see (`admin_pages`). `EXCLUDED` names the patterns that are not pages, each with the reason.
test_axe_every_page.py fails for a pattern in neither, so a new page cannot escape the sweep.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from assessments.roles import CLINICIAN, FRONT_DESK, MANAGER
from booking.links import Purpose, private_path, private_token
from booking.tests.stripe_fakes import SECRET_KEY, WEBHOOK_SECRET
from notifications.models import Conversation
from waitlist.links import details_path, leave_path

from .every_page_world import FULL_DAY, MONDAY, NEXT_MONDAY, SUPERUSER, TUESDAY, World, sell_out
from .staff import PASSWORD

PATIENT = "Patient (phone)"
SIGNED_OUT = "Signed out (desktop)"
STAFF = [FRONT_DESK, CLINICIAN, MANAGER, SUPERUSER]
ROLES = [PATIENT, SIGNED_OUT, *STAFF]


@dataclass
class Sweep:
    """What a visit needs: the world, the live server's address, the settings (to take payments online), Stripe's
    and Twilio's stand-ins, and the stopped clock."""

    world: World
    base: str
    settings: object
    stripe: object
    twilio: object
    clock: object

    def goto(self, page, path: str):
        return page.goto(self.base + path)


@dataclass(frozen=True)
class Visit:
    role: str
    open: Callable  # (sweep, page): brings the page there


def at(role: str, path: Callable[[World], str]) -> Visit:
    """A page opened by its address."""
    return Visit(role, lambda sweep, page: sweep.goto(page, path(sweep.world)))


def manage(world: World, rest: str = "") -> str:
    return private_path(world.dana, Purpose.MANAGE) + rest


def intake(booking, rest: str) -> str:
    return f"/intake/{private_token(booking, Purpose.INTAKE)}/{rest}"


def claim_path(world: World) -> str:
    return private_path(world.ann.booking, Purpose.CLAIM)


# The patient's steps --------------------------------------------------------------------------------------


def choose_a_time(sweep: Sweep, page) -> None:
    """Next Monday's first time, chosen: it is held, and its details page opens."""
    sweep.goto(page, f"/book/{NEXT_MONDAY}/")
    page.locator(".time-list button").first.click()
    page.wait_for_url("**/book/held/*/")


def type_details(sweep: Sweep, page) -> None:
    choose_a_time(sweep, page)
    page.fill("[name=name]", "Dana Cruz")
    page.fill("[name=email]", "dana.cruz@example.com")
    page.fill("[name=phone]", "(619) 555-0150")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/review/")


def claim_the_offer(sweep: Sweep, page) -> None:
    """Ann claims the $99 place offered to her: the code texted to her mobile is asked for."""
    sweep.goto(page, claim_path(sweep.world))
    page.locator("button[value=claim]").click()
    page.wait_for_url("**/verify/")


def join_the_offer_list(sweep: Sweep, page) -> None:
    """Someone else holds the offer's last spot: its waiting list opens."""
    sell_out(sweep.world)
    sweep.goto(page, f"/waitlist/offer/{sweep.world.promotion.pk}/")


def join_the_day_list(sweep: Sweep, page) -> None:
    sweep.goto(page, f"/waitlist/day/{FULL_DAY}/")
    page.fill("[name=name]", "Cy Diaz")
    page.fill("[name=email]", "cy@example.com")
    page.fill("[name=phone]", "(619) 555-0151")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/waitlist/joined/")


def paying_online(visit: Callable) -> Callable:
    """Open a page while payments are taken online (Stripe's replies come from stripe_recorder)."""

    def open_page(sweep: Sweep, page):
        settings = sweep.settings
        settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = SECRET_KEY, WEBHOOK_SECRET
        try:
            return visit(sweep, page)
        finally:
            settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""

    return open_page


def log_in_and_out(sweep: Sweep, page) -> None:
    """The manager signs in through the form and out again from the header's button."""
    sweep.goto(page, "/admin/login/")
    page.fill("[name=username]", sweep.world.users[MANAGER].username)
    page.fill("[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url("**/admin/")
    page.locator("#logout-form button").click()
    page.wait_for_url("**/admin/logout/")


# The pages, in the order they are swept (some steps change what later ones find: see each comment). -------

PAGES: dict[str, Visit] = {
    "booking:landing": at(PATIENT, lambda w: "/"),
    "booking:book_days": at(PATIENT, lambda w: "/book/"),
    "booking:book_day": at(PATIENT, lambda w: f"/book/{TUESDAY}/"),
    # Hal's time, held while he pays on Stripe's page: his browser's own pages, and then backing out
    # (until then this browser may choose no other time).
    "booking:booking_detail": at(PATIENT, lambda w: f"/booking/{w.hal.reference}/"),
    "booking:checkout_success": at(PATIENT, lambda w: f"/booking/{w.hal.reference}/paid/"),
    "booking:checkout_cancel": Visit(
        PATIENT, paying_online(lambda s, page: s.goto(page, f"/booking/{s.world.hal.reference}/payment-cancelled/"))
    ),
    "booking:hold_details": Visit(PATIENT, choose_a_time),
    "booking:hold_review": Visit(PATIENT, type_details),
    "booking:resend_link": at(PATIENT, lambda w: "/booking/resend-link/"),
    "booking:resend_link_sent": at(PATIENT, lambda w: "/booking/resend-link/sent/"),
    "booking:manage": at(PATIENT, manage),
    "booking:manage_cancel": at(PATIENT, lambda w: manage(w, "cancel/")),
    "booking:move_days": at(PATIENT, lambda w: manage(w, "move/")),
    "booking:move_day": at(PATIENT, lambda w: manage(w, f"move/{TUESDAY}/")),
    "booking:move_to": at(PATIENT, lambda w: manage(w, f"move/time/{w.free_slot.pk}/")),
    "assessments:intake_step": at(PATIENT, lambda w: intake(w.fay, "about/")),
    "assessments:intake_done": at(PATIENT, lambda w: intake(w.dana, "done/")),  # answered in another browser
    "assessments:intake_code": at(PATIENT, lambda w: intake(w.dana, "code/")),
    "waitlist:join_offer": Visit(PATIENT, join_the_offer_list),  # from here on the offer is sold out
    "waitlist:join_day": at(PATIENT, lambda w: f"/waitlist/day/{FULL_DAY}/"),
    "waitlist:joined": Visit(PATIENT, join_the_day_list),
    "waitlist:offer": at(PATIENT, claim_path),
    "waitlist:decline": at(PATIENT, lambda w: claim_path(w) + "decline/"),  # asks first: nothing is declined
    "waitlist:leave": at(PATIENT, lambda w: leave_path(w.bo)),  # asks first: Bo stays on the list
    "waitlist:details": at(PATIENT, lambda w: details_path(w.rosa)),
    "assessments:privacy_practices": at(PATIENT, lambda w: "/privacy-practices/"),
    "assessments:privacy_practices_version": at(PATIENT, lambda w: "/privacy-practices/1/"),
    "assessments:treatment_consent": at(PATIENT, lambda w: "/consent-to-treatment/"),
    "assessments:treatment_consent_version": at(PATIENT, lambda w: "/consent-to-treatment/1/"),
    "booking:verify_mobile": Visit(PATIENT, claim_the_offer),  # after the offer's page, which this claims from
    "admin:login": at(SIGNED_OUT, lambda w: "/admin/login/"),
    "admin:logout": Visit(SIGNED_OUT, log_in_and_out),
    "admin:index": at(FRONT_DESK, lambda w: "/admin/"),  # Today
    "admin:sections": at(FRONT_DESK, lambda w: "/admin/sections/"),
    "admin:frontdesk_visit": at(FRONT_DESK, lambda w: f"/admin/today/visit/{w.caller.pk}/"),
    "admin:frontdesk_time": at(FRONT_DESK, lambda w: f"/admin/today/time/{w.caller.slot_id}/"),
    "admin:frontdesk_takings": at(FRONT_DESK, lambda w: f"/admin/today/takings/?day={MONDAY}"),
    "admin:frontdesk_inbox": at(FRONT_DESK, lambda w: "/admin/texts/"),
    # Dana's texts (she texted the clinic): opening them is logged, which the text access log's pages show.
    "admin:frontdesk_conversation": at(
        FRONT_DESK, lambda w: f"/admin/texts/{Conversation.objects.get(phone=w.dana.phone).pk}/"
    ),
    "admin:booking_booking_phone": at(FRONT_DESK, lambda w: "/admin/booking/booking/phone/"),
    "admin:booking_slot_generate": at(FRONT_DESK, lambda w: "/admin/booking/slot/generate/"),
    "admin:clinic_closure_federal_holidays": at(FRONT_DESK, lambda w: "/admin/clinic/closure/federal-holidays/"),
    "admin:password_change": at(FRONT_DESK, lambda w: "/admin/password_change/"),
    "admin:password_change_done": at(FRONT_DESK, lambda w: "/admin/password_change/done/"),
    "admin:auth_user_password_change": at(SUPERUSER, lambda w: f"/admin/auth/user/{w.users[FRONT_DESK].pk}/password/"),
    "admin:app_list": at(MANAGER, lambda w: "/admin/booking/"),
    "admin:booking_promotion_dashboard": at(MANAGER, lambda w: f"/admin/booking/promotion/{w.promotion.pk}/dashboard/"),
    "admin:two_factor": at(CLINICIAN, lambda w: "/admin/two-factor/"),
    "admin:assessments_intake_today": at(CLINICIAN, lambda w: f"/admin/assessments/intake/today/?day={TUESDAY}"),
    "admin:assessments_intake_review": at(CLINICIAN, lambda w: f"/admin/assessments/intake/{w.dana.intake.pk}/review/"),
    "assessments:intake_print": at(CLINICIAN, lambda w: f"/staff/intakes/{w.dana.pk}/print/"),
}

EXCLUDED: dict[str, str] = {
    "healthz": "the load balancer's health check: JSON",
    "practitioner_photo": "a practitioner's photo (WebP), shown on the offer page",
    "booking:choose_time": "a POST that holds the time and goes on to its details (GET: back to the day's times)",
    "booking:hold_confirm": "a POST that books the held time and goes on to its next step",
    "booking:hold_release": "a POST that lets the held time go and goes back to the day's times",
    "booking:send_mobile_code": "a POST that texts a new code and goes back to the code's page",
    "booking:manage_calendar": "the visit's .ics calendar file",
    "booking:texted": "the booking link texted in answer to a text: remembers the mobile and goes on to the days",
    "payments:stripe_webhook": "Stripe's webhook: JSON",
    "notifications:twilio_status": "Twilio's status webhook",
    "notifications:twilio_inbound": "Twilio's webhook for texts to the clinic: TwiML",
    "assessments:intake": "sends the patient on to their next step or to the questionnaire's summary",
    "assessments:intake_code_send": "a POST that sends a code and goes on to the code's page",
    "admin:autocomplete": "the admin's autocomplete: JSON",
    "admin:jsi18n": "the admin's JavaScript translations",
    "admin:view_on_site": "a redirect to the object's page on the site",
    "admin:booking_booking_export": "the bookings list as a CSV file",
    "admin:otp_totp_totpdevice_config": "refused to everyone (403): OTP_ADMIN_HIDE_SENSITIVE_DATA keeps secrets out",
    "admin:otp_totp_totpdevice_qrcode": "an image, refused to everyone (403) like the page above",
}

# Patterns without a name, by their view.
UNNAMED_EXCLUDED: dict[str, str] = {
    "RedirectView": "the admin's short address of a change page: a redirect to it",
    "AdminSite.catch_all_view": "the admin's catch-all: a redirect to add a slash, else the 404 page (a state)",
}


def url_patterns(resolver=None, namespace: str = ""):
    """(name or None, the view's name) for every pattern of the site, public and admin."""
    for pattern in (resolver or get_resolver("config.urls")).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from url_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            view = getattr(callback, "view_class", None)
            view_name = view.__name__ if view else getattr(callback, "__qualname__", repr(callback))
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name, view_name


# The admin's pages for each model -------------------------------------------------------------------------

MODEL_PAGES = ["changelist", "add", "change", "history", "delete"]


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _allowed(model_admin, user, kind: str) -> bool:
    request = _request(user)
    if kind == "add":
        return model_admin.has_add_permission(request)
    if kind == "delete":
        return model_admin.has_delete_permission(request)
    return model_admin.has_view_or_change_permission(request)


def admin_models(user) -> list:
    """The models in the app list `user` sees."""
    return [model["model"] for app in admin.site.get_app_list(_request(user)) for model in app["models"]]


def _model_page(name: str, model, kind: str) -> Callable[[World], str]:
    def path(world: World) -> str:
        if kind in ("changelist", "add"):
            return reverse(name)
        row = model._default_manager.order_by("pk").first()
        assert row is not None, f"the world has no {model._meta.verbose_name} to open"
        return reverse(name, args=[row.pk])

    return path


def admin_pages(users: dict) -> tuple[dict[str, Visit], dict[str, str]]:
    """The list, add, change, history and delete pages of each model in a superuser's app list, each opened as
    the first role whose app list has the model and who may open that page: the manager, a clinician, else the
    superuser. A page no one may open (403) is excluded, saying so. Each page opens the model's first row."""
    pages, excluded = {}, {}
    seen_by = {role: admin_models(users[role]) for role in (MANAGER, CLINICIAN, SUPERUSER)}
    for model in seen_by[SUPERUSER]:
        model_admin = admin.site.get_model_admin(model)
        for kind in MODEL_PAGES:
            name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{kind}"
            allowed = [r for r, seen in seen_by.items() if model in seen and _allowed(model_admin, users[r], kind)]
            if allowed:
                pages[name] = at(allowed[0], _model_page(name, model, kind))
            else:
                excluded[name] = f"no one may {kind} {model._meta.verbose_name_plural} (403)"
    return pages, excluded


def everything(users: dict) -> tuple[dict[str, Visit], dict[str, str]]:
    """Every page to sweep, in order, and every pattern left out with its reason; `users` by role."""
    model_pages, model_excluded = admin_pages(users)
    return {**PAGES, **model_pages}, {**EXCLUDED, **model_excluded}
