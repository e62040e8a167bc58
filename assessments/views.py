from functools import wraps

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from booking.links import Purpose, manage_path, opens
from booking.models import Booking
from booking.rules import intake_is_open
from clinic.client import Visitor
from clinic.codes import Check, CodeLocked
from clinic.forms import CodeForm
from clinic.limits import public_post
from clinic.models import display_phone
from clinic.privacy import mask_email, mask_phone

from . import access
from .forms import STEPS
from .models import ConsentDocument, Intake, IntakeAccess
from .roles import READ_ANSWERS
from .selectors import consent_document_published, consent_documents_live
from .services import (
    EMAIL,
    OPEN_STATUSES,
    SMS,
    code_channels,
    intake_access_log,
    intake_code_check,
    intake_code_send,
    intake_save_draft,
    intake_save_step,
    next_step,
)
from .summary import age_on, intake_sections


def patient_page(view):
    """A page of the patient's questionnaire link, for the booking the link opens while it works.

    The front desk, signed in, is refused: it sees whether an intake is done, never its answers.
    """

    @opens(Purpose.INTAKE, Booking.objects.select_related("slot__service__clinic").filter(status__in=OPEN_STATUSES))
    @wraps(view)
    def wrapper(request, booking: Booking, token: str, *args, **kwargs):
        if request.user.is_staff and not request.user.has_perm(READ_ANSWERS):
            raise PermissionDenied
        return view(request, booking, token, *args, **kwargs)

    return wrapper


def _link_key(group, request) -> str:
    """Rate limits per questionnaire link, whoever uses it."""
    return request.resolver_match.kwargs["token"]


def _intake(booking: Booking) -> Intake | None:
    return Intake.objects.filter(booking=booking).first()


def _context(booking: Booking, **extra) -> dict:
    starts_at = timezone.localtime(booking.slot.starts_at, booking.slot.service.clinic.tz)
    steps = [(name, form_class.title) for name, form_class in STEPS.items()]
    return {"booking": booking, "starts_at": starts_at, "steps": steps, **extra}


def _kept_in(request, booking: Booking, response):
    """A browser let into the saved answers stays in while it keeps using them."""
    if how := access.granted_by(request, booking):
        access.remember(request, response, booking, how)
    return response


@patient_page
@require_safe
def intake_start(request, booking: Booking, token: str):
    intake = _intake(booking)
    step = next_step(intake)
    if step and intake_is_open(booking) and access.may_open(request, booking, intake):
        return _kept_in(request, booking, redirect("assessments:intake_step", token=token, step=step))
    return redirect("assessments:intake_done", token=token)


def _step_form(step: str, intake: Intake, data=None):
    """The step's form: what was posted; else the draft kept of it, over the saved answers."""
    extra = {"documents": consent_documents_live()} if step == "consent" else {}
    draft = intake.drafts.get(step) if data is None else None
    return STEPS[step](data, instance=intake, initial=draft, **extra)


def _let_in(request, booking: Booking, response):
    """This browser gave the answers: it may open them again while it keeps using them."""
    access.remember(request, response, booking, access.granted_by(request, booking) or IntakeAccess.GrantedBy.BROWSER)
    return response


@patient_page
@require_http_methods(["GET", "POST"])
def intake_step(request, booking: Booking, token: str, step: str):
    if step not in STEPS:
        raise Http404("No such step.")
    if not intake_is_open(booking):
        if request.method == "POST":
            return render(request, "assessments/closed.html", _context(booking), status=403)
        return redirect("assessments:intake_done", token=token)
    intake = _intake(booking)
    if not access.may_open(request, booking, intake):
        # Saved answers are shown (and changed) only where they were given, or after a code.
        if request.method == "POST":
            return _status(request, booking, token, intake, status=403)
        return redirect("assessments:intake_done", token=token)
    visitor = Visitor.of(request)
    if request.method == "GET" and intake:
        intake_access_log(
            visitor,
            booking=booking,
            action=IntakeAccess.Action.PATIENT_VIEW,
            granted_by=access.granted_by(request, booking),
            detail=step,
        )
    form = _step_form(step, intake or Intake(booking=booking), request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        intake = intake_save_step(booking=booking, step=step, form=form, visitor=visitor)
        following = next_step(intake)
        if following is None or "finish" in request.POST:
            return _let_in(request, booking, redirect("assessments:intake_done", token=token))
        return _let_in(request, booking, redirect("assessments:intake_step", token=token, step=following))
    if request.method == "POST" and "finish" in request.POST:
        # Not finished, and kept as typed: checked when the patient comes back and sends the step.
        intake_save_draft(booking=booking, step=step, values=form.draft_values(), visitor=visitor)
        return _let_in(request, booking, redirect("assessments:intake_done", token=token))
    number = list(STEPS).index(step) + 1
    draft = request.method == "GET" and bool(intake and step in intake.drafts)
    context = _context(booking, form=form, step=step, number=number, intake=intake, draft=draft)
    response = render(request, "assessments/step.html", context, status=400 if form.errors else 200)
    return _kept_in(request, booking, response)


class CodeRequestForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Send me a code by"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose where we send the code."), "invalid_choice": _("Choose email or text.")},
    )

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            EMAIL: gettext("Email to %(email)s") % {"email": mask_email(booking.email)},
            SMS: gettext("Text to my mobile, %(phone)s") % {"phone": mask_phone(booking.phone)},
        }
        self.fields["channel"].choices = [(channel, labels[channel]) for channel in code_channels(booking)]


