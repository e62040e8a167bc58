"""The text inbox: the conversations with patients' mobiles, newest first, and a conversation's page (its thread,
who has the number, a reply, done or open, and who handles it).

Only staff who may read texts open either (notifications.read_texts), and every showing of a thread is written to
the access log. Every action is a plain form posted back to the conversation's page, so each works without
scripts; the reply's character and segment counter (static/js/sms-counter.js) is the only script.
"""

import json
import uuid
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from clinic.client import Visitor
from clinic.models import Clinic
from clinic.time_zones import time_zone_label
from notifications import gsm
from notifications.canned import canned_text
from notifications.conversations import (
    REPLY_KEY,
    REPLY_SEGMENTS,
    SHOWS,
    CannotReply,
    Person,
    conversation_assign,
    conversation_mark,
    conversation_open,
    conversation_reply,
    conversations_listed,
    latest_known,
    may_read_texts,
    names_by_phone,
    person_of,
    reply_prefix,
    reply_refusal,
    staff_name,
    staff_who_read_texts,
    thread_of,
    unread_total,
)
from notifications.models import Conversation

from .ready_made import ReadyMadeField, not_filled_in
from .today import clinic_tz

PER_PAGE = 50
OUT_OF_DATE = "This form is out of date: write the reply again."
REPLY_LENGTH = 1600  # far past three segments: the segment count is the limit that matters


def _allowed(request) -> None:
    if not may_read_texts(request.user):
        raise PermissionDenied


def _url(site, conversation: Conversation) -> str:
    return reverse(f"{site.name}:frontdesk_conversation", args=[conversation.pk])


# The inbox ----------------------------------------------------------------------------------------------


@dataclass
class Row:
    conversation: Conversation
    name: str
    url: str


def inbox(site, request):
    """The conversations, the latest activity first: open ones, the user's own, done ones, or all."""
    _allowed(request)
    show = request.GET.get("show") or "open"
    if show not in SHOWS:
        messages.error(
            request, f"“{show[:20]}” is not a list we know (open, mine, done or all). Showing the open ones."
        )
        show = "open"
    page = Paginator(conversations_listed(show=show, user=request.user), PER_PAGE).get_page(request.GET.get("page"))
    names = names_by_phone([conversation.phone for conversation in page])
    tz = clinic_tz(Clinic.current())
    context = {
        **site.each_context(request),
        "title": "Texts",
        "rows": [Row(c, names.get(c.phone, ""), _url(site, c)) for c in page],
        "page": page,
        "show": show,
        "shows": [(key, label, f"?show={key}") for key, label in SHOWS.items()],
        "clinic_tz": tz,
        "clinic_tz_label": time_zone_label(str(tz)),
    }
    return TemplateResponse(request, "admin/frontdesk/inbox.html", context)


# A conversation: its forms -------------------------------------------------------------------------------


# What the reply box tells static/js/sms-counter.js, made once.
COUNTER_ATTRS = {
    "aria-describedby": "id_text_helptext id_text_count",
    "data-gsm-basic": "".join(sorted(gsm.BASIC)),
    "data-gsm-extended": "".join(sorted(gsm.EXTENDED)),
    "data-gsm-replacements": json.dumps(gsm.REPLACEMENTS),
    "data-max-segments": str(REPLY_SEGMENTS),
}


