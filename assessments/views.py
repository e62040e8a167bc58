from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from booking.links import manage_path
from booking.models import Booking

from .forms import STEPS
from .models import Intake, IntakeAccess
from .roles import READ_ANSWERS
from .services import booking_for_token, intake_access_log, intake_is_open, intake_save_step, next_step
from .summary import intake_sections


def _booking_or_404(request, token: str) -> Booking:
    if request.user.is_staff and not request.user.has_perm(READ_ANSWERS):
        raise PermissionDenied  # the front desk sees whether an intake is done, never its answers
    booking = booking_for_token(token)
    if booking is None:
        raise Http404("This link is not valid, or has expired.")
    return booking


def _intake(booking: Booking) -> Intake | None:
    return Intake.objects.filter(booking=booking).first()


def _context(booking: Booking, **extra) -> dict:
    starts_at = timezone.localtime(booking.slot.starts_at, booking.slot.service.clinic.tz)
    steps = [(name, form_class.title) for name, form_class in STEPS.items()]
    return {"booking": booking, "starts_at": starts_at, "steps": steps, **extra}


@never_cache
@require_safe
def intake_start(request, token: str):
    booking = _booking_or_404(request, token)
    step = next_step(_intake(booking))
    if step and intake_is_open(booking):
        return redirect("assessments:intake_step", token=token, step=step)
    return redirect("assessments:intake_done", token=token)


@never_cache
@require_http_methods(["GET", "POST"])
def intake_step(request, token: str, step: str):
    booking = _booking_or_404(request, token)
    if step not in STEPS:
        raise Http404("No such step.")
    if not intake_is_open(booking):
        if request.method == "POST":
            return render(request, "assessments/closed.html", _context(booking), status=403)
        return redirect("assessments:intake_done", token=token)
    intake = _intake(booking)
    if request.method == "GET" and intake:
        # Saved answers are shown again: whoever opens them, patient or not, is on record.
        intake_access_log(
            booking=booking,
            user=request.user if request.user.is_authenticated else None,
            action=IntakeAccess.Action.PATIENT_VIEW,
            ip_address=request.META.get("REMOTE_ADDR"),
            detail=step,
        )
    form = STEPS[step](request.POST if request.method == "POST" else None, instance=intake or Intake(booking=booking))
    if request.method == "POST" and form.is_valid():
        intake = intake_save_step(booking=booking, step=step, form=form, ip_address=request.META.get("REMOTE_ADDR"))
        following = next_step(intake)
        if following is None or "finish" in request.POST:
            return redirect("assessments:intake_done", token=token)
        return redirect("assessments:intake_step", token=token, step=following)
    number = list(STEPS).index(step) + 1
    context = _context(booking, form=form, step=step, number=number, intake=intake)
    return render(request, "assessments/step.html", context, status=400 if form.errors else 200)


@never_cache
@require_safe
def intake_done(request, token: str):
    booking = _booking_or_404(request, token)
    intake = _intake(booking)
    context = _context(booking, intake=intake, token=token, open=intake_is_open(booking), next=next_step(intake))
    return render(request, "assessments/done.html", {**context, "manage_path": manage_path(booking)})


@staff_member_required
@require_safe
def intake_print(request, booking_id: int):
    """The one-page summary a clinician prints before the visit."""
    if not request.user.has_perm(READ_ANSWERS):
        raise PermissionDenied
    # booking__pk, not booking_id: Django checks the number fits the column (an oversized one is not found).
    intake = get_object_or_404(Intake.objects.select_related("booking__slot__service__clinic"), booking__pk=booking_id)
    intake_access_log(
        booking=intake.booking,
        user=request.user,
        action=IntakeAccess.Action.PRINT,
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    context = _context(intake.booking, intake=intake, sections=intake_sections(intake))
    return render(request, "assessments/print.html", context)
