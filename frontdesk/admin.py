"""The front desk's screens that span apps: bookings with their payments, history, messages and intake
progress (and the actions on them), slots and opening them from opening hours, booking a caller, promotions
with their dashboard. Registered on the clinic's admin site like any other (clinic/admin_site.py), under booking's
models, so their admin URLs and names are booking's.
"""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from assessments.admin import intake_status
from assessments.models import Intake
from booking.admin import DeskPaymentInline, PaymentInline
from booking.forms import PhoneNumberField
from booking.models import Booking, BookingEvent, Promotion, Slot, format_cents
from booking.payments import with_paid_cents
from booking.search import SEARCH_HELP, booking_search_q
from booking.services import FINISHED, booking_change_contact
from clinic.admin_mixins import IN_SPANISH, LanguageField, LanguageFilter, ReadOnlyInline
from notifications.admin import MessageInline

from . import admin_actions, admin_phone, admin_views, booking_list
from .reports import CHART_HEIGHT, CHART_WIDTH, promotion_report


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "spots", "visit_starts_on", "visit_ends_on", "closes_at", "is_active", "dashboard"]
    list_filter = ["is_active"]
    list_select_related = ["service"]
    fieldsets = [
        (None, {"fields": ["service"]}),
        ("English", {"fields": ["name", "headline"]}),
        ("Spanish", {"fields": ["name_es", "headline_es"], "description": IN_SPANISH}),
        (
            "Price and dates",
            {
                "fields": [
                    "price_cents",
                    "spots",
                    "visit_starts_on",
                    "visit_ends_on",
                    "opens_at",
                    "closes_at",
                    "is_active",
                ]
            },
        ),
    ]

    @admin.display(description="how it sold")
    def dashboard(self, promotion):
        return format_html(
            '<a href="{}">Dashboard</a>', reverse("admin:booking_promotion_dashboard", args=[promotion.pk])
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="booking_promotion_dashboard",
            ),
            *super().get_urls(),
        ]

    def dashboard_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        promotion = get_object_or_404(Promotion, pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"How “{promotion}” sold",
            "report": promotion_report(promotion=promotion),
            "width": CHART_WIDTH,
            "height": CHART_HEIGHT,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/booking/promotion_dashboard.html", context)


class SlotAdminForm(forms.ModelForm):
    class Meta:
        model = Slot
        fields = ["service", "practitioner", "starts_at", "ends_at", "capacity", "is_blocked"]

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            # The admin saves inside one transaction: this lock holds until the change is saved,
            # so no booking slips in between the count and the save.
            slot = Slot.objects.select_for_update().get(pk=self.instance.pk)
            booked = slot.bookings.active(timezone.now()).count()
            if data.get("is_blocked") and booked:
                raise forms.ValidationError(
                    f"{booked} active booking(s) on this slot: move or cancel them before blocking it."
                )
            if data.get("capacity") is not None and data["capacity"] < booked:
                self.add_error("capacity", f"{booked} active bookings: capacity cannot be lower.")
        return data


@admin.action(description="Block the selected slots", permissions=["change"])
def block_slots(modeladmin, request, queryset):
    blocked = 0
    for slot_id in queryset.values_list("pk", flat=True):
        with transaction.atomic():
            slot = Slot.objects.select_for_update().get(pk=slot_id)  # the same lock a booking takes
            if slot.bookings.active(timezone.now()).exists():
                modeladmin.message_user(request, f"{slot}: has bookings; move or cancel them first.", messages.ERROR)
                continue
            slot.is_blocked = True
            slot.save(update_fields=["is_blocked"])
            blocked += 1
    if blocked:
        modeladmin.message_user(request, f"{blocked} slot(s) blocked.", messages.SUCCESS)


@admin.action(description="Unblock the selected slots", permissions=["change"])
def unblock_slots(modeladmin, request, queryset):
    modeladmin.message_user(request, f"{queryset.update(is_blocked=False)} slot(s) open again.", messages.SUCCESS)


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    form = SlotAdminForm
    actions = [block_slots, unblock_slots]
    list_display = ["starts_at", "service", "practitioner", "capacity", "blocked"]
    list_filter = ["is_blocked", "service", "practitioner"]
    list_select_related = ["service__clinic", "practitioner"]
    date_hierarchy = "starts_at"
    # Years of slots: no second count of them all on every page, nor of each filter's.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description="blocked", ordering="is_blocked")
    def blocked(self, slot):
        return "Blocked" if slot.is_blocked else "Open"

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.bookings.active(timezone.now()).exists():
            # Moving a booked slot would move its patients without a word: cancel or rebook them instead.
            return ["service", "practitioner", "starts_at", "ends_at"]
        return []

    def get_urls(self):
        generate = self.admin_site.admin_view(partial(admin_views.generate_slots, self))
        return [
            path("generate/", generate, name="booking_slot_generate"),
            *super().get_urls(),
        ]


class PaidFilter(admin.SimpleListFilter):
    """Paid in full (online, at the desk, or both) or with something still due; the list annotates paid_cents."""

    title = "paid"
    parameter_name = "paid"

    def lookups(self, request, model_admin):
        return [("yes", "Paid"), ("no", "Due")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(paid_cents__gte=F("price_cents"))
        if self.value() == "no":  # a cancelled or lapsed booking owes nothing
            return queryset.filter(paid_cents__lt=F("price_cents")).exclude(status__in=FINISHED)
        return queryset


class IntakeDoneFilter(admin.SimpleListFilter):
    title = "intake"
    parameter_name = "intake"

    def lookups(self, request, model_admin):
        return [("done", "Done"), ("not_done", "Not done")]

    def queryset(self, request, queryset):
        if self.value() == "done":
            return queryset.filter(intake__completed_at__isnull=False)
        if self.value() == "not_done":
            return queryset.filter(Q(intake__isnull=True) | Q(intake__completed_at__isnull=True))
        return queryset


class BookingEventInline(ReadOnlyInline):
    model = BookingEvent
    fields = ["at", "from_status", "to_status", "user", "note"]
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "history"


class BookingAdminForm(forms.ModelForm):
    phone = PhoneNumberField(label="Mobile phone")
    language = LanguageField(
        help_text="The language of the texts and emails the patient gets, and of their private pages.",
    )

    class Meta:
        model = Booking
        fields = ["patient_name", "email", "phone", "language"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    form = BookingAdminForm
    view_on_site = False  # the patient's page leads to their intake answers
    # Narrow enough for a 1366-pixel screen beside the filters.
    list_display = ["reference", "patient_name", "visit", "status", "price_paid", "intake_progress"]
    list_filter = [
        booking_list.VisitFilter,
        "status",
        "promotion",
        PaidFilter,
        IntakeDoneFilter,
        "review_before_visit",
        LanguageFilter,
    ]
    list_select_related = ["slot__service__clinic", "intake"]
    # Years of bookings: no count of them all on every page (the filtered count stays), nor of each filter's.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = [
        admin_actions.confirm_holds,
        admin_actions.cancel_bookings,
        admin_actions.mark_attended,
        admin_actions.mark_no_show,
        admin_actions.resend_confirmation,
        admin_actions.send_new_link,
    ]
    search_fields = ["reference", "patient_name", "email", "phone"]  # get_search_results matches each by an index
    fields = ["reference", "status", "slot", "promotion", "price_cents", "patient_name", "email", "phone", "language"]
    fields += [
        "phone_verified_at",
        "sms_consent",
        "sms_consent_at",
        "hold_expires_at",
        "confirmed_at",
        "cancelled_at",
        "cancel_reason",
    ]
    fields += ["review_before_visit", "intake_progress", "created_at", "updated_at"]
    # Seats, spots and prices change only through the booking services, which hold the locks.
    readonly_fields = [
        "reference",
        "status",
        "slot",
        "promotion",
        "price_cents",
        "phone_verified_at",
        "sms_consent",
        "sms_consent_at",
        "hold_expires_at",
        "confirmed_at",
        "cancelled_at",
        "cancel_reason",
        "review_before_visit",
        "intake_progress",
        "created_at",
        "updated_at",
    ]
    inlines = [BookingEventInline, PaymentInline, DeskPaymentInline, MessageInline]

    def get_urls(self):
        book_a_caller = self.admin_site.admin_view(partial(admin_phone.phone_booking, self))
        export = self.admin_site.admin_view(partial(booking_list.export_csv, self))
        return [
            path("phone/", book_a_caller, name="booking_booking_phone"),
            path("export/", export, name="booking_booking_export"),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        # The list shows whether the intake is done, never its answers: they stay in the database.
        return with_paid_cents(super().get_queryset(request).defer(*Intake.answers_of("intake")))

    def get_ordering(self, request):
        return booking_list.visit_ordering(request)

    def changelist_view(self, request, extra_context=None):
        # Under the search box (change_list.html), not as Django's search_help_text: that would describe the box
        # with it, and a box described but labelled only by an icon has no visible label.
        return super().changelist_view(request, {"search_help": SEARCH_HELP, **(extra_context or {})})

    def get_search_results(self, request, queryset, search_term):
        """A reference, mobile, email or name, each matched through an index (booking/search.py)."""
        if not search_term.strip():
            return queryset, False
        found = booking_search_q(search_term)
        return (queryset.filter(found) if found else queryset.none()), False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Only the patient's name, email and mobile are edited here; a new email or mobile ends the links sent
        before, tells the old ones (with no link), and sends the new link to the new ones."""
        data = form.cleaned_data
        before = obj.link_version
        booking = booking_change_contact(
            booking=obj,
            name=data["patient_name"],
            email=data["email"],
            phone=data["phone"],
            language=data["language"],
            user=request.user,
        )
        if booking.link_version != before:
            told = "" if booking.status in FINISHED else ", the old ones were told, and the new link was sent"
            self.message_user(
                request, f"The email or mobile changed: earlier links no longer work{told}.", messages.INFO
            )

    @admin.display(description="intake")
    def intake_progress(self, booking):
        return intake_status(booking)

    @admin.display(description="price", ordering="price_cents")
    def price_paid(self, booking):
        """ "$99 (offer) · paid" or "$175 · $175 due": online and desk payments together."""
        price = f"{booking.price} (offer)" if booking.promotion_id else booking.price
        if booking.status in (Booking.Status.CANCELLED, Booking.Status.EXPIRED):
            return price
        due = booking.price_cents - booking.paid_cents
        return f"{price} · {format_cents(due)} due" if due > 0 else f"{price} · paid"

    @admin.display(description="visit", ordering="slot__starts_at")
    def visit(self, booking):
        tz = booking.slot.service.clinic.tz
        local = timezone.localtime(booking.slot.starts_at, tz)
        # Past lists reach back years: a visit outside this year says which.
        year = "" if local.year == timezone.localdate(timezone=tz).year else f" {local.year}"
        return f"{local:%a %b %-d}{year}, {local:%-I:%M %p}"
