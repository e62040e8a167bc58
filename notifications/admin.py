from django.contrib import admin, messages
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from booking.models import Booking
from booking.search import booking_search_q, typed_phone
from clinic.admin_mixins import ReadOnlyAdminMixin, ReadOnlyInline
from clinic.privacy import mask_private_links

from .models import Conversation, ConversationAccess, InboundText, Message, OptOut
from .outbox import CannotResend, message_resend
from .transports import text_for_staff

SEARCH_HELP = "An email address or a full mobile number it went to, or its booking's reference or patient's name."


class MessageInline(ReadOnlyInline):
    """Every message about a booking, on the booking's page."""

    model = Message
    fields = ["created_at", "kind", "channel", "recipient", "status", "attempts", "last_error"]
    readonly_fields = fields
    ordering = ["created_at"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "channel", "recipient", "status", "attempts", "booking"]
    # By day from a filter: a date hierarchy would read every row's date to list the years.
    list_filter = ["status", "channel", "kind", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["booking"]
    # Years of messages: no count of them all on every page (the filtered count stays), nor of each filter's.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["recipient", "booking__reference", "booking__patient_name"]  # matched by get_search_results
    readonly_fields = [
        "booking",
        "waitlist_entry",
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
        "sent_by",
        "created_at",
        "sent_at",
    ]
    fields = readonly_fields
    actions = ["resend"]

    def changelist_view(self, request, extra_context=None):
        # Shown under the search box (change_list.html): Django's search_help_text would leave it without a
        # visible label.
        return super().changelist_view(request, {"search_help": SEARCH_HELP, **(extra_context or {})})

    def get_search_results(self, request, queryset, search_term):
        """Messages about the bookings the term finds (booking/search.py), and for an email or a mobile, those
        sent to it whatever booking has it now (the clinic's own address, or a patient's old one): each
        through an index, never a scan of every message."""
        term = " ".join(search_term.split())
        if not term:
            return queryset, False
        about = booking_search_q(term)
        bookings = Booking.objects.filter(about) if about else Booking.objects.none()
        address = typed_phone(term) or (term if "@" in term else None)
        if not address:
            return queryset.filter(booking__in=bookings), False
        # An email or a mobile is one patient's few bookings: listed, so both halves of the OR use an index.
        ids = list(bookings.values_list("pk", flat=True))
        return queryset.filter(Q(booking__in=ids) | Q(recipient__iexact=address)), False

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
    """Who texted, and when. The words are read in the text's conversation, where each opening is logged."""

    list_display = ["received_at", "sender", "booking"]
    list_select_related = ["booking"]
    search_fields = ["sender", "booking__reference"]
    readonly_fields = ["sender", "conversation", "media_count", "booking", "received_at", "provider_id"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    @admin.display(description="the text")
    def conversation(self, text):
        found = Conversation.objects.filter(phone=text.sender).first()
        if found is None:
            return "-"
        url = reverse(f"{self.admin_site.name}:frontdesk_conversation", args=[found.pk])
        return format_html('<a href="{}">Read it in the conversation with {}</a>', url, text.sender)


@admin.register(ConversationAccess)
class ConversationAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who opened whose texts: read-only for everyone, superusers included."""

    list_display = ["at", "user", "phone", "ip_address", "user_agent"]
    list_select_related = ["user", "conversation"]
    search_fields = ["conversation__phone", "user__username"]
    date_hierarchy = "at"
    fields = ["at", "user", "phone", "ip_address", "user_agent"]
    readonly_fields = fields

    @admin.display(description="texts with", ordering="conversation__phone")
    def phone(self, access):
        return access.conversation.phone
