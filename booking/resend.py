""" "Resend my link": a patient who lost their private link types the email or mobile they booked with.

The link goes only to the address on the booking (links_requested: notifications sends it), never to what
was typed, and the page says the same whether or not a booking matched, so it tells no one who has booked.
It is rate-limited per client address and per email or mobile typed (clinic/limits.py).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from clinic.contact import canonical_email
from clinic.limits import public_post

from .models import Booking, active_q
from .search import typed_phone
from .signals import links_requested

EMAIL, SMS = "email", "sms"
NOT_A_CONTACT = _("Enter the email address or mobile number you booked with, such as (619) 555-0123.")


def parse_contact(value: str) -> tuple[str, str] | None:
    """("email", its canonical form) or ("sms", the number in E.164), or None for neither."""
    value = value.strip()
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            return None
        return EMAIL, canonical_email(value)
    phone = typed_phone(value)  # as the front desk's search reads a number
    return (SMS, phone) if phone else None


class ResendLinkForm(forms.Form):
    contact = forms.CharField(
        label=_("Your email or mobile number"),
        max_length=254,
        error_messages={"required": NOT_A_CONTACT},
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
    )

    def clean_contact(self) -> tuple[str, str]:
        if parsed := parse_contact(self.cleaned_data["contact"]):
            return parsed
        raise ValidationError(NOT_A_CONTACT, code="invalid")


def upcoming_visits(channel: str, value: str) -> list[Booking]:
    """The visits still ahead booked with this email (its inbox) or mobile."""
    now = timezone.now()
    same = Q(email_canonical=value) if channel == EMAIL else Q(phone=value)
    return list(Booking.objects.filter(same, active_q(now), slot__starts_at__gt=now).select_related("slot"))


def _typed(group, request) -> str:
    """The email or mobile typed, as the rate limit counts it: every way of writing one is one."""
    parsed = parse_contact(request.POST.get("contact", ""))
    return ":".join(parsed) if parsed else ""


@require_http_methods(["GET", "POST"])
@public_post("resend-link", per_address="10/h", per=((_typed, "3/h"),))
def resend_link(request):
    form = ResendLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel, value = form.cleaned_data["contact"]
        for booking in upcoming_visits(channel, value):
            links_requested.send(sender=Booking, booking=booking, channel=channel)
        return redirect("booking:resend_link_sent")
    return render(request, "booking/resend_link.html", {"form": form}, status=400 if form.errors else 200)


@require_safe
def resend_link_sent(request):
    return render(request, "booking/resend_link_sent.html")
