from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.contact import email_suggestion
from clinic.forms import CodeForm
from clinic.limits import public_post
from clinic.privacy import mask_phone

from .browser import booked_here, remember_booked
from .forms import ConfirmBookingForm, PatientDetailsForm
from .links import manage_path
from .models import Booking, Payment, Slot
from .page_cache import availability_page
from .payments import PaymentUnavailable, checkout_cancel, checkout_hold, checkout_start, payment_summary
from .rules import Quote, quote_slot, slot_unavailable_reason
from .selectors import availability_for_day, booking_calendar, day_is_full, default_service, featured_offer
from .services import BookingError, HoldPending, PriceChanged, booking_create, booking_hold
from .stripe_gateway import payments_online
from .verification import Check, CodeLocked, awaits_mobile_code, mobile_code_send, mobile_verify


def _service_or_404():
    service = default_service()
    if service is None:
        raise Http404("Online booking is not open yet.")
    return service


def _slot_or_404(slot_id: int) -> Slot:
    return get_object_or_404(Slot.objects.select_related("service__clinic", "practitioner"), pk=slot_id)


def _local(slot: Slot):
    return timezone.localtime(slot.starts_at, slot.service.clinic.tz)


def _unavailable(
    request,
    slot: Slot,
    message: str,
    *,
    status: int = 409,
    held: Booking | None = None,
    template: str = "booking/unavailable.html",
):
    """Why the time cannot be booked; `held`: this browser's own hold elsewhere, to go back to."""
    context = {"message": message, "day": _local(slot).date(), "clinic": slot.service.clinic, "held": held}
    return render(request, template, context, status=status)


def _details(request, slot: Slot, form: PatientDetailsForm, *, status: int | None = None, email_hint: str = ""):
    context = {
        "slot": slot,
        "clinic": slot.service.clinic,
        "starts_at": _local(slot),
        "form": form,
        "quote": quote_slot(slot=slot, now=timezone.now()),
        "email_hint": email_hint,
    }
    return render(request, "booking/details.html", context, status=status or (400 if form.errors else 200))


def _review(request, slot: Slot, form: ConfirmBookingForm, quote: Quote, *, message: str = "", status: int = 200):
    context = {
        "slot": slot,
        "clinic": slot.service.clinic,
        "starts_at": _local(slot),
        "form": form,
        "quote": quote,
        "message": message,
    }
    return render(request, "booking/review.html", context, status=status)


@require_safe
@availability_page
def landing(request):
    now = timezone.now()
    offer = featured_offer(now=now)
    service = offer.promotion.service if offer else default_service()
    clinic = service.clinic if service else None
    context = {
        "offer": offer,
        "service": service,
        "opening_hours": clinic.opening_hours.all() if clinic else [],
        "practitioners": clinic.practitioners.filter(featured=True) if clinic else [],
    }
    if clinic:
        context["clinic"] = clinic
    return render(request, "booking/landing.html", context)


@require_safe
@availability_page
def book_days(request):
    service = _service_or_404()
    context = {
        "service": service,
        "clinic": service.clinic,
        "calendar": booking_calendar(service=service, now=timezone.now()),
    }
    return render(request, "booking/book_days.html", context)


@require_safe
@availability_page
def book_day(request, day):
    service = _service_or_404()
    now = timezone.now()
    options = availability_for_day(service=service, day=day, now=now)
    day_full = not options and day_is_full(service, day, now=now)
    context = {"service": service, "clinic": service.clinic, "day": day, "options": options, "day_full": day_full}
    return render(request, "booking/book_day.html", context)


