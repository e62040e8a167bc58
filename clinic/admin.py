from datetime import time, timedelta

from django.contrib import admin, messages
from django.utils import timezone

from .models import Clinic, Closure, OpeningHours, Practitioner


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "email", "city", "time_zone"]
    inlines = [OpeningHoursInline]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["starts_on", "ends_on", "reason", "clinic"]
    list_filter = ["clinic"]
    date_hierarchy = "starts_on"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Closed days take no new bookings at once; visits already booked on them need a call.
        from booking.models import Booking

        start = obj.clinic.local_datetime(obj.starts_on, time.min)
        end = obj.clinic.local_datetime(obj.ends_on + timedelta(days=1), time.min)
        booked = Booking.objects.active(timezone.now()).filter(slot__starts_at__gte=start, slot__starts_at__lt=end)
        if count := booked.count():
            self.message_user(
                request,
                f"{count} booking(s) fall on these days: move or cancel them (Bookings, filtered by visit date).",
                messages.WARNING,
            )


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic", "user"]
    raw_id_fields = ["user"]
