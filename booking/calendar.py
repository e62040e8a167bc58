from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Booking


def booking_ics(booking: Booking) -> bytes:
    """The visit as an iCalendar file, for "add to calendar".

    Calendars are synced to providers and shared with others: the file links to the clinic's public
    page, never to the patient's private one.
    """
    slot = booking.slot
    clinic = slot.service.clinic
    event = Event()
    event.add("uid", f"{booking.reference}@{clinic.email.rpartition('@')[2]}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", slot.starts_at)
    event.add("dtend", slot.ends_at)
    event.add("summary", f"{slot.service.name} at {clinic.name}")
    event.add("location", clinic.address_line)
    description = (
        "Wear running clothes and bring the shoes you train in.\n"
        "To move or cancel, use the link in your confirmation email or text, "
        f"or call {clinic.phone_display}."
    )
    event.add("description", description)
    event.add("url", settings.PUBLIC_BASE_URL + reverse("booking:landing"))
    calendar = Calendar()
    calendar.add("prodid", f"-//{clinic.name}//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return calendar.to_ical()