@require_http_methods(["GET", "POST"])
@public_post("booking-details", per_address="20/h", per_person="10/h")
def book_details(request, slot_id: int):
    slot = _slot_or_404(slot_id)
    now = timezone.now()
    if reason := slot_unavailable_reason(slot, now):
        return _unavailable(request, slot, reason)
    form = PatientDetailsForm(request.POST if request.method == "POST" else None)
    # "Change details" on the review step posts the details back here to be edited.
    editing = "edit" in request.POST
    if request.method == "POST" and not editing and form.is_valid():
        typed = form.cleaned_data["email"]
        # A likely typo ("gmial.com", ".con") is pointed out once; sent again unchanged, it is kept as typed.
        if (hint := email_suggestion(typed)) and request.POST.get("email_checked") != typed:
            return _details(request, slot, form, email_hint=hint)
        quote = quote_slot(slot=slot, now=now, patient=form.patient())
        confirm = ConfirmBookingForm(initial={**form.cleaned_data, "quoted_price_cents": quote.price_cents})
        return _review(request, slot, confirm, quote)
    return _details(request, slot, form)


@require_POST
@public_post("booking-confirm", per_address="5/h", per_person="3/h")
def book_confirm(request, slot_id: int):
    # The slot is read (under lock) by the booking itself; the view reads it again only to explain a refusal.
    form = ConfirmBookingForm(request.POST)
    if not form.is_valid():
        return _details(request, _slot_or_404(slot_id), PatientDetailsForm(request.POST), status=400)
    booked = booked_here(request)
    booking_request = {
        "slot_id": slot_id,
        "patient": form.patient(),
        "quoted_price_cents": form.cleaned_data["quoted_price_cents"],
        "resume": booked,
    }
    try:
        if not payments_online():
            booking = booking_create(**booking_request)  # a discounted spot is held for the mobile's code
        else:
            booking = booking_hold(**booking_request, hold_for=checkout_hold())
    except PriceChanged as exc:
        retry = ConfirmBookingForm(initial={**form.cleaned_data, "quoted_price_cents": exc.quote.price_cents})
        return _review(request, _slot_or_404(slot_id), retry, exc.quote, message=str(exc), status=409)
    except HoldPending as exc:
        held = exc.held if exc.held.reference in booked else None
        return _unavailable(request, _slot_or_404(slot_id), str(exc), held=held)
    except BookingError as exc:
        return _unavailable(request, _slot_or_404(slot_id), str(exc))
    try:
        if awaits_mobile_code(booking):
            if booking.reference not in booked:  # a second click on "confirm" sends no second code
                mobile_code_send(booking=booking)
            response = redirect("booking:verify_mobile", reference=booking.reference)
        elif booking.status == Booking.Status.HELD:
            response = HttpResponseRedirect(checkout_start(booking=booking), status=303)
        else:
            response = redirect(manage_path(booking))
    except PaymentUnavailable as exc:
        response = _unavailable(
            request, booking.slot, str(exc), status=503, template="booking/payment_unavailable.html"
        )
    remember_booked(request, response, booking)
    return response


def _booking_or_404(reference: str) -> Booking:
    return get_object_or_404(Booking.objects.select_related("slot__service__clinic", "promotion"), reference=reference)


def _status_only(request, booking: Booking, *, status: int = 200):
    """What a reference alone shows: how the booking stands; no patient details, no payment page, no changes."""
    return render(request, "booking/booking_status.html", {"booking": booking}, status=status)


def _latest_payment(booking: Booking) -> Payment | None:
    """What a held booking is being paid by: its latest session, not money refused for it (that was not this
    browser's to pay, and leaves the session it is paying open)."""
    return booking.payments.exclude(status=Payment.Status.REFUSED).first()


@require_safe
@never_cache  # this browser's own view of the booking
def booking_detail(request, reference: str):
    """A booking's status by its reference. The browser that booked it goes on to its own pages."""
    booking = _booking_or_404(reference)
    if booking.reference not in booked_here(request):
        return _status_only(request, booking)
    if booking.status != Booking.Status.HELD:
        return redirect(manage_path(booking))
    if awaits_mobile_code(booking):
        return redirect("booking:verify_mobile", reference=booking.reference)
    context = {
        "booking": booking,
        "starts_at": _local(booking.slot),
        "payment": _latest_payment(booking),
        **payment_summary(booking),
    }
    return render(request, "booking/booking_detail.html", context)


