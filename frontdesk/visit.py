"""What a click on Today opens: a visit's panel (arrived, no-show, move, cancel, payment, a new link), a time's
page (block, unblock, book a caller into it), and the day's takings.

Every action is a plain form posted back to its page, so each works without scripts; each calls a booking
service, and a refusal becomes a message on the page with nothing changed.
"""

import csv
from datetime import datetime, timedelta
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking, DeskPayment, Slot, bookings_taken, format_cents
from booking.payments import (
    REFUND_PERMISSION,
    DeskPaymentError,
    desk_payment_record,
    due_cents,
    payment_summary,
    takings_for_day,
    with_paid_cents,
)
from booking.rules import quote_move
from booking.services import (
    BookingError,
    PriceChanged,
    booking_links_replace,
    booking_mark_attended,
    booking_mark_no_show,
    booking_reschedule,
    slot_block,
    slot_unblock,
)
from clinic.models import Clinic
from notifications.canned import canned_text
from notifications.notices import STAFF_TEXT_LENGTH, CannotText, text_from_staff

from .admin_actions import CancelForm, cancel_and_refund
from .booking_list import spreadsheet_cell
from .ready_made import ReadyMadeField, not_filled_in
from .today import clinic_tz, parse_day, today_url, visit_of

CHANGE_BOOKING = "booking.change_booking"
TAKE_PAYMENT = "booking.add_deskpayment"
MOVE_WEEKS = 8  # how far ahead the move form offers times


def _back(site, booking: Booking) -> str:
    return reverse(f"{site.name}:frontdesk_visit", args=[booking.pk])


def _local(moment: datetime, tz) -> str:
    local = timezone.localtime(moment, tz)
    return f"{local:%a %b} {local.day}, {local:%-I:%M %p}"


# The visit's panel -------------------------------------------------------------------------------------


class DeskPaymentForm(forms.Form):
    method = forms.ChoiceField(label="How the patient paid", choices=DeskPayment.Method.choices)
    amount = forms.DecimalField(
        label="Amount ($)",
        min_value=Decimal("0.01"),
        max_digits=8,
        decimal_places=2,
        error_messages={"required": "Enter the amount the patient paid.", "invalid": "Enter an amount like 99.00."},
    )

    def amount_cents(self) -> int:
        return int(self.cleaned_data["amount"] * 100)


class TextForm(forms.Form):
    """A text to the patient, typed or started from a ready-made one in the patient's language."""

    canned = ReadyMadeField(label="Ready-made text", noun="ready-made texts")
    text = forms.CharField(
        label="Text to send",
        max_length=STAFF_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent now from the clinic’s number. Only practical things: never about the patient’s health.",
        error_messages={"required": "Write the text to send."},
    )

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, **kwargs)
        self.booking = booking

    def filled_in(self) -> "TextForm | None":
        """The form again with the chosen ready-made text in the box; None when none was chosen."""
        key = self.data.get("canned", "")
        text = canned_text(key, clinic=self.booking.slot.service.clinic, language=self.booking.language)
        if text is None:
            return None
        return TextForm(booking=self.booking, initial={"canned": key, "text": text})


class MoveTimeField(forms.ModelChoiceField):
    def __init__(self, *, booking: Booking, **kwargs):
        self.booking = booking
        super().__init__(**kwargs)

    def label_from_instance(self, slot):
        tz = slot.service.clinic.tz
        who = f" · {slot.practitioner}" if slot.practitioner else ""
        return f"{_local(slot.starts_at, tz)}{who} · {quote_move(booking=self.booking, slot=slot).price}"


class MoveForm(forms.Form):
    """The open times of the same service from now on (the desk keeps no notice or horizon), with the price each
    would be at. `from_slot` is the time the visit was at when the form was drawn."""

    from_slot = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, booking: Booking, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        times = (
            Slot.objects.filter(
                service_id=booking.slot.service_id,
                is_blocked=False,
                starts_at__gt=now,
                starts_at__lt=now + timedelta(weeks=MOVE_WEEKS),
            )
            .exclude(pk=booking.slot_id)
            .annotate(taken=bookings_taken(now))
            .filter(taken__lt=F("capacity"))
            .select_related("service__clinic", "practitioner")
            .order_by("starts_at", "pk")
        )
        self.fields["slot"] = MoveTimeField(
            booking=booking,
            queryset=times,
            label="New time",
            empty_label="Choose a time",
            error_messages={"required": "Choose the new time.", "invalid_choice": "That time is no longer open."},
        )


