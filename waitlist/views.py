import re

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from booking.browser import remember_booked
from booking.links import Purpose, manage_path, opens, private_path
from booking.models import Booking, Promotion
from booking.payments import PaymentUnavailable, checkout_start
from booking.selectors import day_is_full, default_service
from booking.services import BookingError
from booking.stripe_gateway import payments_online
from booking.verification import CodeLocked, awaits_mobile_code, mobile_code_send
from clinic import cookies
from clinic.limits import public_post
from clinic.quiet_hours import QUIET_END, QUIET_START

from .forms import EntryDetailsForm, JoinForm
from .links import Purpose as EntryLink
from .links import details_path, entry_for_token, leave_path
from .models import WaitlistEntry
from .selectors import offer_alternatives, others_waiting, place_goes_to_next
from .services import (
    AlreadyWaiting,
    DetailsRefused,
    OfferChanged,
    OfferClosed,
    entry_details_save,
    offer_claim,
    offer_decline,
    offer_switch,
    place_in_line,
    promotion_sold_out,
    waitlist_join,
    waitlist_leave,
)

JOINED_COOKIE = "waitlist_joined"  # the entry this browser joined, for the page that confirms it
Status = WaitlistEntry.Status
CHOOSE_A_TIME = _("Please choose one of the times listed.")
PAYMENT_DOWN = _(
    "We could not reach our payment provider. Nothing was charged, and the place has gone back to the "
    "waiting list. We are sorry."
)


