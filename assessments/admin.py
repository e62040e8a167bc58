from functools import partial

from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_safe

from clinic.admin_mixins import ReadOnlyAdminMixin
from clinic.client import Visitor

from . import admin_views
from .models import Intake, IntakeAccess
from .roles import READ_ANSWERS
from .services import intake_access_log, review_may_be_recorded
from .summary import intake_sections


@admin.register(Intake)
class IntakeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Clinicians (and superusers) read the answers here; every opening is logged. Nobody edits them."""

    list_display = ["booking", "visit", "completed_at", "review_before_visit", "flag_reviewed"]
    list_select_related = ["booking__slot__service__clinic", "red_flag_review__reviewed_by"]
    search_fields = ["booking__reference", "booking__patient_name"]
    fields = ["booking", "steps_done", "completed_at", "red_flag_review_history", "answers"]
    readonly_fields = fields

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "today/", wrap(require_safe(partial(admin_views.todays_intakes, self))), name="assessments_intake_today"
            ),
            path(
                "<int:pk>/review/",
                wrap(require_http_methods(["GET", "POST"])(partial(admin_views.red_flag_review, self))),
                name="assessments_intake_review",
            ),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("booking__slot__service__clinic")

    def has_module_permission(self, request):
        return request.user.has_perm(READ_ANSWERS)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(READ_ANSWERS)

    @admin.display(ordering="booking__slot__starts_at")
    def visit(self, intake):
        return intake.booking.slot.starts_at

    @admin.display(boolean=True, description="review before visit")
    def review_before_visit(self, intake):
        return intake.booking.review_before_visit

    @admin.display(description="flag reviewed")
    def flag_reviewed(self, intake):
        return intake.red_flag_reviewed or "–"

    @admin.display(description="red-flag review")
    def red_flag_review_history(self, intake):
        """The review that holds and every review on record, each with its note (clinicians only)."""
        reviews = list(intake.red_flag_reviews.select_related("reviewed_by"))
        if not reviews and not review_may_be_recorded(intake):
            return "No red flag."
        return render_to_string("assessments/admin_red_flag_reviews.html", {"intake": intake, "reviews": reviews})

    @admin.display(description="answers")
    def answers(self, intake):
        printable = reverse("assessments:intake_print", args=[intake.booking_id])
        return render_to_string(
            "assessments/admin_answers.html",
            {"intake": intake, "sections": intake_sections(intake), "print": printable},
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            # Who looked for whom: the list's query (a search, a filter, a page) is on record too.
            intake_access_log(
                Visitor.of(request),
                booking=None,
                action=IntakeAccess.Action.LIST,
                granted_by=IntakeAccess.GrantedBy.STAFF,
                detail=request.GET.urlencode(),
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        intake = self.get_object(request, object_id) if self.has_view_permission(request) else None
        if intake and review_may_be_recorded(intake):
            # The form sits below the (read-only) answers, posting to its own page.
            extra_context = {
                **(extra_context or {}),
                "review_form": admin_views.RedFlagReviewForm(),
                "review_url": reverse(f"{self.admin_site.name}:assessments_intake_review", args=[intake.pk]),
            }
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and intake:
            intake_access_log(
                Visitor.of(request),
                booking=intake.booking,
                action=IntakeAccess.Action.VIEW,
                granted_by=IntakeAccess.GrantedBy.STAFF,
            )
        return response


@admin.register(IntakeAccess)
class IntakeAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The access log: read-only for everyone, superusers included."""

    list_display = ["at", "user", "action", "granted_by", "detail", "booking", "ip_address", "user_agent"]
    list_filter = ["action", "granted_by"]
    list_select_related = ["user", "booking"]
    search_fields = ["booking__reference", "user__username"]
    date_hierarchy = "at"


def intake_status(booking) -> str:
    """What the front desk may know of an intake: done or not, flagged or not. Never the answers."""
    intake = getattr(booking, "intake", None)
    status = "done" if intake and intake.completed_at else ("started" if intake else "not started")
    return format_html("{}{}", status, " · review before visit" if booking.review_before_visit else "")
