"""Admin for booking's own records: payments, refunds, Stripe's events, services, and the clinic's closures
(which warn of the bookings on those days). Screens that span apps (bookings with their messages and intake,
slots opened from opening hours, promotions with their dashboard) are registered by frontdesk/admin.py.
"""

from datetime import time, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from clinic.admin_mixins import IN_SPANISH, ReadOnlyAdminMixin, ReadOnlyInline
from clinic.closures import close_federal_holidays, federal_holidays
from clinic.models import Clinic, Closure

from . import stripe_gateway
from .models import Booking, DeskPayment, Payment, Refund, Service, StripeEvent
from .payments import REFUND_PERMISSION, RefundError, refund_request


def _stripe_link(kind: str, object_id: str | None):
    if not object_id:
        return "–"
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>', stripe_gateway.dashboard_url(kind, object_id), object_id
    )


class DeskPaymentInline(ReadOnlyInline):
    """Money the front desk took for the visit (recorded on Today's visit panel)."""

    model = DeskPayment
    fields = readonly_fields = ["taken_at", "method", "amount", "taken_by"]


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["status", "amount", "amount_refunded", "refusal_reason", "session", "payment_intent", "paid_at"]
    fields += ["created_at"]
    readonly_fields = fields

    @admin.display(description="checkout session")
    def session(self, payment):
        return _stripe_link("checkout/sessions", payment.checkout_session_id)

    @admin.display(description="payment in Stripe")
    def payment_intent(self, payment):
        return _stripe_link("payments", payment.payment_intent_id)


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["status", "amount", "reason", "refund", "last_error", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment")  # its amount is in the payment's currency

    @admin.display(description="refund in Stripe")
    def refund(self, refund):
        return _stripe_link("refunds", refund.stripe_refund_id)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["booking", "amount", "status", "amount_refunded", "paid_at", "created_at"]
    list_filter = ["status"]
    list_select_related = ["booking"]
    search_fields = ["booking__reference", "checkout_session_id", "payment_intent_id", "booking__email"]
    fields = ["booking", "status", "refusal_reason", "amount", "amount_refunded", "session", "payment_intent"]
    fields += ["paid_at", "created_at"]
    readonly_fields = fields
    inlines = [RefundInline]
    actions = ["refund_in_full"]

    session = PaymentInline.session
    payment_intent = PaymentInline.payment_intent

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_refund_permission(self, request):
        return request.user.has_perm(REFUND_PERMISSION)

    @admin.action(description="Refund the rest of the selected payments", permissions=["refund"])
    def refund_in_full(self, request, queryset):
        for payment in queryset:
            try:
                refund = refund_request(payment=payment, reason=f"Refunded by {request.user.get_username()}")
            except RefundError as exc:
                self.message_user(request, f"{payment.booking}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{payment.booking}: refund of {refund.amount} requested.", messages.SUCCESS)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "type", "processed_at"]
    list_filter = ["type"]
    search_fields = ["id"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "duration_minutes", "regular_price", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "name_es"]
    fieldsets = [
        (None, {"fields": ["clinic", "duration_minutes", "regular_price_cents", "is_active"]}),
        ("English", {"fields": ["name", "summary", "includes"]}),
        ("Spanish", {"fields": ["name_es", "summary_es", "includes_es"], "description": IN_SPANISH}),
    ]


class HolidaysForm(forms.Form):
    year = forms.IntegerField(
        label="Year",
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": "Enter the year to close.",
            "invalid": "Enter a year such as 2027.",
            "min_value": "Enter a year from 2000 to 2100.",
            "max_value": "Enter a year from 2000 to 2100.",
        },
    )


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["starts_on", "ends_on", "reason", "clinic"]
    list_filter = ["clinic"]
    date_hierarchy = "starts_on"

    def get_urls(self):
        holidays = self.admin_site.admin_view(self.federal_holidays_view)
        return [path("federal-holidays/", holidays, name="clinic_closure_federal_holidays"), *super().get_urls()]

    def federal_holidays_view(self, request):
        """Close the US federal holidays of a year in one go; the days already closed are left as they are."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        clinic = Clinic.current()
        today = timezone.localdate(timezone=clinic.tz if clinic else None)
        form = HolidaysForm(request.POST or None, initial={"year": today.year + 1})
        if request.method == "POST" and form.is_valid() and clinic:
            added = close_federal_holidays(clinic, form.cleaned_data["year"])
            days = (
                ", ".join(f"{c.starts_on:%b} {c.starts_on.day} ({c.reason})" for c in added) or "none: all were closed"
            )
            self.message_user(request, f"Closed {len(added)} day(s) in {form.cleaned_data['year']}: {days}.")
            return redirect("admin:clinic_closure_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Close the US federal holidays of a year",
            "form": form,
            "opts": self.model._meta,
            "holidays": federal_holidays(
                form.cleaned_data["year"] if form.is_bound and form.is_valid() else today.year + 1
            ),
        }
        return TemplateResponse(
            request, "admin/clinic/closure/federal_holidays.html", context, status=400 if form.errors else 200
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Closed days take no new bookings at once; visits already booked on them need a call.
        start = obj.clinic.local_datetime(obj.starts_on, time.min)
        end = obj.clinic.local_datetime(obj.ends_on + timedelta(days=1), time.min)
        booked = Booking.objects.active(timezone.now()).filter(slot__starts_at__gte=start, slot__starts_at__lt=end)
        if count := booked.count():
            self.message_user(
                request,
                f"{count} booking(s) fall on these days: move or cancel them (Bookings, filtered by visit date).",
                messages.WARNING,
            )
