from datetime import UTC
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from icalendar import Calendar, Event, vCalAddress

from .models import Booking

# Calendars are synced to providers and shared with others: what is put in them links to the clinic's public
# page, never to the patient's private one.


def _what(booking: Booking) -> tuple[str, str, str]:
    """The event's title, place and description, the same in the .ics file and the calendar links."""
    service, clinic = booking.slot.service, booking.slot.service.clinic
    description = gettext("Wear running clothes and bring the shoes you train in.") + "\n"
    description += gettext("To move or cancel, use the link in your confirmation email or text, or call %(phone)s.") % {
        "phone": clinic.phone_display
    }
    summary = gettext("%(service)s at %(clinic)s") % {"service": service.translated.name, "clinic": clinic.name}
    return summary, clinic.address_line, description


def booking_ics(booking: Booking) -> bytes:
    """The visit as an iCalendar file, for "add to calendar"; a cancelled visit's file takes it out again.

    Every file for one booking has the same UID, and a SEQUENCE that grows with the booking's history (one entry
    per change: booked, moved, cancelled...), so a calendar that already holds the visit takes a later file as
    its update, with the new time, and never an earlier one over a later.
    """
    slot = booking.slot
    clinic = slot.service.clinic
    summary, location, description = _what(booking)
    cancelled = booking.status == Booking.Status.CANCELLED
    event = Event()
    event.add("uid", f"{booking.reference}@{clinic.email.rpartition('@')[2]}")
    event.add("sequence", booking.events.count())
    event.add("dtstamp", timezone.now())
    event.add("dtstart", slot.starts_at)
    event.add("dtend", slot.ends_at)
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("url", settings.PUBLIC_BASE_URL + reverse("booking:landing"))
    event.add("organizer", vCalAddress(f"mailto:{clinic.email}"), parameters={"cn": clinic.name})
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar = Calendar()
    calendar.add("prodid", f"-//{clinic.name}//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    calendar.add_component(event)
    return calendar.to_ical()


def calendar_links(booking: Booking) -> dict[str, str]:
    """ "Add to Google Calendar" and "Add to Outlook" for the visit: the provider's own new-event pages, filled in."""
    summary, location, description = _what(booking)
    start, end = booking.slot.starts_at, booking.slot.ends_at
    google = {
        "action": "TEMPLATE",
        "text": summary,
        "dates": f"{start.astimezone(UTC):%Y%m%dT%H%M%SZ}/{end.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        "location": location,
        "details": description,
    }
    outlook = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": summary,
        "startdt": start.astimezone(UTC).isoformat(),
        "enddt": end.astimezone(UTC).isoformat(),
        "location": location,
        "body": description,
    }
    return {
        "google": f"https://calendar.google.com/calendar/render?{urlencode(google)}",
        "outlook": f"https://outlook.live.com/calendar/0/deeplink/compose?{urlencode(outlook)}",
    }
