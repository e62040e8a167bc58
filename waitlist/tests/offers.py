"""An offer whose discounted spots are all taken: what every waiting list starts from."""

from datetime import date

from booking.models import Booking
from booking.tests.factories import BookingFactory, SlotFactory, local
from booking.tests.pages import PROMO_DAY


def fill(promotion, day: date = PROMO_DAY, first_hour: int = 9) -> list[Booking]:
    """Every discounted spot confirmed, one a slot (capacity 1) from `first_hour` on `day`."""
    return [
        BookingFactory(
            slot=SlotFactory(service=promotion.service, starts_at=local(day, first_hour + n)), promotion=promotion
        )
        for n in range(promotion.spots)
    ]
