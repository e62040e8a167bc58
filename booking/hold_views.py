"""Booking a time online: choose it (it is held at once), type your details, review, confirm.

Each step after the choice is a page of its own, found by the hold's reference and opened only by the
browser that chose the time (booking/browser.py), so Back and reload always show where the booking stands:
after Confirm, the review page's address shows the booking.
"""

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.client import address_key
from clinic.contact import email_suggestion
from clinic.limits import per_person_of, public_post
from clinic.origin import same_site_post

from .browser import booked_here, remember_booked, texted_mobile
from .forms import ConfirmForm, PatientDetailsForm
from .holds import HoldLapsed, browser_choice, hold_details_save, hold_quote, hold_request, hold_take
from .links import manage_path
from .models import Booking, Slot
from .payments import PaymentUnavailable, checkout_hold, checkout_start
from .rules import Patient
from .services import BookingError, HoldPending, PriceChanged, booking_release_hold
from .stripe_gateway import payments_online
from .verification import awaits_mobile_code, mobile_code_send


def slot_local(slot: Slot):
    return timezone.localtime(slot.starts_at, slot.service.clinic.tz)


def unavailable_page(
    request,
    slot: Slot,
    message: str,
    *,
    status: int = 409,
    held: Booking | None = None,
    template: str = "booking/unavailable.html",
):
    """Why the time cannot be booked; `held`: this browser's own hold elsewhere, to go back to."""
    context = {"message": message, "day": slot_local(slot).date(), "clinic": slot.service.clinic, "held": held}
    return render(request, template, context, status=status)


def status_page(request, booking: Booking, *, status: int = 200):
    """What a reference alone shows: how the booking stands; no patient details, no payment page, no changes."""
    return render(request, "booking/booking_status.html", {"booking": booking}, status=status)


def _see_other(view: str, **kwargs) -> HttpResponseRedirect:
    """After a post, the next step's page by GET: reload and Back never post again."""
    return HttpResponseRedirect(reverse(view, kwargs=kwargs), status=303)


def _slot_or_404(slot_id: int) -> Slot:
    return get_object_or_404(Slot.objects.select_related("service__clinic", "practitioner"), pk=slot_id)