def _status(request, booking: Booking, token: str, intake: Intake | None, *, status: int = 200, **extra):
    """How far the questionnaire is; for a browser not let in, that and a way to be let in."""
    context = _context(
        booking,
        intake=intake,
        token=token,
        open=intake_is_open(booking),
        next=next_step(intake),
        manage_path=manage_path(booking),
        let_in=access.may_open(request, booking, intake),
        code_allowed=bool(code_channels(booking)),
        code_request=extra.pop("code_request", None) or CodeRequestForm(booking=booking),
        **extra,
    )
    return _kept_in(request, booking, render(request, "assessments/done.html", context, status=status))


@patient_page
@require_safe
def intake_done(request, booking: Booking, token: str):
    return _status(request, booking, token, _intake(booking))


def _locked(request, booking: Booking, token: str):
    phone = booking.slot.service.clinic.phone_display
    message = gettext(
        "Too many wrong codes. For your privacy we have paused codes for this booking: please call %(phone)s."
    ) % {"phone": phone}
    return render(request, "assessments/code.html", _context(booking, token=token, locked=message), status=429)


@patient_page
@require_POST
@public_post("intake-code-send", per_address="10/h", per=((_link_key, "5/h"),))
def send_code(request, booking: Booking, token: str):
    """Send a code to the booking's email or mobile, to open the saved answers in this browser."""
    intake = _intake(booking)
    if access.may_open(request, booking, intake) or not intake_is_open(booking):
        return redirect("assessments:intake", token=token)  # nothing to open with a code
    form = CodeRequestForm(request.POST, booking=booking)
    if not form.is_valid():
        return _status(request, booking, token, intake, code_request=form, status=400)
    try:
        sent = intake_code_send(booking=booking, channel=form.cleaned_data["channel"], visitor=Visitor.of(request))
    except CodeLocked:
        return _locked(request, booking, token)
    if not sent:
        form.add_error(
            "channel", gettext("This mobile number asked us to stop texting it (STOP). Choose email instead.")
        )
        return _status(request, booking, token, intake, code_request=form, status=409)
    return redirect("assessments:intake_code", token=token)


@patient_page
@require_http_methods(["GET", "POST"])
@public_post("intake-code-check", per_address="30/h")
def enter_code(request, booking: Booking, token: str):
    """Type the code: it lets this browser open the saved answers."""
    if access.may_open(request, booking, _intake(booking)) or not intake_is_open(booking):
        return redirect("assessments:intake", token=token)
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            result = intake_code_check(booking=booking, code=form.cleaned_data["code"], visitor=Visitor.of(request))
            if result == Check.ACCEPTED:
                response = redirect("assessments:intake", token=token)
                access.remember(request, response, booking, IntakeAccess.GrantedBy.CODE)
                return response
            if result == Check.LOCKED:
                return _locked(request, booking, token)
            form.wrong()
    return render(request, "assessments/code.html", _context(booking, token=token, form=form), status=status)


PRINT_BANNER_STATUSES = [Booking.Status.CANCELLED, Booking.Status.EXPIRED, Booking.Status.NO_SHOW]


@require_safe
def intake_print(request, booking_id: int):
    """The one-page summary a clinician prints before the visit (behind the staff site's sign-in)."""
    if not request.user.has_perm(READ_ANSWERS):
        raise PermissionDenied
    # booking__pk, not booking_id: Django checks the number fits the column (an oversized one is not found).
    intake = get_object_or_404(
        Intake.objects.select_related(
            "booking__slot__service__clinic",
            "red_flag_review__reviewed_by",
            "signed_treatment_consent",
            "signed_privacy_notice",
        ),
        booking__pk=booking_id,
    )
    booking = intake.booking
    intake_access_log(
        Visitor.of(request),
        booking=booking,
        action=IntakeAccess.Action.PRINT,
        granted_by=IntakeAccess.GrantedBy.STAFF,
    )
    context = _context(booking, intake=intake, sections=intake_sections(intake))
    context.update(
        phone=display_phone(booking.phone),
        age=age_on(intake.date_of_birth, context["starts_at"].date()),
        # A visit that is not on says so before anything else on the page.
        not_on=booking.get_status_display() if booking.status in PRINT_BANNER_STATUSES else "",
    )
    return render(request, "assessments/print.html", context)


@require_safe
def consent_document(request, kind: str, version: int | None = None):
    """The Notice of Privacy Practices (or the consent to treatment) as published: the latest, or one version."""
    document = consent_document_published(kind=kind, version=version)
    if document is None:
        raise Http404("No such version.")
    latest = document if version is None else consent_document_published(kind=kind)
    context = {"document": document, "latest": latest, "privacy": kind == ConsentDocument.Kind.PRIVACY}
    return render(request, "assessments/document.html", context)
