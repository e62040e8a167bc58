from django.contrib import admin, messages

from clinic.admin_mixins import ReadOnlyAdminMixin, ReadOnlyInline
from clinic.privacy import mask_private_links

from .models import InboundText, Message, OptOut
from .outbox import CannotResend, message_resend
from .transports import text_for_staff


class MessageInline(ReadOnlyInline):
    """Every message about a booking, on the booking's page."""

    model = Message
    fields = ["created_at", "kind", "channel", "recipient", "status", "attempts", "last_error"]
    readonly_fields = fields
    ordering = ["created_at"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "channel", "recipient", "status", "attempts", "booking"]
    list_filter = ["status", "channel", "kind"]
    list_select_related = ["booking"]
    search_fields = ["recipient", "booking__reference", "booking__patient_name"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "booking",
        "kind",
        "channel",
        "recipient",
        "subject",
        "text",
        "status",
        "send_after",
        "attempts",
        "last_error",
        "provider_id",
        "dedupe_key",
        "created_at",
        "sent_at",
    ]
    fields = readonly_fields
    actions = ["resend"]

    @admin.display(description="body")
    def text(self, message):
        # The body holds where a link or a code goes, never what (and a link written in by hand is masked too).
        return mask_private_links(text_for_staff(message))

    def has_resend_permission(self, request):
        return request.user.has_perm("notifications.change_message")

    @admin.action(description="Send the selected messages again", permissions=["resend"])
    def resend(self, request, queryset):
        for message in queryset:
            try:
                copy = message_resend(message=message)
            except CannotResend as exc:
                self.message_user(request, f"{message}: {exc}", messages.ERROR)
                continue
            if copy.status == Message.Status.QUEUED:
                self.message_user(request, f"{message}: queued.", messages.SUCCESS)
            else:
                self.message_user(request, f"{message}: not sent, the number texted STOP.", messages.WARNING)


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    list_display = ["phone", "keyword", "opted_out_at"]
    search_fields = ["phone"]


@admin.register(InboundText)
class InboundTextAdmin(admin.ModelAdmin):
    list_display = ["received_at", "sender", "booking"]
    list_select_related = ["booking"]
    search_fields = ["sender", "booking__reference"]
    readonly_fields = ["sender", "body", "booking", "received_at", "provider_id"]

    def has_add_permission(self, request):
        return False
