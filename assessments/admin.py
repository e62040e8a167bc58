from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_safe

from clinic.admin_mixins import IN_SPANISH, ReadOnlyAdminMixin
from clinic.client import Visitor

from . import admin_views
from .models import ConsentDocument, Intake, IntakeAccess
from .roles import READ_ANSWERS
from .selectors import consent_document_published
from .services import (
    ConsentDocumentError,
    consent_document_copy,
    consent_document_publish,
    intake_access_log,
    review_may_be_recorded,
)
from .summary import intake_sections
from .templatetags.consent_text import document_body


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
        return (
            super()
            .get_queryset(request)
            .select_related("booking__slot__service__clinic", "signed_treatment_consent", "signed_privacy_notice")
        )

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


@admin.register(ConsentDocument)
class ConsentDocumentAdmin(admin.ModelAdmin):
    """The manager writes the privacy notice and the consent to treatment as drafts, and publishes each as the
    next version. A published version never changes, nor goes: to change the wording, copy it into a new draft."""

    list_display = ["__str__", "state", "published_at", "published_by", "updated_at"]
    list_filter = ["kind"]
    list_select_related = ["published_by"]
    fieldsets = [
        (None, {"fields": ["kind"]}),
        ("English", {"fields": ["body", "preview"]}),
        ("Spanish", {"fields": ["body_es", "preview_es"], "description": IN_SPANISH}),
        ("Published", {"fields": ["version", "published_at", "published_by", "public_page"]}),
    ]
    readonly_fields = ["preview", "preview_es", "version", "published_at", "published_by", "public_page"]
    actions = ["publish", "copy_into_new_draft"]

    def get_queryset(self, request):
        latest = ConsentDocument.objects.filter(kind=OuterRef("kind"), version__isnull=False).order_by("-version")
        return super().get_queryset(request).annotate(latest_version=Subquery(latest.values("version")[:1]))

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:  # the whole version, in both languages
            return flatten_fieldsets(self.fieldsets)
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_published)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a draft is deleted from its own page; a published version never
        return actions

    def get_changeform_initial_data(self, request):
        """A new draft of a kind starts from the wording patients read now (?kind=privacy or ?kind=treatment)."""
        initial = super().get_changeform_initial_data(request)
        kind = initial.get("kind")
        current = consent_document_published(kind=kind) if kind in ConsentDocument.Kind.values else None
        if current and "body" not in initial:
            initial["body"], initial["body_es"] = current.body, current.body_es
        return initial

    @admin.display(description="state")
    def state(self, document):
        if not document.is_published:
            return "Draft: patients do not see it"
        return "Patients read this one" if document.version == document.latest_version else "Earlier version"

    @admin.display(description="as patients see it")
    def preview(self, document):
        return document_body(document.body, 3) if document.body else "–"

    @admin.display(description="as patients see it in Spanish")
    def preview_es(self, document):
        if not document.body_es.strip():
            return "None: patients reading in Spanish are shown the English wording."
        return document_body(document.body_es, 3)

    @admin.display(description="public page")
    def public_page(self, document):
        if not document.is_published:
            return "None until it is published."
        return format_html('<a href="{}">{}</a>', document.public_path, document.public_path)

    @admin.action(description="Publish the selected drafts as new versions", permissions=["change"])
    def publish(self, request, queryset):
        for document in queryset.order_by("pk"):
            try:
                published = consent_document_publish(document_id=document.pk, user=request.user)
            except ConsentDocumentError as refused:
                self.message_user(request, str(refused), messages.ERROR)
            else:
                self.message_user(
                    request, f"Published {published}: patients read and sign it from now on.", messages.SUCCESS
                )

    @admin.action(description="Copy into a new draft, to change the wording", permissions=["add"])
    def copy_into_new_draft(self, request, queryset):
        copies = [consent_document_copy(document_id=document.pk) for document in queryset.order_by("pk")]
        drafts = "a new draft" if len(copies) == 1 else f"{len(copies)} new drafts"
        self.message_user(request, f"Copied into {drafts}: change the wording, then publish it.")
        if len(copies) == 1:
            return redirect(f"{self.admin_site.name}:assessments_consentdocument_change", copies[0].pk)
        return None


def intake_status(booking) -> str:
    """What the front desk may know of an intake: done or not, flagged or not. Never the answers."""
    intake = getattr(booking, "intake", None)
    status = "done" if intake and intake.completed_at else ("started" if intake else "not started")
    return format_html("{}{}", status, " · review before visit" if booking.review_before_visit else "")
