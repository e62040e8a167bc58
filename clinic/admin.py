from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import models
from django.utils.html import format_html
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import two_factor
from .models import Clinic, OpeningHours, Practitioner
from .photos import READABLE_FORMATS, PhotoError, photo_from_upload, practitioner_photo_set

User = get_user_model()


# Each day's hours stacked, each box with its label: a table's column headers are no labels for its boxes.
class OpeningHoursInline(admin.StackedInline):
    model = OpeningHours
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "email", "city", "time_zone"]
    fieldsets = [
        (None, {"fields": ["name", "phone", "email"]}),
        ("Address", {"fields": ["street", "city", "region", "postal_code", "time_zone"]}),
        ("Getting here (on the offer page)", {"fields": ["map_url", "parking_note", "parking_note_es"]}),
    ]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # "openstreetmap.org/..." typed bare
    inlines = [OpeningHoursInline]


class PractitionerForm(forms.ModelForm):
    """The practitioner, with a photo to upload: checked and resized here, so a bad file is a message on the form."""

    photo = forms.FileField(
        required=False,
        widget=forms.FileInput(attrs={"accept": ",".join(f"image/{f.lower()}" for f in READABLE_FORMATS)}),
        help_text="A JPEG, PNG or WebP portrait, at least 320 pixels on each side. It is shown small and square.",
    )
    remove_photo = forms.BooleanField(required=False, label="Remove the photo")

    class Meta:
        model = Practitioner
        fields = ["clinic", "name", "credentials", "bio", "bio_es", "featured", "user"]

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        try:
            return photo_from_upload(upload)
        except PhotoError as exc:
            raise forms.ValidationError(str(exc), code="photo") from None


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    form = PractitionerForm
    list_display = ["name", "credentials", "clinic", "featured", "has_photo", "user"]
    list_filter = ["featured"]
    list_select_related = ["clinic", "user"]
    search_fields = ["name"]
    raw_id_fields = ["user"]
    readonly_fields = ["current_photo"]
    fieldsets = [
        (None, {"fields": ["clinic", "name", "credentials", "user"]}),
        ("On the offer page", {"fields": ["featured", "bio", "bio_es", "current_photo", "photo", "remove_photo"]}),
    ]

    @admin.display(boolean=True, description="photo")
    def has_photo(self, practitioner):
        return bool(practitioner.photo_digest)

    @admin.display(description="photo now")
    def current_photo(self, practitioner):
        if not practitioner.photo_digest:
            return "None yet"
        return format_html(
            '<img src="{}" width="160" height="160" alt="Photo of {}">', practitioner.photo_url(160), practitioner.name
        )

    def save_model(self, request, practitioner, form, change):
        super().save_model(request, practitioner, form, change)
        if photo := form.cleaned_data.get("photo"):
            practitioner_photo_set(practitioner=practitioner, photo=photo)
        elif form.cleaned_data.get("remove_photo") and practitioner.photo_digest:
            practitioner_photo_set(practitioner=practitioner, photo=None)


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
