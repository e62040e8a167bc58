"""Ready-made texts the front desk sends a patient (from a visit's panel, or in reply to a text): each written in
the patient's language, with the clinic's facts filled in as they are now (the discounted spots left, the hours).
Staff read them by an English name; the patient reads the text."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from booking.selectors import Offer, featured_offer
from clinic.dates import opening_hours
from clinic.models import Clinic


@dataclass(frozen=True)
class Canned:
    key: str
    name: str  # as staff read it
    text: Promise  # in the patient's language: str() under their language, then filled in with the facts it names


CANNED = (
    Canned(
        "late", "Running late", _("We’re running about 10 minutes behind. Thank you for your patience; see you soon.")
    ),
    Canned("call", "Please call us", _("Please call us at {phone} when you can. Thank you!")),
    Canned("directions", "Directions and parking", _("We’re at {address}. {parking} Map: {map}")),
    Canned("book", "Booking link, with the spots left", _("{spots}Book online: {book}")),
    # The hours last: in Spanish they end "p. m.", where a full stop would make two.
    Canned("hours", "Opening hours", _("Call us at {phone}. Our hours, by appointment: {hours}")),
)


def spots_left(offer: Offer | None) -> str:
    """ "3 of 8 $99 spots left. " while the offer has spots to book; nothing otherwise. In the active language."""
    if not (offer and offer.is_open and offer.spots_left):
        return ""
    promotion = offer.promotion
    left = {"left": offer.spots_left, "spots": promotion.spots, "price": promotion.price}
    return gettext("%(left)s of %(spots)s %(price)s spots left.") % left + " "


def _facts(clinic: Clinic) -> dict[str, Callable[[], str]]:
    """Each fact a text may name, made only when a text names it (the spots left take a query)."""
    return {
        "phone": lambda: clinic.phone_display,
        "address": lambda: clinic.address_line,
        "map": lambda: clinic.map_link,
        "parking": lambda: " ".join(clinic.translated.parking_note.split()),
        "hours": lambda: opening_hours(clinic.opening_hours.all()),
        "book": lambda: settings.PUBLIC_BASE_URL + reverse("booking:book_days"),
        "spots": lambda: spots_left(featured_offer(now=timezone.now())),
    }


class _Facts(dict):
    def __init__(self, makers: dict[str, Callable[[], str]]):
        super().__init__()
        self.makers = makers

    def __missing__(self, name: str) -> str:
        self[name] = self.makers[name]()
        return self[name]


def canned_choices() -> list[tuple[str, str]]:
    """(key, the name staff read) of each ready-made text, for a form's choices."""
    return [(canned.key, canned.name) for canned in CANNED]


def canned_text(key: str, *, clinic: Clinic, language: str) -> str | None:
    """The ready-made text as the patient reads it, filled in now; None when there is no such text."""
    canned = next((canned for canned in CANNED if canned.key == key), None)
    if canned is None:
        return None
    with translation.override(language):
        return " ".join(str(canned.text).format_map(_Facts(_facts(clinic))).split())
