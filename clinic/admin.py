from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from . import two_factor
from .models import Clinic, OpeningHours, Practitioner

User = get_user_model()


class OpeningHoursInline(admin.TabularInline):
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


# Django's own user admin (django.contrib.auth registers it first), with a superuser's reset of two-factor sign-in.
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
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


# The login lockout's records (django-axes), with its one action's permission declared, as every action's is.
admin.site.register(AccessLog, AccessLogAdmin)
admin.site.register(AccessFailureLog, AccessFailureLogAdmin)


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AccessAttemptAdmin):
    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        super().cleanup_expired_attempts(request, queryset)
