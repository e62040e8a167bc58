from django.contrib import admin

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


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic", "user"]
    raw_id_fields = ["user"]
