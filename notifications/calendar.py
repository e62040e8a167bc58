from django.utils import timezone
from icalendar import Calendar, Event

from booking.links import manage_link
from booking.models import Booking


def booking_ics(booking: Booking) -> bytes:
    """The visit as an iCalendar file, for "add to calendar"."""
    slot = booking.slot
    clinic = slot.service.clinic
    link = manage_link(booking)
    event = Event()
    event.add("uid", f"{booking.reference}@{clinic.email.rpartition('@')[2]}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", slot.starts_at)
    event.add("dtend", slot.ends_at)
    event.add("summary", f"{slot.service.name} at {clinic.name}")
    event.add("location", clinic.address_line)
    description = (
        "Wear running clothes and bring the shoes you train in.\n"
        f"Your booking: {link}\nQuestions: {clinic.phone_display}"
    )
    event.add("description", description)
    event.add("url", link)
    calendar = Calendar()
    calendar.add("prodid", f"-//{clinic.name}//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return calendar.to_ical()