def _visit_context(site, request, booking: Booking, **forms_) -> dict:
    tz = booking.slot.service.clinic.tz
    now = timezone.now()
    user = request.user
    may_change = user.has_perm(CHANGE_BOOKING)
    may_refund = user.has_perm(REFUND_PERMISSION)
    return {
        **site.each_context(request),
        "title": f"{booking.patient_name} · {_local(booking.slot.starts_at, tz)}",
        "booking": booking,
        "clinic_tz": tz,
        "started": booking.slot.starts_at <= now,
        "due": format_cents(due_cents(booking)),
        "money": payment_summary(booking),
        "desk_payments": booking.desk_payments.select_related("taken_by"),
        "intake": getattr(booking, "intake", None),
        "may_change": may_change,
        "may_take_payment": user.has_perm(TAKE_PAYMENT),
        "is_on": booking.status in (Booking.Status.HELD, Booking.Status.CONFIRMED),
        "takes_payment": booking.status not in (Booking.Status.CANCELLED, Booking.Status.EXPIRED),
        "payment_form": forms_.get("payment_form") or DeskPaymentForm(initial={"amount": due_cents(booking) / 100}),
        "move_form": forms_.get("move_form")
        or MoveForm(booking=booking, now=now, initial={"from_slot": booking.slot_id}),
        "cancel_form": forms_.get("cancel_form") or CancelForm(may_refund=may_refund),
        "text_form": forms_.get("text_form") or TextForm(booking=booking),
        "today_url": today_url(site.name, timezone.localtime(booking.slot.starts_at, tz).date(), "day"),
        "change_url": reverse(f"{site.name}:booking_booking_change", args=[booking.pk]),
    }


QUICK = ("arrived", "no_show", "payment", "new_link", "text")  # answered in Today's panel, the calendar's box redrawn


def _page(site, request, booking: Booking, *, status: int = 200, **forms_) -> TemplateResponse:
    """The visit's own page; or, asked by Today's panel (htmx), the panel alone."""
    context = _visit_context(site, request, booking, **forms_)
    if request.htmx:
        return TemplateResponse(request, "admin/frontdesk/_visit_panel.html", {**context, "panel": True}, status=status)
    return TemplateResponse(request, "admin/frontdesk/visit.html", context, status=status)


def _done(site, request, booking: Booking, action: str):
    """After an action: back to the visit's page; in Today's panel, the panel and the visit's box on the calendar
    redrawn (a move or a cancellation changes the calendar itself: Today is loaded again)."""
    if not request.htmx:
        return redirect(_back(site, booking))
    if action not in QUICK:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    booking = get_object_or_404(_bookings(), pk=booking.pk)
    context = {
        **_visit_context(site, request, booking),
        "panel": True,
        "v": visit_of(booking, site.name),
        "span": "day",
        "oob": True,
    }
    return TemplateResponse(request, "admin/frontdesk/_visit_quick.html", context)


def _bookings():
    return with_paid_cents(
        Booking.objects.select_related(
            "slot__service__clinic", "slot__practitioner", "promotion", "intake__red_flag_review__reviewed_by"
        )
    )


def visit(site, request, pk: int):
    """A visit's panel: who, when, what is paid and due, and what the front desk can do about it."""
    if not request.user.has_perm("booking.view_booking"):
        raise PermissionDenied
    booking = get_object_or_404(_bookings(), pk=pk)
    if request.method != "POST":
        return _page(site, request, booking)
    action = request.POST.get("action", "")
    handler = ACTIONS.get(action)
    if handler is None:
        messages.error(request, "That is not something this page can do.")
        return _page(site, request, booking, status=400) if request.htmx else redirect(_back(site, booking))
    permission = TAKE_PAYMENT if action == "payment" else CHANGE_BOOKING
    if not request.user.has_perm(permission):
        raise PermissionDenied
    return handler(site, request, booking)


