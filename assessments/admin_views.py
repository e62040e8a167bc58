"""Two clinicians' pages in the intake admin: today's visits with their intakes, and recording a red-flag review.

Plain functions taking the IntakeAdmin and the request; IntakeAdmin.get_urls() wraps them in
admin_site.admin_view (login, staff, two factors, CSRF), and each checks that the user may read intake answers.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking, active_q
from clinic.client import Visitor
from clinic.models import EARLIEST_DAY, LATEST_DAY, Clinic

from .forms import STEPS
from .models import Intake, IntakeAccess, RedFlagReview
from .roles import READ_ANSWERS
from .services import ReviewRefused, intake_access_log, red_flag_review_record, review_may_be_recorded


def _may_read_answers(request) -> None:
    if not request.user.has_perm(READ_ANSWERS):
        raise PermissionDenied


def _context(model_admin, request, **extra) -> dict:
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, **extra}


# Recording a red-flag review --------------------------------------------------------------------------


class RedFlagReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="What came of the review",
        choices=RedFlagReview.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what came of the review.",
            "invalid_choice": "Choose called the patient, cleared, or referred.",
        },
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=200,
        help_text="A few words for the record, such as when you called. Only clinicians read it.",
        error_messages={"max_length": "Keep the note to %(limit_value)d characters (it has %(show_value)d)."},
    )


def red_flag_review(model_admin, request, pk: int):
    """GET: the form. POST: record the review and go back to the intake, or show what to correct (400)."""
    _may_read_answers(request)
    intake = get_object_or_404(Intake.objects.select_related("booking__slot__service__clinic"), pk=pk)
    change_url = reverse(f"{model_admin.admin_site.name}:assessments_intake_change", args=[intake.pk])
    form = RedFlagReviewForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                review = red_flag_review_record(
                    intake_id=intake.pk,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                    visitor=Visitor.of(request),
                )
            except ReviewRefused as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, f"Red-flag review recorded: {review.outcome_words}.")
                return redirect(change_url)
    context = _context(
        model_admin,
        request,
        title=f"Red-flag review: {intake.booking.patient_name}",
        intake=intake,
        form=form,
        flagged=review_may_be_recorded(intake),
        change_url=change_url,
    )
    return TemplateResponse(request, "admin/assessments/intake/red_flag_review.html", context, status=status)


# Today's intakes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitRow:
    booking: Booking
    intake: Intake | None
    intake_state: str
    flag_state: str  # "" (no flag), or what the clinician needs to know of it
    needs_review: bool
    intake_url: str
    print_url: str
    review_url: str


def _day(raw: str) -> date | None:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def intakes_for_day(*, clinic: Clinic | None, day: date, now: datetime):
    """The visits of one clinic day (held and not lapsed, confirmed, attended, no-show) with their intakes and
    red-flag reviews: one query, however many."""
    tz = clinic.tz if clinic else timezone.get_default_timezone()
    first = datetime.combine(day, time.min, tzinfo=tz)
    after = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    bookings = (
        Booking.objects.filter(active_q(now), slot__starts_at__gte=first, slot__starts_at__lt=after)
        .select_related("slot__service__clinic", "intake__red_flag_review__reviewed_by")
        .order_by("slot__starts_at", "patient_name", "pk")
    )
    return bookings.filter(slot__service__clinic=clinic) if clinic else bookings


def _intake_state(intake: Intake | None) -> str:
    if intake is None or not intake.steps_done:
        return "Not started"
    if intake.completed_at:
        return "Done"
    return f"Started: {len(intake.steps_done)} of {len(STEPS)} steps"


def _row(admin_name: str, booking: Booking) -> VisitRow:
    intake = getattr(booking, "intake", None)
    flagged = booking.review_before_visit or bool(intake and intake.has_red_flag)
    reviewed = intake.red_flag_reviewed if intake else ""
    return VisitRow(
        booking=booking,
        intake=intake,
        intake_state=_intake_state(intake),
        flag_state=(reviewed or "Review before the visit: not reviewed yet") if flagged else "",
        needs_review=flagged and not reviewed,
        intake_url=reverse(f"{admin_name}:assessments_intake_change", args=[intake.pk]) if intake else "",
        print_url=reverse("assessments:intake_print", args=[booking.pk]) if intake else "",
        review_url=reverse(f"{admin_name}:assessments_intake_review", args=[intake.pk]) if intake else "",
    )


def todays_intakes(model_admin, request):
    """Today's visits (clinic time) for the clinicians: who, when, intake done or not, red flags and reviews."""
    _may_read_answers(request)
    clinic = Clinic.current()
    tz = clinic.tz if clinic else timezone.get_default_timezone()
    now = timezone.now()
    today = timezone.localdate(now, timezone=tz)
    status = 200
    raw = request.GET.get("day", "").strip()
    day = today if not raw else _day(raw)
    if day is None:
        messages.error(request, f"“{raw[:40]}” is not a day we can show (use YYYY-MM-DD). Showing today.")
        day, status = today, 400
    admin_name = model_admin.admin_site.name
    rows = [_row(admin_name, booking) for booking in intakes_for_day(clinic=clinic, day=day, now=now)]
    # A list of patients with the state of their intakes: on record, as every list of intakes is.
    intake_access_log(
        Visitor.of(request),
        booking=None,
        action=IntakeAccess.Action.LIST,
        granted_by=IntakeAccess.GrantedBy.STAFF,
        detail=f"visits on {day.isoformat()}",
    )
    url = reverse(f"{admin_name}:assessments_intake_today")
    heading = "Today’s intakes" if day == today else f"Intakes for {day:%A, %B} {day.day}, {day.year}"
    context = _context(
        model_admin,
        request,
        title=heading,
        day=day,
        today=today,
        clinic_tz=tz,
        rows=rows,
        to_review=sum(row.needs_review for row in rows),
        previous_url=f"{url}?{urlencode({'day': max(day - timedelta(days=1), EARLIEST_DAY).isoformat()})}",
        next_url=f"{url}?{urlencode({'day': min(day + timedelta(days=1), LATEST_DAY).isoformat()})}",
        today_url=url,
    )
    return TemplateResponse(request, "admin/assessments/intake/today.html", context, status=status)
