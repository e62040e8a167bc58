"""The front desk's daily verbs on bookings, as admin actions. Each calls a service; refusals become messages."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from booking.models import Booking, Payment
from booking.payments import REFUND_PERMISSION, RefundError, checkout_close, refund_request
from booking.services import (
    BookingError,
    booking_cancel,
    booking_confirm,
    booking_links_replace,
    booking_mark_attended,
    booking_mark_no_show,
)
from notifications.models import Message
from notifications.notices import notify_booking_confirmed
from notifications.outbox import message_resend


def _each(modeladmin, request, queryset, service, done: str) -> None:
    changed = 0
    for booking in queryset:
        try:
            service(booking=booking, user=request.user)
            changed += 1
        except BookingError as exc:
            modeladmin.message_user(request, f"{booking}: {exc}", messages.ERROR)
    if changed:
        modeladmin.message_user(request, f"{changed} booking{'s' if changed != 1 else ''} {done}.", messages.SUCCESS)


@admin.action(description="Confirm the selected holds (payment due at the visit)", permissions=["change"])
def confirm_holds(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, booking_confirm, "confirmed")


@admin.action(description="Mark attended", permissions=["change"])
def mark_attended(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, booking_mark_attended, "marked attended")


@admin.action(description="Mark no-show", permissions=["change"])
def mark_no_show(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, booking_mark_no_show, "marked no-show")


@admin.action(description="Send the confirmation again", permissions=["change"])
def resend_confirmation(modeladmin, request, queryset):
    for booking in queryset:
        if booking.status != Booking.Status.CONFIRMED:
            modeladmin.message_user(request, f"{booking}: only a confirmed booking has a confirmation.", messages.ERROR)
            continue
        sent = Message.objects.filter(booking=booking, kind=Message.Kind.CONFIRMATION).order_by("channel", "-pk")
        latest = {message.channel: message for message in reversed(list(sent))}
        if latest:
            for message in latest.values():
                message_resend(message=message)
        else:
            notify_booking_confirmed(booking)
        modeladmin.message_user(request, f"{booking}: confirmation queued again.", messages.SUCCESS)


@admin.action(description="Send a new private link (earlier links stop working)", permissions=["change"])
def send_new_link(modeladmin, request, queryset):
    """For a link that went astray: every link sent before ends, and the patient gets the new one at once."""
    for booking in queryset:
        try:
            booking_links_replace(booking=booking, user=request.user)
        except BookingError as exc:
            modeladmin.message_user(request, f"{booking}: {exc}", messages.ERROR)
            continue
        modeladmin.message_user(request, f"{booking}: new link sent; earlier links no longer work.", messages.SUCCESS)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (kept with the booking, not sent to the patient)", max_length=200, widget=forms.TextInput
    )
    refund = forms.BooleanField(label="Refund what the patient paid online, in full", required=False, initial=True)
    silent = forms.BooleanField(
        label="Do not send the cancellation notice (the patient already knows, from the phone call)", required=False
    )

    def __init__(self, *args, may_refund: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_refund:
            del self.fields["refund"]  # refunds are a manager's: they can refund from Payments afterwards


def cancel_and_refund(
    booking: Booking, *, reason: str, refund: bool, user, notify: bool = True
) -> list[tuple[int, str]]:
    """Cancel a booking (the patient is told, unless not `notify`) and, when asked, refund what was paid online:
    what happened, as messages for the page."""
    if booking.status == Booking.Status.CANCELLED:
        return [(messages.WARNING, "was already cancelled.")]
    try:
        booking_cancel(booking=booking, reason=reason, user=user, notify=notify)
        checkout_close(booking=booking)  # nothing is left to pay on a cancelled visit
    except BookingError as exc:
        return [(messages.ERROR, str(exc))]
    done = [(messages.SUCCESS, "cancelled; the patient is told." if notify else "cancelled; no notice sent.")]
    if not refund:
        return done
    for payment in booking.payments.filter(status=Payment.Status.PAID):
        try:
            refunded = refund_request(payment=payment, reason=f"Cancelled: {reason}"[:200])
            done.append((messages.SUCCESS, f"refund of {refunded.amount} requested."))
        except RefundError as exc:
            done.append((messages.WARNING, str(exc)))
    return done


@admin.action(description="Cancel the selected bookings…", permissions=["change"])
def cancel_bookings(modeladmin, request, queryset):
    """Asks for a reason (and whether to refund) on a page of its own, then cancels and tells each patient."""
    form = CancelForm(
        request.POST if "apply" in request.POST else None, may_refund=request.user.has_perm(REFUND_PERMISSION)
    )
    if not form.is_valid():
        paid = Payment.objects.filter(booking__in=queryset, status=Payment.Status.PAID).count()
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": "Cancel bookings",
            "bookings": queryset,
            "form": form,
            "paid": paid,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        }
        return TemplateResponse(request, "admin/booking/cancel_bookings.html", context)
    reason, refund = form.cleaned_data["reason"], form.cleaned_data.get("refund", False)
    for booking in queryset:
        notify = not form.cleaned_data["silent"]
        for level, text in cancel_and_refund(booking, reason=reason, refund=refund, user=request.user, notify=notify):
            modeladmin.message_user(request, f"{booking}: {text}", level)
    return None
