"""The front desk's text inbox: a conversation per mobile number, its thread (the texts the number sent, and every
text sent to it: the automatic ones and the staff's replies), who opened it, and the replies written in it.

A text's words stay in its InboundText or Message row. They are shown on the conversation's page, to staff who may
read texts, and each showing is written to the access log; they go in no log line and no email.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from booking.models import Booking
from clinic.client import Visitor
from clinic.contact import sms_allowed
from clinic.models import Clinic
from clinic.privacy import mask_private_links
from waitlist.models import WaitlistEntry

from .gsm import segments
from .models import Conversation, ConversationAccess, InboundText, Message
from .outbox import is_opted_out, messages_queue, outbox_message
from .transports import text_for_staff

Kind, Channel = Message.Kind, Message.Channel
OPEN, DONE = Conversation.Status.OPEN, Conversation.Status.DONE

READ_TEXTS = "notifications.read_texts"
REPLY_SEGMENTS = 3  # about 450 characters in GSM-7
THREAD_LENGTH = 200  # the newest texts each way; older ones stay in the outbox and the inbound texts
REPLY_KEY = re.compile(r"^[0-9a-f]{32}$")


def may_read_texts(user) -> bool:
    return user.has_perm(READ_TEXTS)


# Texts arriving ------------------------------------------------------------------------------------------


def conversation_inbound(*, phone: str, at: datetime) -> Conversation:
    """A text from `phone` arrived: its conversation (made with the first) counts one more unread text, and is
    open again if it was done."""
    conversation, created = Conversation.objects.get_or_create(
        phone=phone, defaults={"unread": 1, "last_activity_at": at}
    )
    if not created:
        Conversation.objects.filter(pk=conversation.pk).update(unread=F("unread") + 1, status=OPEN, last_activity_at=at)
    return conversation


# The inbox -----------------------------------------------------------------------------------------------


SHOWS = {"open": "Open", "mine": "Assigned to me", "done": "Done", "all": "All"}


def conversations_listed(*, show: str, user) -> QuerySet:
    """The conversations to list, the latest activity first: a text in, or one out (a staff reply, or an automatic
    text such as a reminder, found through the outbox's recipient index)."""
    latest_out = (
        Message.objects.filter(channel=Channel.SMS, recipient__iexact=OuterRef("phone"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    listed = Conversation.objects.select_related("assigned_to").annotate(
        activity=Greatest("last_activity_at", Coalesce(Subquery(latest_out), "last_activity_at"))
    )
    if show == "open":
        listed = listed.filter(status=OPEN)
    elif show == "mine":
        listed = listed.filter(status=OPEN, assigned_to=user)
    elif show == "done":
        listed = listed.filter(status=DONE)
    return listed.order_by("-activity", "-pk")


def unread_total() -> int:
    return Conversation.objects.filter(unread__gt=0).aggregate(total=Sum("unread"))["total"] or 0


def names_by_phone(phones: list[str]) -> dict[str, str]:
    """The name each number's latest booking or waiting-list entry gives (two queries for a page of numbers)."""
    rows = [
        *Booking.objects.filter(phone__in=phones)
        .exclude(patient_name="")
        .values_list("phone", "patient_name", "created_at"),
        *WaitlistEntry.objects.filter(phone__in=phones).exclude(name="").values_list("phone", "name", "created_at"),
    ]
    names: dict[str, str] = {}
    for phone, name, _ in sorted(rows, key=lambda row: row[2]):
        names[phone] = name  # the latest wins
    return names


def staff_who_read_texts() -> QuerySet:
    """The staff a conversation may be given to: active staff who may read texts."""
    read = Permission.objects.filter(content_type__app_label="notifications", codename="read_texts")
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(user_permissions__in=read) | Q(groups__permissions__in=read))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def staff_name(user) -> str:
    return user.get_full_name() or user.get_username()


# One conversation ----------------------------------------------------------------------------------------


@dataclass
class Person:
    """Who has the number, as far as the clinic knows: its bookings and waiting-list entries, newest first."""

    bookings: list[Booking] = field(default_factory=list)
    entries: list[WaitlistEntry] = field(default_factory=list)

    @property
    def latest(self) -> Booking | WaitlistEntry | None:
        known = [*self.bookings[:1], *self.entries[:1]]
        return max(known, key=lambda row: row.created_at) if known else None

    @property
    def name(self) -> str:
        """The latest name given: a place on a waiting list taken by text has none until its details come."""
        named = [(b.created_at, b.patient_name) for b in self.bookings if b.patient_name]
        named += [(e.created_at, e.name) for e in self.entries if e.name]
        return max(named)[1] if named else ""

    @property
    def language(self) -> str:
        """Theirs from the latest booking or entry, else English."""
        latest = self.latest
        return latest.language if latest else "en"


def latest_known(phone: str) -> Booking | WaitlistEntry | None:
    """The number's latest booking or waiting-list entry: as whom, and in which language, the clinic knows it."""
    known = [
        row
        for row in (
            Booking.objects.filter(phone=phone).order_by("-created_at").first(),
            WaitlistEntry.objects.filter(phone=phone).order_by("-created_at").first(),
        )
        if row is not None
    ]
    return max(known, key=lambda row: row.created_at) if known else None


PERSON_ROWS = 20  # the bookings and entries shown beside a thread


def person_of(phone: str) -> Person:
    return Person(
        bookings=list(
            Booking.objects.filter(phone=phone)
            .select_related("slot__service__clinic")
            .order_by("-created_at", "-pk")[:PERSON_ROWS]
        ),
        entries=list(
            WaitlistEntry.objects.filter(phone=phone)
            .select_related("promotion", "service")
            .order_by("-created_at", "-pk")[:PERSON_ROWS]
        ),
    )


@dataclass
class Entry:
    """One text of a thread: received (`inbound`) or sent (`message`)."""

    at: datetime
    inbound: InboundText | None = None
    message: Message | None = None

    @property
    def incoming(self) -> bool:
        return self.inbound is not None

    @property
    def text(self) -> str:
        if self.inbound is not None:
            return self.inbound.body
        # Where a private link or a code went, never what.
        return mask_private_links(text_for_staff(self.message))

    @property
    def who(self) -> str:
        if self.inbound is not None:
            return "Patient"
        if self.message.sent_by_id:
            return f"Staff: {staff_name(self.message.sent_by)}"
        if self.message.kind == Kind.STAFF_TEXT:
            return "Staff"
        return f"Automatic: {self.message.get_kind_display()}"


@dataclass
class Thread:
    entries: list[Entry]
    earlier: bool  # older texts than these exist


def thread_of(phone: str) -> Thread:
    """The texts from and to `phone`, oldest first: the newest THREAD_LENGTH of them."""
    received = InboundText.objects.filter(sender=phone).order_by("-received_at", "-pk")[: THREAD_LENGTH + 1]
    # recipient__iexact: through the outbox's index on the recipient (notifications/models.py).
    sent = (
        Message.objects.filter(channel=Channel.SMS, recipient__iexact=phone)
        .select_related("sent_by")
        .order_by("-created_at", "-pk")[: THREAD_LENGTH + 1]
    )
    entries = [Entry(at=text.received_at, inbound=text) for text in received]
    entries += [Entry(at=message.created_at, message=message) for message in sent]
    # At the same moment (an automatic answer to a text), the text first; then in the order they were written.
    entries.sort(key=lambda entry: (entry.at, not entry.incoming, (entry.inbound or entry.message).pk))
    return Thread(entries=entries[-THREAD_LENGTH:], earlier=len(entries) > THREAD_LENGTH)


def conversation_open(*, conversation: Conversation, visitor: Visitor) -> None:
    """Staff are shown the thread: nothing in it is unread any more, and the access log says who, when and from
    where. Marked read before the thread is read, so a text arriving meanwhile stays unread rather than unseen."""
    Conversation.objects.filter(pk=conversation.pk).update(unread=0)
    conversation.unread = 0
    ConversationAccess.objects.create(
        conversation=conversation, user=visitor.user, ip_address=visitor.ip, user_agent=visitor.user_agent
    )


def conversation_mark(*, conversation: Conversation, status: str) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(status=status)
    conversation.status = status


def conversation_assign(*, conversation: Conversation, user) -> None:
    """Give the conversation to a member of staff who may read texts, or to no one (`user` None)."""
    Conversation.objects.filter(pk=conversation.pk).update(assigned_to=user)
    conversation.assigned_to = user


# Replying ------------------------------------------------------------------------------------------------


class CannotReply(Exception):
    """The reply cannot go; the message says why, for staff."""


def reply_refusal(phone: str) -> str:
    """Why nothing may be texted to `phone` ("" when it may)."""
    if is_opted_out(phone):
        return "This number texted STOP: the clinic may not text it until it texts START. Call instead."
    if not sms_allowed(phone):
        return "The clinic does not text this number (not a mobile in a country it texts). Call instead."
    return ""


def reply_prefix(clinic: Clinic) -> str:
    """What a reply starts with, as templates/sms/staff_text.txt writes it: the clinic's name."""
    return f"{clinic.name}: "


def conversation_reply(*, conversation: Conversation, text: str, key: str, user) -> tuple[Message, bool]:
    """Text `text` to the conversation's number now (staff replies keep no quiet hours), through the outbox.

    `key` comes from the reply form, so the same form sent twice queues one text. Returns the message, and
    whether this call queued it (False: the very same reply was sent before)."""
    text = " ".join(text.split())
    if not text:
        raise CannotReply("Write the reply to send.")
    if not REPLY_KEY.match(key):
        raise CannotReply("This form is out of date: write the reply again.")
    # The form's key and the words: the same form sent twice is one text, but a new reply from a form shown
    # again (the browser's Back button) is a text of its own.
    dedupe_key = f"conversation:{conversation.pk}:reply:{key}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    earlier = Message.objects.filter(dedupe_key=dedupe_key).first()
    if earlier is not None:
        return earlier, False
    if refusal := reply_refusal(conversation.phone):
        raise CannotReply(refusal)
    clinic = Clinic.current()
    if clinic is None:
        raise CannotReply("The clinic's profile is not set up: add it in the admin first.")
    person = person_of(conversation.phone)
    booking = person.bookings[0] if person.bookings else None
    message = outbox_message(
        kind=Kind.STAFF_TEXT,
        channel=Channel.SMS,
        recipient=conversation.phone,
        dedupe_key=dedupe_key,
        context={"clinic": clinic, "text": text},
        booking=booking,
        waitlist_entry=None if booking else (person.entries[0] if person.entries else None),
        sent_by=user,
    )
    if (count := segments(message.body)) > REPLY_SEGMENTS:
        raise CannotReply(
            f"This reply would go as {count} text messages: keep it to {REPLY_SEGMENTS} "
            f"(about {REPLY_SEGMENTS * 153 - len(reply_prefix(clinic))} characters)."
        )
    with transaction.atomic():
        queued = messages_queue([message])[0]
        Conversation.objects.filter(pk=conversation.pk).update(last_activity_at=timezone.now())
    return queued, True