def _plain(service, done: str):
    """An action with nothing to fill in: the booking service, and what the page says once it is done."""

    def act(site, request, booking):
        try:
            service(booking=booking, user=request.user)
        except BookingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done.format(name=booking.patient_name))
        return _done(site, request, booking, request.POST["action"])

    return act


def _payment(site, request, booking):
    form = DeskPaymentForm(request.POST)
    if form.is_valid():
        try:
            payment = desk_payment_record(
                booking=booking, method=form.cleaned_data["method"], amount_cents=form.amount_cents(), user=request.user
            )
        except DeskPaymentError as exc:
            form.add_error("amount", str(exc))
        else:
            messages.success(request, f"Recorded {payment.amount} by {payment.get_method_display().lower()}.")
            return _done(site, request, booking, "payment")
    return _page(site, request, booking, status=400, payment_form=form)


def _move(site, request, booking):
    form = MoveForm(request.POST, booking=booking, now=timezone.now())
    if form.is_valid():
        slot = form.cleaned_data["slot"]
        quote = quote_move(booking=booking, slot=slot)
        try:
            moved = booking_reschedule(
                booking=booking,
                slot_id=slot.pk,
                quoted_price_cents=quote.price_cents,
                user=request.user,
                online=False,
                from_slot_id=form.cleaned_data["from_slot"],
            )
        except PriceChanged as exc:
            form.add_error("slot", f"The price of that time is now {exc.quote.price}. Choose it again to confirm.")
        except BookingError as exc:
            form.add_error("slot", str(exc))
        else:
            tz = moved.slot.service.clinic.tz
            messages.success(
                request, f"Moved to {_local(moved.slot.starts_at, tz)} at {moved.price}; the patient is told."
            )
            return _done(site, request, booking, "move")
    return _page(site, request, booking, status=400, move_form=form)


def _cancel(site, request, booking):
    form = CancelForm(request.POST, may_refund=request.user.has_perm(REFUND_PERMISSION))
    if not form.is_valid():
        return _page(site, request, booking, status=400, cancel_form=form)
    data = form.cleaned_data
    done = cancel_and_refund(
        booking, reason=data["reason"], refund=data.get("refund", False), user=request.user, notify=not data["silent"]
    )
    for level, text in done:
        messages.add_message(request, level, text)
    return _done(site, request, booking, "cancel")


def _text_fill(site, request, booking):
    form = TextForm(request.POST, booking=booking)
    filled = form.filled_in()
    if filled is None:
        return _page(site, request, booking, status=400, text_form=not_filled_in(form))
    return _page(site, request, booking, text_form=filled)


def _text(site, request, booking):
    form = TextForm(request.POST, booking=booking)
    if form.is_valid():
        try:
            text_from_staff(booking, text=form.cleaned_data["text"], user=request.user)
        except CannotText as exc:
            form.add_error("text", str(exc))
        else:
            messages.success(request, "The text is on its way.")
            return _done(site, request, booking, "text")
    return _page(site, request, booking, status=400, text_form=form)


ACTIONS = {
    "arrived": _plain(booking_mark_attended, "{name} has arrived."),
    "no_show": _plain(booking_mark_no_show, "{name} is marked as a no-show."),
    "new_link": _plain(
        booking_links_replace, "A new private link is on its way to the patient; the earlier ones no longer work."
    ),
    "payment": _payment,
    "move": _move,
    "cancel": _cancel,
    "text": _text,
    "text_fill": _text_fill,
}


# A time ------------------------------------------------------------------------------------------------


class BlockForm(forms.Form):
    reason = forms.CharField(
        label="Why (for the staff: a meeting, a training)",
        max_length=200,
        error_messages={"required": "Say why the time is blocked."},
    )


