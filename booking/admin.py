from django.contrib import admin
from django.utils import timezone

from .models import Booking, Promotion, Service, Slot


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "duration_minutes", "regular_price", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "spots", "visit_starts_on", "visit_ends_on", "closes_at", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["service"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "service", "practitioner", "capacity", "is_blocked"]
    list_filter = ["is_blocked", "service", "practitioner"]
    list_select_related = ["service__clinic", "practitioner"]
    date_hierarchy = "starts_at"


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["reference", "patient_name", "visit", "status", "price", "promotion", "created_at"]
    list_filter = ["status", "promotion"]
    list_select_related = ["slot__service__clinic", "promotion"]
    search_fields = ["reference", "patient_name", "email", "phone"]
    fields = ["reference", "status", "slot", "promotion", "price_cents", "patient_name", "email", "phone"]
    fields += ["sms_consent", "sms_consent_at", "hold_expires_at", "confirmed_at", "created_at", "updated_at"]
    # Seats, spots and prices change only through the booking services, which hold the locks.
    readonly_fields = [
        "reference",
        "status",
        "slot",
        "promotion",
        "price_cents",
        "sms_consent",
        "sms_consent_at",
        "hold_expires_at",
        "confirmed_at",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="visit", ordering="slot__starts_at")
    def visit(self, booking):
        local = timezone.localtime(booking.slot.starts_at, booking.slot.service.clinic.tz)
        return f"{local:%a %b %-d, %-I:%M %p}"
