from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from booking.forms import PhoneNumberField
from clinic.admin_mixins import LanguageField, LanguageFilter

from .models import WaitlistEntry
from .services import offer_decline

ALREADY_WAITING = "Someone on this waiting list already has this {}: one place in line a person."


class WaitlistEntryForm(forms.ModelForm):
    """The list is not a form field here, so the one-live-entry-a-person constraints are checked by hand."""

    phone = PhoneNumberField(label="Mobile phone")
    language = LanguageField(help_text="The language of the offers and notices they get.")

    class Meta:
        model = WaitlistEntry
        fields = ["name", "email", "phone", "sms_consent", "language", "position"]

    def clean(self):
        cleaned = super().clean()
        entry = self.instance
        if entry.pk is None or entry.status not in WaitlistEntry.Status.live():
            return cleaned
        others = WaitlistEntry.objects.filter(**entry.list_filter(), status__in=WaitlistEntry.Status.live()).exclude(
            pk=entry.pk
        )
        if (email := cleaned.get("email")) and others.filter(email__iexact=email).exists():
            self.add_error("email", ALREADY_WAITING.format("email"))
        if (phone := cleaned.get("phone")) and others.filter(phone=phone).exists():
            self.add_error("phone", ALREADY_WAITING.format("mobile phone"))
        return cleaned

    def save(self, commit=True):
        # What staff type is theirs: a booking offered from this entry sends no code that opens answers to it.
        self.instance.email_by_staff |= "email" in self.changed_data
        self.instance.phone_by_staff |= "phone" in self.changed_data
        return super().save(commit)


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    """The waiting lists, in the order places are offered: change the position numbers to reorder."""

    form = WaitlistEntryForm
    list_display = ["position", "person", "waiting_for", "status", "offer_expires_at", "sms_consent", "created_at"]
    list_display_links = ["person"]
    list_editable = ["position"]
    list_filter = ["status", "promotion", "day", LanguageFilter]
    list_select_related = ["promotion", "booking"]
    search_fields = ["name", "email", "phone"]
    ordering = ["position", "created_at", "pk"]
    fields = [
        "service",
        "promotion",
        "day",
        "name",
        "email",
        "phone",
        "sms_consent",
        "language",
        "position",
        "status",
        "offered_booking",
        "offer_expires_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "service",
        "promotion",
        "day",
        "status",
        "offered_booking",
        "offer_expires_at",
        "created_at",
        "updated_at",  # when it last changed: when they left the list, say
    ]
    actions = ["remove"]

    def has_add_permission(self, request):
        return False  # patients join from the site; the front desk books callers directly

    @admin.display(description="name", ordering="name")
    def person(self, entry):
        # Someone who joined by texting WAIT has no name until they add it from the link the reply carried.
        return entry.name or f"{entry.phone} (joined by text)"

    @admin.display(description="waiting for")
    def waiting_for(self, entry):
        return entry.waiting_for

    @admin.display(description="offered booking")
    def offered_booking(self, entry):
        if entry.booking_id is None:
            return "—"
        url = reverse("admin:booking_booking_change", args=[entry.booking_id])
        return format_html('<a href="{}">{}</a>', url, entry.booking)

    @admin.action(description="Take the selected people off the waiting list", permissions=["change"])
    def remove(self, request, queryset):
        removed = 0
        for entry in queryset.filter(status__in=WaitlistEntry.Status.live()):
            offer_decline(entry=entry)  # an open offer's hold is released for the next person
            removed += WaitlistEntry.objects.filter(
                pk=entry.pk, status__in=[*WaitlistEntry.Status.live(), WaitlistEntry.Status.DECLINED]
            ).update(status=WaitlistEntry.Status.REMOVED)
        self.message_user(request, f"{removed} taken off the waiting list.", messages.SUCCESS)