def time_page(site, request, pk: int):
    """A time on Today: who is booked in it, and block it, open it again, or book a caller into it."""
    if not request.user.has_perm("booking.view_slot"):
        raise PermissionDenied
    slot = get_object_or_404(Slot.objects.select_related("service__clinic", "practitioner"), pk=pk)
    tz = slot.service.clinic.tz
    form = BlockForm()
    if request.method == "POST":
        if not request.user.has_perm("booking.change_slot"):
            raise PermissionDenied
        if request.POST.get("action") == "unblock":
            slot_unblock(slot=slot)
            messages.success(request, "The time is open again.")
            return redirect(request.path)
        form = BlockForm(request.POST)
        if form.is_valid():
            try:
                slot_block(slot=slot, reason=form.cleaned_data["reason"])
            except BookingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "The time is blocked: patients cannot book it.")
                return redirect(request.path)
    now = timezone.now()
    bookings = list(slot.bookings.active(now).order_by("created_at"))
    booked = len(bookings)
    if not request.user.has_perm("booking.view_booking"):
        bookings = []  # the count only: whoever may see times but not patients
    visits = [(b, reverse(f"{site.name}:frontdesk_visit", args=[b.pk])) for b in bookings]
    context = {
        **site.each_context(request),
        "title": f"{_local(slot.starts_at, tz)}{f' · {slot.practitioner}' if slot.practitioner else ''}",
        "slot": slot,
        "clinic_tz": tz,
        "visits": visits,
        "booked": booked,
        "form": form,
        "may_block": request.user.has_perm("booking.change_slot"),
        "may_book": request.user.has_perm(CHANGE_BOOKING)
        and not slot.is_blocked
        and booked < slot.capacity
        and slot.starts_at > now,
        "book_url": f"{reverse(f'{site.name}:booking_booking_phone')}?slot={slot.pk}",
        "today_url": today_url(site.name, timezone.localtime(slot.starts_at, tz).date(), "day"),
    }
    status = 400 if form.errors else 200
    return TemplateResponse(request, "admin/frontdesk/time.html", context, status=status)


# The day's takings ---------------------------------------------------------------------------------------

CSV_COLUMNS = ["taken at", "reference", "patient", "visit", "method", "amount", "taken by"]


def takings(site, request):
    """What was paid on a day, at the desk by method and online; `?format=csv` for the spreadsheet."""
    if not request.user.has_perm("booking.view_payment"):
        raise PermissionDenied
    tz = clinic_tz(Clinic.current())
    this_day = timezone.localdate(timezone=tz)
    raw = request.GET.get("day", "").strip()
    day = parse_day(raw) if raw else this_day
    if day is None:
        messages.error(request, f"“{raw[:40]}” is not a day we can show (use YYYY-MM-DD). Showing today.")
        day = this_day
    report = takings_for_day(day, tz)
    if request.GET.get("format") == "csv":
        return _takings_csv(report, tz)
    context = {
        **site.each_context(request),
        "title": f"Takings for {day:%A, %B} {day.day}, {day.year}",
        "report": report,
        "clinic_tz": tz,
        "day": day,
        "csv_url": f"{request.path}?day={day.isoformat()}&format=csv",
        "previous_url": f"{request.path}?day={(day - timedelta(days=1)).isoformat()}",
        "next_url": f"{request.path}?day={(day + timedelta(days=1)).isoformat()}",
    }
    return TemplateResponse(request, "admin/frontdesk/takings.html", context)


def _takings_csv(report, tz) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="takings-{report.day.isoformat()}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)

    def row(at, booking, how: str, amount_cents: int, by: str) -> list[str]:
        when, visit = timezone.localtime(at, tz), timezone.localtime(booking.slot.starts_at, tz)
        name = spreadsheet_cell(booking.patient_name)
        return [
            f"{when:%Y-%m-%d %H:%M}",
            booking.reference,
            name,
            f"{visit:%Y-%m-%d %H:%M}",
            how,
            f"{amount_cents / 100:.2f}",
            by,
        ]

    for p in report.desk:
        taken_by = p.taken_by.get_username() if p.taken_by else ""
        writer.writerow(row(p.taken_at, p.booking, p.get_method_display(), p.amount_cents, taken_by))
    for p in report.online:
        writer.writerow(row(p.paid_at, p.booking, "Online (Stripe)", p.amount_cents, ""))
    writer.writerow(["total", "", "", "", "", f"{report.total_cents / 100:.2f}", ""])
    return response
