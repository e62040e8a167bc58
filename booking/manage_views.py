"""The patient's private booking page (the manage link): see the visit, add it to a calendar, move or cancel it."""

from dataclasses import replace

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_safe

from .browser import remember_booked
from .calendar import booking_ics, calendar_links
from .forms import MoveForm
from .links import Purpose, manage_path, opens, private_path
from .manage import can_change, changes_close_at, patient_cancel, patient_reschedule
from .models import Booking, Slot
from .payments import RefundError, payment_summary
from .rules import intake_is_open, quote_move, slot_unavailable_reason
from .selectors import availability_for_day, booking_calendar
from .services import BookingError, PriceChanged

private = opens(
    Purpose.MANAGE, Booking.objects.select_related("slot__service__clinic", "slot__practitioner", "promotion")
)


def _local(booking: Booking):
    return timezone.localtime(booking.slot.starts_at, booking.slot.service.clinic.tz)


def _moving(booking: Booking, token: str, **extra) -> dict:
    """What the pages for choosing a new day and time show of the visit being moved."""
    return {
        "booking": booking,
        "token": token,
        "clinic": booking.slot.service.clinic,
        "service": booking.slot.service,
        "starts_at": _local(booking),
        "moving": True,
        **extra,
    }


def _context(booking: Booking, token: str, **extra) -> dict:
    """What the booking's own pages show: the visit, what can still change, the money and the questionnaire."""
    now = timezone.now()
    clinic = booking.slot.service.clinic
    return {
        "booking": booking,
        "token": token,
        "clinic": clinic,
        "starts_at": _local(booking),
        "can_change": can_change(booking, now),
        "cutoff_hours": settings.CANCELLATION_CUTOFF_HOURS,
        "changes_close_at": timezone.localtime(changes_close_at(booking), clinic.tz),
        **payment_summary(booking),
        "intake": getattr(booking, "intake", None),  # none until the patient starts it
        "intake_path": private_path(booking, Purpose.INTAKE) if intake_is_open(booking) else "",
        "calendar_links": calendar_links(booking),
        **extra,
    }


@private
@require_safe
def manage(request, booking: Booking, token: str):
    return render(request, "booking/manage.html", _context(booking, token))


@private
@require_safe
def manage_calendar(request, booking: Booking, token: str):
    response = HttpResponse(booking_ics(booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="visit-{_local(booking):%Y-%m-%d}.ics"'
    return response


def _refuse(request, booking: Booking, token: str, message: str, *, status: int = 409):
    return render(request, "booking/manage.html", _context(booking, token, message=message), status=status)


@private
@require_http_methods(["GET", "POST"])
def manage_cancel(request, booking: Booking, token: str):
    if not can_change(booking, timezone.now()):
        return redirect("booking:manage", token=token)
    if request.method == "POST":
        try:
            booking = patient_cancel(booking=booking)
        except (BookingError, RefundError) as exc:
            return _refuse(request, booking, token, str(exc))
        return redirect("booking:manage", token=token)
    return render(request, "booking/manage_cancel.html", _context(booking, token))


@private
@require_safe
def move_days(request, booking: Booking, token: str):
    if not can_change(booking, timezone.now()):
        return redirect("booking:manage", token=token)
    days = booking_calendar(service=booking.slot.service, now=timezone.now())
    return render(request, "booking/book_days.html", _moving(booking, token, calendar=days))


@private
@require_safe
def move_day(request, booking: Booking, token: str, day):
    if not can_change(booking, timezone.now()):
        return redirect("booking:manage", token=token)
    options = []
    for option in availability_for_day(service=booking.slot.service, day=day, now=timezone.now()):
        if option.slot.pk != booking.slot_id:
            quote = quote_move(booking=booking, slot=option.slot)  # a move keeps its discount or goes regular
            options.append(replace(option, price_cents=quote.price_cents, promotion=quote.promotion))
    return render(request, "booking/book_day.html", _moving(booking, token, day=day, options=options))


def _price_changed(quote) -> str:
    return gettext(
        "The price for this time has changed. This time is %(price)s. "
        "Your visit has not moved: confirm to move it at this price."
    ) % {"price": quote.price}


@private
@require_http_methods(["GET", "POST"])
def move_to(request, booking: Booking, token: str, slot_id: int):
    """Review the new time and its price (GET), then move (POST, with the price the patient saw)."""
    now = timezone.now()
    if not can_change(booking, now):
        return redirect("booking:manage", token=token)
    slot = get_object_or_404(Slot.objects.select_related("service__clinic", "practitioner"), pk=slot_id)
    if slot.pk == booking.slot_id:
        return redirect(manage_path(booking))  # a second click finds the move the first one made
    if slot.service_id != booking.slot.service_id:
        raise Http404("That time is not one this visit can move to.")
    quote = quote_move(booking=booking, slot=slot)
    message, status = "", 200
    if reason := slot_unavailable_reason(slot, now):
        return _refuse(request, booking, token, reason)
    if request.method == "POST":
        form = MoveForm(request.POST)
        if not form.is_valid():
            return _refuse(
                request, booking, token, gettext("That request was incomplete. Please try again."), status=400
            )
        try:
            move = patient_reschedule(
                booking=booking,
                slot_id=slot.pk,
                quoted_price_cents=form.cleaned_data["quoted_price_cents"],
            )
        except PriceChanged as exc:
            # The service's own wording ("Nothing is booked yet") is for a new booking; this visit stays booked.
            quote, message, status = exc.quote, exc.quote.notice or _price_changed(exc.quote), 409
        except (BookingError, RefundError) as exc:
            return _refuse(request, booking, token, str(exc))
        else:
            if move.checkout_url:
                # Stripe sends the patient back to the booking's reference page, which this browser may open.
                response = HttpResponseRedirect(move.checkout_url, status=303)
                remember_booked(request, response, booking)
                return response
            return redirect(manage_path(move.booking))  # a new link: the old one expires with the old time
    context = _context(
        booking,
        token,
        slot=slot,
        new_starts_at=timezone.localtime(slot.starts_at, slot.service.clinic.tz),
        quote=quote,
        form=MoveForm(initial={"quoted_price_cents": quote.price_cents}),
        message=message,
    )
    return render(request, "booking/manage_move.html", context, status=status)
