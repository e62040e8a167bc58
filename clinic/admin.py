from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import models
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import two_factor
from .models import Clinic, OpeningHours, Practitioner

User = get_user_model()


# Each day's hours stacked, each box with its label: a table's column headers are no labels for its boxes.
class OpeningHoursInline(admin.StackedInline):
    model = OpeningHours
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "email", "city", "time_zone"]
    inlines = [OpeningHoursInline]


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic", "user"]
    raw_id_fields = ["user"]


class TickBoxes:
    """Groups and permissions ticked, each box labelled: the admin's two-list selector names its filter boxes with
    an aria-label on a plain span, which screen readers never read."""

    filter_horizontal = ()
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}


# Django's own user and group admins (django.contrib.auth registers them first), with a superuser's reset of
# two-factor sign-in.
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(Group)
class StaffGroupAdmin(TickBoxes, GroupAdmin):
    pass


@admin.register(User)
class StaffUserAdmin(TickBoxes, UserAdmin):
    actions = ["reset_two_factor"]

    @admin.action(
        description="Reset two-factor sign-in (they set it up again at their next sign-in)",
        permissions=["reset_two_factor"],
    )
    def reset_two_factor(self, request, queryset):
        users = list(queryset)
        two_factor.two_factor_reset(users=users)
        for user in users:
            self.log_change(request, user, "Reset two-factor sign-in.")
        self.message_user(
            request,
            f"Two-factor sign-in reset for {len(users)} user(s): they set it up again at their next sign-in.",
            messages.SUCCESS,
        )

    def has_reset_two_factor_permission(self, request):
        # A lost phone is replaced only by someone who can already do everything.
        return request.user.is_superuser


# The devices of two-factor sign-in (django-otp), searched without the help line: the search box's only label
# would be its icon.
for device, device_admin in ((TOTPDevice, TOTPDeviceAdmin), (StaticDevice, StaticDeviceAdmin)):
    admin.site.unregister(device)
    admin.site.register(device, type(device_admin.__name__, (device_admin,), {"search_help_text": None}))


# The login lockout's records (django-axes), with its one action's permission declared, as every action's is.
admin.site.register(AccessLog, AccessLogAdmin)
admin.site.register(AccessFailureLog, AccessFailureLogAdmin)


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AccessAttemptAdmin):
    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        super().cleanup_expired_attempts(request, queryset)
