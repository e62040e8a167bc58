from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import ConfirmBookingForm, PatientDetailsForm
from .models import Booking, Slot
from .pricing import Quote, quote_slot
from .selectors import availability_for_day, bookable_days, default_service, featured_offer, slot_unavailable_reason
from .services import BookingError, PriceChanged, booking_create


def _service_or_404():
    service = default_service()
    if service is None:
        raise Http404("Online booking is not open yet.")
    return service


def _slot_or_404(slot_id: int) -> Slot:
    return get_object_or_404(Slot.objects.select_related("service__clinic", "practitioner"), pk=slot_id)


def _local(slot: Slot):
    return timezone.localtime(slot.starts_at, slot.service.clinic.tz)


def _unavailable(request, slot: Slot, message: str):
    context = {"message": message, "day": _local(slot).date()}
    return render(request, "booking/unavailable.html", context, status=409)


def _review(request, slot: Slot, form: ConfirmBookingForm, quote: Quote, *, message: str = "", status: int = 200):
    context = {"slot": slot, "starts_at": _local(slot), "form": form, "quote": quote, "message": message}
    return render(request, "booking/review.html", context, status=status)


@require_GET
def landing(request):
    now = timezone.now()
    offer = featured_offer(now=now)
    service = offer.promotion.service if offer else default_service()
    clinic = service.clinic if service else None
    context = {
        "offer": offer,
        "service": service,
        "opening_hours": clinic.opening_hours.all() if clinic else [],
        "closes_at": timezone.localtime(offer.promotion.closes_at, clinic.tz) if offer else None,
    }
    return render(request, "booking/landing.html", context)


@require_GET
def book_days(request):
    service = _service_or_404()
    days = bookable_days(service=service, now=timezone.now())
    return render(request, "booking/book_days.html", {"service": service, "days": days})


@require_GET
def book_day(request, day):
    service = _service_or_404()
    options = availability_for_day(service=service, day=day, now=timezone.now())
    return render(request, "booking/book_day.html", {"service": service, "day": day, "options": options})


@require_http_methods(["GET", "POST"])
def book_details(request, slot_id: int):
    slot = _slot_or_404(slot_id)
    now = timezone.now()
    if reason := slot_unavailable_reason(slot, now):
        return _unavailable(request, slot, reason)
    form = PatientDetailsForm(request.POST or None)
    # "Change details" on the review step posts the details back here to be edited.
    editing = "edit" in request.POST
    if request.method == "POST" and not editing and form.is_valid():
        quote = quote_slot(slot=slot, now=now, patient=form.patient())
        confirm = ConfirmBookingForm(initial={**form.cleaned_data, "quoted_price_cents": quote.price_cents})
        return _review(request, slot, confirm, quote)
    context = {"slot": slot, "starts_at": _local(slot), "form": form, "quote": quote_slot(slot=slot, now=now)}
    return render(request, "booking/details.html", context, status=400 if form.errors else 200)


@require_POST
def book_confirm(request, slot_id: int):
    slot = _slot_or_404(slot_id)
    form = ConfirmBookingForm(request.POST)
    if not form.is_valid():
        details = PatientDetailsForm(request.POST)
        details.is_valid()
        context = {
            "slot": slot,
            "starts_at": _local(slot),
            "form": details,
            "quote": quote_slot(slot=slot, now=timezone.now()),
        }
        return render(request, "booking/details.html", context, status=400)
    patient = form.patient()
    try:
        booking = booking_create(
            slot_id=slot.pk, patient=patient, quoted_price_cents=form.cleaned_data["quoted_price_cents"]
        )
    except PriceChanged as exc:
        retry = ConfirmBookingForm(initial={**form.cleaned_data, "quoted_price_cents": exc.price_cents})
        quote = Quote(price_cents=exc.price_cents)
        return _review(request, slot, retry, quote, message=str(exc), status=409)
    except BookingError as exc:
        return _unavailable(request, slot, str(exc))
    return redirect("booking:booking_detail", reference=booking.reference)


@require_GET
def booking_detail(request, reference: str):
    booking = get_object_or_404(
        Booking.objects.select_related("slot__service__clinic", "promotion"), reference=reference
    )
    context = {"booking": booking, "starts_at": _local(booking.slot)}
    return render(request, "booking/booking_detail.html", context)
