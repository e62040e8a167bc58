from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from booking.models import Booking
from waitlist.models import WaitlistEntry


class Message(models.Model):
    """One SMS or email in the outbox. Its dedupe key makes "send this" idempotent."""

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "Email"

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Booking confirmation"
        REMINDER_24H = "reminder_24h", "Reminder, a day before"
        REMINDER_2H = "reminder_2h", "Reminder, two hours before"
        CANCELLATION = "cancellation", "Cancellation notice"
        RESCHEDULE = "reschedule", "Reschedule notice"
        REFUND = "refund", "Refund notice"
        LATE_PAYMENT = "late_payment", "Late payment refunded"
        WAITLIST_OFFER = "waitlist_offer", "Waiting-list offer"
        NEW_LINK = "new_link", "New private link"
        CONTACT_CHANGED = "contact_changed", "Contact details changed (to the old ones)"
        ACCESS_CODE = "access_code", "Code to open saved answers"
        CLINIC_NEW_BOOKING = "clinic_new_booking", "New booking (to the clinic)"
        CLINIC_INBOUND_TEXT = "clinic_inbound_text", "Text received (to the clinic)"
        CLINIC_INTAKE_REVIEW = "clinic_intake_review", "Intake needs review (to the clinic)"
        CLINIC_PAYMENT_REFUSED = "clinic_payment_refused", "Payment refused (to the clinic)"
        CLINIC_ONLINE_CHANGE = "clinic_online_change", "Visit changed online (to the clinic)"
        STAFF_TEXT = "staff_text", "Text from the front desk"
        LINK_RESENT = "link_resent", "Private link, sent again as asked"
        WAITLIST_JOINED = "waitlist_joined", "On the waiting list (with the link to leave it)"
        AUTO_REPLY = "auto_reply", "Answer to their text"

        @classmethod
        def with_private_links(cls) -> list[str]:
            """What may carry the patient's private links: the rest goes to the clinic, or to an old address."""
            return [
                kind
                for kind in cls
                if not kind.startswith("clinic_") and kind not in (cls.CONTACT_CHANGED, cls.ACCESS_CODE)
            ]

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed"  # opted out, or its visit was cancelled or moved

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="messages")
    # A message about a place on a waiting list, before any booking: its link to leave the list is made from it.
    waitlist_entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    channel = models.CharField(max_length=5, choices=Channel.choices)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    recipient = models.CharField(max_length=254, help_text="A phone number in E.164 or an email address.")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(help_text="As written: where a private link goes, a placeholder, filled in as it is sent.")
    # An email's HTML part and calendar file as they were made when it was queued, so a retry or a staff resend
    # sends the very same (its links, as in the body, are placeholders). Blank for texts.
    html = models.TextField(blank=True)
    calendar = models.TextField("calendar file", blank=True, help_text="The .ics sent with the email, if any.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    send_after = models.DateTimeField(default=timezone.now, help_text="Not sent before this (quiet hours).")
    provider_id = models.CharField(max_length=255, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    # Who at the clinic wrote a text from the front desk; empty for everything the app writes.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "send_after"]),
            # The outbox lists newest first (with the primary key to break ties), and is searched by recipient.
            models.Index(fields=["created_at", "id"], name="message_created_idx"),
            models.Index(Upper("recipient"), name="message_recipient_upper_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.get_channel_display()} to {self.recipient}"


class OptOut(models.Model):
    """A number that texted STOP: it gets no more texts until it texts START."""

    phone = models.CharField(max_length=20, unique=True)
    opted_out_at = models.DateTimeField(default=timezone.now)
    keyword = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name = "SMS opt-out"

    def __str__(self):
        return self.phone


class InboundText(models.Model):
    """A text to the clinic's number. Its words stay here, in the admin, and travel in no alert."""

    sender = models.CharField(max_length=20)
    body = models.TextField()
    # Photos and other media sent with it (MMS): counted, never fetched or kept here.
    media_count = models.PositiveSmallIntegerField("photos or files", default=0)
    provider_id = models.CharField(max_length=64, unique=True)
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_texts")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"Text from {self.sender}"


class Conversation(models.Model):
    """The texts to and from one mobile number, as the front desk's inbox shows them: the words stay in the
    InboundText and Message rows; this keeps who handles the thread and what is new in it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    phone = models.CharField(max_length=20, unique=True, help_text="E.164, for example +16195550123.")
    status = models.CharField(max_length=4, choices=Status.choices, default=Status.OPEN, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    unread = models.PositiveIntegerField(default=0, help_text="Texts received since staff last opened it.")
    last_activity_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_activity_at", "-pk"]
        permissions = [("read_texts", "Can read patients' texts")]

    def __str__(self):
        return f"Texts with {self.phone}"


class ConversationAccess(models.Model):
    """Who opened a conversation's texts, when, from which address and browser. Written by the app; nobody
    edits it."""

    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = "opening of a conversation"
        verbose_name_plural = "text access log"

    def __str__(self):
        who = self.user.get_username() if self.user else "someone"
        return f"{who} opened the texts with {self.conversation.phone}"