class ReplyForm(forms.Form):
    """A reply, typed or started from a ready-made one in the patient's language. `key` makes the form's text go
    once however often it is sent."""

    canned = ReadyMadeField(label="Ready-made reply", noun="ready-made replies")
    text = forms.CharField(
        label="Reply",
        max_length=REPLY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "class": "sms-text"}),
        help_text=(
            f"Sent now from the clinic’s number, after the clinic’s name, in up to {REPLY_SEGMENTS} text messages. "
            "Letters GSM-7 lacks lose their accents (á, í, ó, ú); emoji become “?”."
        ),
        error_messages={"required": "Write the reply to send."},
    )
    key = forms.RegexField(
        regex=REPLY_KEY,
        widget=forms.HiddenInput,
        error_messages={"required": OUT_OF_DATE, "invalid": OUT_OF_DATE},
    )

    def __init__(self, *args, clinic: Clinic | None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        prefix = reply_prefix(clinic) if clinic else ""
        # The counter (static/js/sms-counter.js) counts as the outbox sends: gsm.py's alphabet, from the server.
        self.fields["text"].widget.attrs.update({**COUNTER_ATTRS, "data-prefix": prefix})
        self.prefix_text = prefix

    def count(self) -> str:
        """The box's text as the counter tells it, before any script runs."""
        return segment_count(self.prefix_text, self["text"].value() or "")


def segment_count(prefix: str, text: str) -> str:
    """ "42 characters · 1 text message", as static/js/sms-counter.js tells it while the reply is typed."""
    text = " ".join(text.split())
    count = gsm.segments(gsm.to_gsm7(prefix + text))
    told = f"{len(text)} character{'s' if len(text) != 1 else ''} · {count} text message{'s' if count != 1 else ''}"
    if count > REPLY_SEGMENTS:
        told += f": too long, {REPLY_SEGMENTS} at most"
    if lost := [c for c in dict.fromkeys(text) if c != "?" and gsm.to_gsm7(c) == "?"]:
        told += f" · sent as “?”: {' '.join(lost)}"
    return told


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        label="Handled by",
        queryset=Conversation.objects.none(),  # the staff who may read texts, as they are when the form is made
        required=False,
        empty_label="No one",
        error_messages={"invalid_choice": "Choose a member of staff who can read texts, or no one."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = staff_who_read_texts()
        self.fields["assigned_to"].label_from_instance = staff_name


# A conversation: its page and actions --------------------------------------------------------------------


def _person_links(site, request, person: Person) -> dict:
    user = request.user
    bookings = []
    if user.has_perm("booking.view_booking"):
        for booking in person.bookings:
            bookings.append(
                {
                    "booking": booking,
                    "visit_url": reverse(f"{site.name}:frontdesk_visit", args=[booking.pk]),
                    "change_url": reverse(f"{site.name}:booking_booking_change", args=[booking.pk]),
                }
            )
    entries = []
    if user.has_perm("waitlist.view_waitlistentry"):
        for entry in person.entries:
            entries.append(
                {"entry": entry, "url": reverse(f"{site.name}:waitlist_waitlistentry_change", args=[entry.pk])}
            )
    return {"bookings": bookings, "entries": entries}


def _page(site, request, conversation: Conversation, *, status: int = 200, **forms_) -> TemplateResponse:
    """The conversation's page. Showing it marks the thread read and writes the access log."""
    conversation_open(conversation=conversation, visitor=Visitor.of(request))
    clinic = Clinic.current()
    person = person_of(conversation.phone)
    refusal = reply_refusal(conversation.phone)
    context = {
        **site.each_context(request),
        "title": f"Texts with {person.name or conversation.phone}",
        "conversation": conversation,
        "person": person,
        **_person_links(site, request, person),
        "thread": thread_of(conversation.phone),
        "clinic_tz": clinic_tz(clinic),
        "refusal": refusal,
        "reply_form": forms_.get("reply_form") or ReplyForm(clinic=clinic),
        "assign_form": forms_.get("assign_form") or AssignForm(initial={"assigned_to": conversation.assigned_to_id}),
        "inbox_url": reverse(f"{site.name}:frontdesk_inbox"),
    }
    return TemplateResponse(request, "admin/frontdesk/conversation.html", context, status=status)


def conversation(site, request, pk: int):
    _allowed(request)
    found = get_object_or_404(Conversation.objects.select_related("assigned_to"), pk=pk)
    if request.method != "POST":
        return _page(site, request, found)
    handler = ACTIONS.get(request.POST.get("action", ""))
    if handler is None:
        messages.error(request, "That is not something this page can do.")
        return _page(site, request, found, status=400)
    return handler(site, request, found)


def _fill(site, request, conversation: Conversation):
    """The form again with the chosen ready-made reply in the box, in the patient's language: nothing is sent."""
    clinic = Clinic.current()
    key = request.POST.get("canned", "")
    known = latest_known(conversation.phone)
    text = canned_text(key, clinic=clinic, language=known.language if known else "en") if clinic else None
    if text is None:
        return _page(
            site, request, conversation, status=400, reply_form=not_filled_in(ReplyForm(request.POST, clinic=clinic))
        )
    return _page(
        site, request, conversation, reply_form=ReplyForm(clinic=clinic, initial={"canned": key, "text": text})
    )


def _reply(site, request, conversation: Conversation):
    form = ReplyForm(request.POST, clinic=Clinic.current())
    if form.is_valid():
        try:
            _, queued = conversation_reply(
                conversation=conversation,
                text=form.cleaned_data["text"],
                key=form.cleaned_data["key"],
                user=request.user,
            )
        except CannotReply as exc:
            form.add_error("text", str(exc))
        else:
            messages.success(request, "The reply is on its way." if queued else "That reply was sent already.")
            return redirect(_url(site, conversation))
    return _page(site, request, conversation, status=400, reply_form=form)


def _mark(status: str, done: str):
    def act(site, request, conversation: Conversation):
        conversation_mark(conversation=conversation, status=status)
        messages.success(request, done)
        return redirect(
            reverse(f"{site.name}:frontdesk_inbox") if status == Conversation.Status.DONE else _url(site, conversation)
        )

    return act


def _assign(site, request, conversation: Conversation):
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _page(site, request, conversation, status=400, assign_form=form)
    user = form.cleaned_data["assigned_to"]
    conversation_assign(conversation=conversation, user=user)
    messages.success(request, f"Handled by {staff_name(user)}." if user else "Handled by no one in particular.")
    return redirect(_url(site, conversation))


ACTIONS = {
    "fill": _fill,
    "reply": _reply,
    "done": _mark(Conversation.Status.DONE, "Marked done. A new text from the number opens it again."),
    "reopen": _mark(Conversation.Status.OPEN, "Open again."),
    "assign": _assign,
}


def texts_unread(request) -> int | None:
    """The unread texts' count for the header and Today; None for staff who may not read texts."""
    user = getattr(request, "user", None)
    if user is None or not user.is_active or not may_read_texts(user):
        return None
    return unread_total()