@require_safe
@never_cache
def checkout_success(request, reference: str):
    """Where Stripe sends the patient after paying. Only the webhook confirms; this page waits for it."""
    booking = _booking_or_404(reference)
    payment = _latest_payment(booking)
    waiting = payment and payment.status in (Payment.Status.OPEN, Payment.Status.PAID, Payment.Status.FAILED)
    mine = booking.reference in booked_here(request)
    if not mine or booking.status not in (Booking.Status.HELD, Booking.Status.EXPIRED) or not waiting:
        return redirect("booking:booking_detail", reference=booking.reference)
    context = {"booking": booking, "starts_at": _local(booking.slot), "payment": payment}
    return render(request, "booking/checkout_success.html", context)


@require_http_methods(["GET", "POST"])
@never_cache
def checkout_cancelled(request, reference: str):
    """Where Stripe sends a patient who backs out of paying (GET), or the "release" button posts: free the time.

    Only for the browser that booked it: a reference alone releases nothing.
    """
    booking = _booking_or_404(reference)
    if booking.reference not in booked_here(request):
        return _status_only(request, booking, status=403 if request.method == "POST" else 200)
    if booking.status not in (Booking.Status.HELD, Booking.Status.EXPIRED):
        return redirect("booking:booking_detail", reference=booking.reference)
    released = checkout_cancel(booking=booking)
    context = {"booking": booking, "day": _local(booking.slot).date(), "released": released}
    return render(request, "booking/checkout_cancelled.html", context)


def _verify_page(request, booking: Booking, form: CodeForm, *, status: int = 200, locked: bool = False):
    context = {
        "booking": booking,
        "clinic": booking.slot.service.clinic,
        "starts_at": _local(booking.slot),
        "mobile": mask_phone(booking.phone),
        "form": form,
        "locked": locked,
        "sent_again": request.GET.get("sent") == "again",
    }
    return render(request, "booking/verify_mobile.html", context, status=status)


def _awaiting_code(request, reference: str) -> tuple[Booking | None, HttpResponse | None]:
    """This browser's discounted hold waiting for its code; otherwise the page to show instead."""
    booking = _booking_or_404(reference)
    if booking.reference not in booked_here(request):
        return None, _status_only(request, booking, status=403 if request.method == "POST" else 200)
    if not awaits_mobile_code(booking):
        return None, redirect("booking:booking_detail", reference=booking.reference)
    return booking, None


@require_http_methods(["GET", "POST"])
@never_cache
@public_post("mobile-code-check", per_address="30/h")
def verify_mobile(request, reference: str):
    """Type the code texted to the mobile: it books the discounted spot held for this browser."""
    booking, elsewhere = _awaiting_code(request, reference)
    if elsewhere:
        return elsewhere
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        return _verify_page(request, booking, form)
    if not form.is_valid():
        return _verify_page(request, booking, form, status=400)
    try:
        result = mobile_verify(booking=booking, code=form.cleaned_data["code"])
    except BookingError as exc:  # the hold lapsed and its time or spot went meanwhile
        return _unavailable(request, booking.slot, str(exc))
    if result == Check.ACCEPTED:
        return redirect(manage_path(booking))
    if result == Check.LOCKED:
        return _verify_page(request, booking, CodeForm(), status=429, locked=True)
    form.wrong()
    return _verify_page(request, booking, form, status=400)


def _booking_reference(group, request) -> str:
    return request.resolver_match.kwargs["reference"]


@require_POST
@public_post("mobile-code-send", per_address="10/h", per=((_booking_reference, "5/h"),))
def send_mobile_code(request, reference: str):
    """Text a new code (it replaces the last): the first did not come, or it expired."""
    booking, elsewhere = _awaiting_code(request, reference)
    if elsewhere:
        return elsewhere
    try:
        mobile_code_send(booking=booking)
    except CodeLocked:
        return _verify_page(request, booking, CodeForm(), status=429, locked=True)
    return redirect(reverse("booking:verify_mobile", args=[booking.reference]) + "?sent=again")