def _join(request, *, service, promotion=None, day=None):
    form = JoinForm(request.POST if request.method == "POST" else None)
    context = {
        "form": form,
        "promotion": promotion,
        "day": day,
        "service": service,
        "offer_minutes": settings.WAITLIST_OFFER_MINUTES,
        "quiet_start": QUIET_START,  # offers are made outside the quiet hours only
        "quiet_end": QUIET_END,
    }
    if request.method == "POST" and form.is_valid():
        try:
            entry = waitlist_join(service=service, patient=form.patient(), promotion=promotion, day=day)
        except AlreadyWaiting:
            context["message"] = gettext(
                "You are already on this waiting list: we will text or email you when a place opens."
            )
            return render(request, "waitlist/join.html", context, status=409)
        response = redirect("waitlist:joined")
        cookies.remember(response, JOINED_COOKIE, str(entry.pk))
        return response
    return render(request, "waitlist/join.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@public_post("waitlist-join", per_address="5/h", per_person="3/h")
def join_offer(request, promotion_id: int):
    """The offer's waiting list, open while the offer is and its spots are all taken."""
    promotion = get_object_or_404(Promotion.objects.select_related("service__clinic"), pk=promotion_id)
    if not promotion_sold_out(promotion, now=timezone.now()):
        return redirect("booking:book_days")  # spots are free (or the offer closed): nothing to wait for
    return _join(request, service=promotion.service, promotion=promotion)


@require_http_methods(["GET", "POST"])
@public_post("waitlist-join", per_address="5/h", per_person="3/h")
def join_day(request, day):
    service = default_service()
    if service is None:
        raise Http404("Online booking is not open yet.")
    if not day_is_full(service, day, now=timezone.now()):
        return redirect("booking:book_day", day=day)
    return _join(request, service=service, day=day)


@never_cache  # this browser's own place in line
@require_http_methods(["GET"])
def joined(request):
    joined = cookies.recall(request, JOINED_COOKIE)
    entry = WaitlistEntry.objects.select_related("promotion").filter(pk=joined).first() if joined.isdecimal() else None
    if entry is None:
        return redirect("booking:landing")
    return render(request, "waitlist/joined.html", {"entry": entry, "place": place_in_line(entry)})


def _posted_id(request, name: str) -> int | None:
    value = request.POST.get(name, "")
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else None


def _entry_of(booking: Booking) -> WaitlistEntry:
    entry = getattr(booking, "waitlist_entry", None)  # a claim link opens a place offered from the list
    if entry is None:
        raise Http404("This link is not valid.")
    return entry


OFFERED_PLACES = Booking.objects.select_related("slot__service__clinic", "waitlist_entry__promotion")


@public_post("waitlist-offer", per_address="30/h")
@opens(Purpose.CLAIM, OFFERED_PLACES)
@require_http_methods(["GET", "POST"])
def offer(request, booking: Booking, token: str):
    """The offered time, with the other free times it may move to: claimed, or moved, from the link in the offer's
    text and email."""
    entry = _entry_of(booking)
    message, status = "", 200
    switching = request.method == "POST" and request.POST.get("answer") == "switch"
    # Someone who joined by text gives their name and email with the claim: the visit is booked in their name.
    posted = request.POST if request.method == "POST" and not switching else None
    details_form = None if entry.name else EntryDetailsForm(posted)
    if switching:
        slot_id = _posted_id(request, "slot")
        if slot_id is None:
            message, status = gettext(CHOOSE_A_TIME), 400
        else:
            try:
                offer_switch(entry=entry, slot_id=slot_id)
                return redirect(private_path(booking, Purpose.CLAIM) + "?moved=1")
            except (OfferClosed, BookingError) as exc:
                message, status = str(exc), 409
    elif request.method == "POST" and details_form is not None and not _details_given(entry, details_form):
        status = 400  # the form says what to correct
    elif request.method == "POST":
        try:
            return _claim(request, entry, booking, held_slot_id=_posted_id(request, "held"))
        except PaymentUnavailable:
            # Checkout released the hold: the place goes to the next person, so there is no trying again.
            message, status = gettext(PAYMENT_DOWN), 503
        except (OfferClosed, OfferChanged, BookingError) as exc:
            message, status = str(exc), 409
    if request.method == "POST":  # refused: the page shows the offer as it is now
        entry.refresh_from_db()
        booking.refresh_from_db()
    if entry.name:
        details_form = None  # given with a claim that was refused: kept, and not asked again
    return _offer_page(request, entry, booking, token, message=message, status=status, details_form=details_form)


def _details_given(entry: WaitlistEntry, form: EntryDetailsForm) -> bool:
    """The name and email typed with a claim, kept on the entry (and the place held for it); False when they need
    correcting or cannot be kept (the form says why)."""
    if not form.is_valid():
        return False
    try:
        entry_details_save(entry=entry, name=form.cleaned_data["name"], email=form.cleaned_data["email"])
    except DetailsRefused as exc:
        form.add_error("email", str(exc))
        return False
    return True


def _claim(request, entry: WaitlistEntry, booking: Booking, *, held_slot_id: int | None):
    """Claim the place, then on to what books it: the code texted to the mobile, Stripe, or the booking's page."""
    try:
        offer_claim(entry=entry, held_slot_id=held_slot_id)
        booking.refresh_from_db()
        if awaits_mobile_code(booking):
            mobile_code_send(booking=booking)
            response = redirect("booking:verify_mobile", reference=booking.reference)
        elif booking.status == Booking.Status.HELD:
            response = HttpResponseRedirect(checkout_start(booking=booking), status=303)
        else:
            return redirect(manage_path(booking))
    except CodeLocked:
        response = redirect("booking:verify_mobile", reference=booking.reference)  # it says to call us
    remember_booked(request, response, booking)  # the code is typed, and Stripe returns, to the booking's own pages
    return response


def _offer_page(
    request, entry: WaitlistEntry, booking: Booking, token: str, *, message="", status=200, details_form=None
):
    now = timezone.now()
    entry.booking = booking  # the same row: has_booked reads it
    booked = entry.has_booked
    is_open = not booked and entry.status == Status.OFFERED and booking.is_active(now)
    tz = booking.slot.service.clinic.tz
    context = {
        "entry": entry,
        "booking": booking,
        "token": token,
        "starts_at": timezone.localtime(booking.slot.starts_at, tz),
        "booked": booked,
        "is_open": is_open,
        "moved": is_open and not message and request.GET.get("moved") == "1",
        "alternatives": offer_alternatives(entry, booking, now=now) if is_open else [],
        "pay_online": payments_online(),
        "manage_path": manage_path(booking) if booked else "",
        "message": message,
        # What became of a place let go: the next person's, or anyone's to book. Asked only once it was let go.
        "goes_to_next": not (is_open or booked) and place_goes_to_next(entry),
        "details_form": details_form if is_open else None,
    }
    return render(request, "waitlist/offer.html", context, status=status)


@public_post("waitlist-offer", per_address="30/h")
@opens(Purpose.CLAIM, OFFERED_PLACES)
@require_http_methods(["GET", "POST"])
def decline(request, booking: Booking, token: str):
    """Letting the place go asks first, with the time, then lets it go. Declining twice changes nothing."""
    entry = _entry_of(booking)
    if request.method == "POST":
        offer_decline(entry=entry)
        return redirect("waitlist:offer", token=token)
    entry.booking = booking  # the same row: has_booked reads it
    if entry.status != Status.OFFERED or entry.has_booked or not booking.is_active(timezone.now()):
        return redirect("waitlist:offer", token=token)  # nothing to let go: the offer's page says what became of it
    context = {
        "booking": booking,
        "token": token,
        "starts_at": timezone.localtime(booking.slot.starts_at, booking.slot.service.clinic.tz),
        "others_waiting": others_waiting(entry),
    }
    return render(request, "waitlist/decline.html", context)


@never_cache  # a private link: this entry's own page
@public_post("waitlist-leave", per_address="10/h")
@require_http_methods(["GET", "POST"])
def leave(request, token: str):
    """Leaving the list, from the link in the email that confirmed the join: asks first, then takes them off.
    Leaving twice, or after the list is done with them, changes nothing; the page says where they stand."""
    entry = entry_for_token(token)
    if entry is None:
        raise Http404("This link is not valid.")
    if request.method == "POST":
        waitlist_leave(entry=entry)
        return redirect("waitlist:leave", token=token)
    booked = entry.has_booked
    on_the_list = entry.status in Status.live() and not booked
    offered = on_the_list and entry.status == Status.OFFERED and entry.booking.is_active(timezone.now())
    context = {
        "entry": entry,
        "booked": booked,
        "on_the_list": on_the_list,
        "place": place_in_line(entry) if on_the_list else None,
        "offered": offered,
        "claim_path": private_path(entry.booking, Purpose.CLAIM) if offered else "",
        "offer_expires_at": entry.offer_expires_at,
    }
    return render(request, "waitlist/leave.html", context)


@never_cache  # a private link: this entry's own page
@public_post("waitlist-details", per_address="10/h")
@require_http_methods(["GET", "POST"])
def details(request, token: str):
    """The name and email of someone who joined the list by texting WAIT, from the link the reply carried: kept on
    their entry, so offers also go by email and a place they claim is booked in their name. While they are on the
    list it can be changed again; after, the page says where they stand."""
    entry = entry_for_token(token, EntryLink.DETAILS)
    if entry is None:
        raise Http404("This link is not valid.")
    initial = {"name": entry.name, "email": entry.email}
    form = EntryDetailsForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if _details_given(entry, form):
            return redirect(reverse("waitlist:details", args=[token]) + "?saved=1")
        entry.refresh_from_db()
        status = 400
    booked = entry.has_booked
    on_the_list = entry.status in Status.live() and not booked
    offered = on_the_list and entry.status == Status.OFFERED and entry.booking.is_active(timezone.now())
    context = {
        "entry": entry,
        "form": form,
        "booked": booked,
        "on_the_list": on_the_list,
        "place": place_in_line(entry) if on_the_list else None,
        "saved": on_the_list and status == 200 and request.GET.get("saved") == "1" and bool(entry.name),
        "offered": offered,
        "claim_path": private_path(entry.booking, Purpose.CLAIM) if offered else "",
        "leave_path": leave_path(entry),
        "details_path": details_path(entry),
    }
    return render(request, "waitlist/details.html", context, status=status)
