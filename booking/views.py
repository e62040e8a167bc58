from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.forms import CodeForm
from clinic.limits import public_post
from clinic.privacy import mask_phone

from .browser import booked_here, remember_texted_mobile
from .hold_views import slot_local, status_page, unavailable_page
from .links import LinkGone, manage_path, texted_phone
from .models import Booking, Payment
from .page_cache import availability_page
from .payments import checkout_cancel, payment_summary
from .selectors import availability_for_day, booking_calendar, day_is_full, default_service, featured_offer
from .services import BookingError
from .verification import Check, CodeLocked, awaits_mobile_code, mobile_code_send, mobile_verify


def _service_or_404():
    service = default_service()
    if service is None:
        raise Http404("Online booking is not open yet.")
    return service


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
    context = {
        "service": service,
        "clinic": service.clinic,
        "day": day,
        "options": options,
        "day_full": day_full,
        "hold_minutes": settings.BOOKING_HOLD_MINUTES,
    }
    return render(request, "booking/book_day.html", context)


def _booking_or_404(reference: str) -> Booking:
    return get_object_or_404(Booking.objects.select_related("slot__service__clinic", "promotion"), reference=reference)


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
        return status_page(request, booking)
    if booking.status != Booking.Status.HELD:
        return redirect(manage_path(booking))
    if awaits_mobile_code(booking):
        return redirect("booking:verify_mobile", reference=booking.reference)
    context = {
        "booking": booking,
        "starts_at": slot_local(booking.slot),
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
    context = {"booking": booking, "starts_at": slot_local(booking.slot), "payment": payment}
    return render(request, "booking/checkout_success.html", context)


@require_http_methods(["GET", "POST"])
@never_cache
def checkout_cancelled(request, reference: str):
    """Where Stripe sends a patient who backs out of paying (GET), or the "release" button posts: free the time.

    Only for the browser that booked it: a reference alone releases nothing.
    """
    booking = _booking_or_404(reference)
    if booking.reference not in booked_here(request):
        return status_page(request, booking, status=403 if request.method == "POST" else 200)
    if booking.status not in (Booking.Status.HELD, Booking.Status.EXPIRED):
        return redirect("booking:booking_detail", reference=booking.reference)
    released = checkout_cancel(booking=booking)
    context = {"booking": booking, "day": slot_local(booking.slot).date(), "released": released}
    return render(request, "booking/checkout_cancelled.html", context)


def _verify_page(request, booking: Booking, form: CodeForm, *, status: int = 200, locked: bool = False):
    context = {
        "booking": booking,
        "clinic": booking.slot.service.clinic,
        "starts_at": slot_local(booking.slot),
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
        return None, status_page(request, booking, status=403 if request.method == "POST" else 200)
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
        return unavailable_page(request, booking.slot, str(exc))
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


@require_safe
@never_cache
def texted(request, token: str):
    """The booking link texted in answer to a text to the clinic's number: this browser remembers the mobile it was
    texted to, and goes on to the days to book. The details form starts with that mobile, and a booking made with
    it needs no code (booking/verification.py). An old link gets the 410 page; a forged or altered one is not
    found."""
    try:
        phone = texted_phone(token)
    except LinkGone:
        context = {"texted": True, "texted_days": settings.TEXTED_LINK_DAYS}
        return render(request, "link_gone.html", context, status=410)
    if phone is None:
        raise Http404("This link is not valid.")
    response = redirect("booking:book_days")
    remember_texted_mobile(response, phone)
    return response