def _hold_context(booking: Booking, **extra) -> dict:
    now = timezone.now()
    clinic = booking.slot.service.clinic
    live = booking.is_active(now)
    return {
        "booking": booking,
        "slot": booking.slot,
        "clinic": clinic,
        "starts_at": slot_local(booking.slot),
        "held_until": timezone.localtime(booking.hold_expires_at, clinic.tz) if live else None,
        "seconds_left": int((booking.hold_expires_at - now).total_seconds()) if live else 0,
        "pay_online": payments_online(),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@same_site_post
@public_post("booking-hold", per_address="30/h")
def choose_time(request, slot_id: int):
    """A time chosen on a day's page is held for this browser at once (GET: back to that day's times)."""
    slot = _slot_or_404(slot_id)
    if request.method == "GET":
        return redirect("booking:book_day", day=slot_local(slot).date())
    try:
        hold = hold_take(
            slot_id=slot.pk, browser=booked_here(request), address=address_key(request), language=get_language()
        )
    except HoldPending as exc:
        return unavailable_page(request, slot, str(exc), held=exc.held)  # this browser's own
    except BookingError as exc:
        return unavailable_page(request, slot, str(exc))
    response = _see_other("booking:hold_details", reference=hold.reference)
    remember_booked(request, response, hold)
    return response


def _mine(request, reference: str) -> tuple[Booking | None, HttpResponse | None]:
    """The booking this browser chose the time of; otherwise what a reference alone shows (403)."""
    booking = get_object_or_404(
        Booking.objects.select_related("slot__service__clinic", "slot__practitioner", "promotion"), reference=reference
    )
    if booking.reference not in booked_here(request):
        return None, status_page(request, booking, status=403)
    return booking, None


def _choosing(request, reference: str) -> tuple[Booking | None, HttpResponse | None]:
    """This browser's hold while the patient chooses; otherwise the page to show instead."""
    booking, elsewhere = _mine(request, reference)
    return (None, elsewhere) if elsewhere else _still_choosing(request, booking)


def _still_choosing(request, booking: Booking) -> tuple[Booking | None, HttpResponse | None]:
    """A time already asked for opens the booking's own page (You're booked, the code, or the payment); a hold
    given back because this browser chose another time says which time it holds now."""
    if not booking.choosing:
        return None, redirect("booking:booking_detail", reference=booking.reference)
    now = timezone.now()
    if not booking.is_active(now) and (other := browser_choice(booked_here(request), now=now)):
        context = _hold_context(booking, other=other, other_starts_at=slot_local(other.slot))
        return None, render(request, "booking/hold_elsewhere.html", context, status=409)
    return booking, None


def _details_page(request, booking: Booking, form: PatientDetailsForm, *, email_hint: str = "", status=None):
    context = _hold_context(booking, form=form, quote=hold_quote(booking), email_hint=email_hint)
    return render(request, "booking/details.html", context, status=status or (400 if form.errors else 200))


def _lapsed_page(request, booking: Booking, message: str):
    return render(request, "booking/hold_lapsed.html", _hold_context(booking, message=message), status=409)


@require_http_methods(["GET", "POST"])
@never_cache
@public_post("booking-details", per_address="20/h", per_person="10/h")
def hold_details(request, reference: str):
    booking, elsewhere = _choosing(request, reference)
    if elsewhere:
        return elsewhere
    if request.method == "GET":
        typed = {"name": booking.patient_name, "email": booking.email, "phone": booking.phone}
        initial = {**typed, "sms_consent": booking.sms_consent} if booking.patient_name else None
        if initial is None and (mobile := texted_mobile(request)):
            initial = {"phone": mobile}  # the mobile whose texted booking link this browser opened
        return _details_page(request, booking, PatientDetailsForm(initial=initial))
    form = PatientDetailsForm(request.POST)
    if not form.is_valid():
        return _details_page(request, booking, form)
    typed = form.cleaned_data["email"]
    # A likely typo ("gmial.com", ".con") is pointed out once; sent again unchanged, it is kept as typed.
    if (hint := email_suggestion(typed)) and request.POST.get("email_checked") != typed:
        return _details_page(request, booking, form, email_hint=hint)
    try:
        hold_details_save(booking=booking, patient=form.patient())
    except HoldLapsed as exc:
        return _lapsed_page(request, booking, str(exc))
    except BookingError as exc:
        return unavailable_page(request, booking.slot, str(exc))
    return _see_other("booking:hold_review", reference=booking.reference)


def _review_page(request, booking: Booking, *, message: str = "", status: int = 200):
    quote = hold_quote(booking, patient=Patient.of(booking))
    form = ConfirmForm(initial={"quoted_price_cents": quote.price_cents})
    context = _hold_context(booking, form=form, quote=quote, message=message)
    return render(request, "booking/review.html", context, status=status)


@require_safe
@never_cache
def hold_review(request, reference: str):
    booking, elsewhere = _choosing(request, reference)
    if elsewhere:
        return elsewhere
    if not booking.patient_name:
        return redirect("booking:hold_details", reference=booking.reference)
    return _review_page(request, booking)


def _next_step(request, booking: Booking, *, send_code: bool) -> HttpResponse:
    """Where a booking asked for goes on: the code texted to the mobile, the payment, or You're booked."""
    if awaits_mobile_code(booking):
        if send_code:
            mobile_code_send(booking=booking)
        return redirect("booking:verify_mobile", reference=booking.reference)
    if booking.status == Booking.Status.HELD:
        try:
            return HttpResponseRedirect(checkout_start(booking=booking), status=303)
        except PaymentUnavailable as exc:
            template = "booking/payment_unavailable.html"
            return unavailable_page(request, booking.slot, str(exc), status=503, template=template)
    if booking.status == Booking.Status.CONFIRMED:
        return redirect(manage_path(booking))
    return redirect("booking:booking_detail", reference=booking.reference)


def _held_for(request) -> dict:
    """Who the hold being confirmed is for, looked up once a request: what its per-person limits count."""
    if not hasattr(request, "held_for"):
        reference = request.resolver_match.kwargs["reference"]
        found = Booking.objects.filter(reference=reference).values("email", "phone").first()
        request.held_for = found or {}
    return request.held_for


@require_POST
@never_cache
@public_post("booking-confirm", per_address="5/h", per=per_person_of(_held_for, "3/h"))
def hold_confirm(request, reference: str):
    booking, elsewhere = _mine(request, reference)
    if elsewhere:
        return elsewhere
    if booking.requested_at:  # a second click, or Back and Confirm again: the booking's next step, nothing new
        return _next_step(request, booking, send_code=False)
    booking, elsewhere = _still_choosing(request, booking)
    if elsewhere:
        return elsewhere
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _review_page(request, booking, message=gettext("Please confirm again."), status=400)
    try:
        booking = hold_request(
            booking=booking,
            quoted_price_cents=form.cleaned_data["quoted_price_cents"],
            hold_for=checkout_hold() if payments_online() else None,
            proven_mobile=texted_mobile(request),
        )
    except PriceChanged as exc:
        return _review_page(request, booking, message=str(exc), status=409)
    except HoldLapsed as exc:
        return _lapsed_page(request, booking, str(exc))
    except HoldPending as exc:  # the same patient's, from another browser maybe: shown the way back only here
        held = exc.held if exc.held.reference in booked_here(request) else None
        return unavailable_page(request, booking.slot, str(exc), held=held)
    except BookingError as exc:
        if not booking.patient_name:
            return redirect("booking:hold_details", reference=booking.reference)
        return unavailable_page(request, booking.slot, str(exc))
    return _next_step(request, booking, send_code=True)


@require_POST
def hold_release(request, reference: str):
    """ "Choose another time": the time being chosen goes back at once, and its day's times show again."""
    booking, elsewhere = _choosing(request, reference)
    if elsewhere:
        return elsewhere
    booking_release_hold(booking=booking)
    return _see_other("booking:book_day", day=slot_local(booking.slot).date())
