"""iCalendar (RFC 5545) documents of visits: the .ics a patient gets with a booking and a
provider's private feed.

Each visit is one VEVENT whose UID stays the same for its whole life, so a calendar program
reading the feed again updates the event it already has instead of adding a second one.
Times are written in UTC; calendar programs show them in local time.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

from django.conf import settings
from icalendar import Calendar, Event

from careloop.scheduling.models import Appointment, AppointmentStatus, VisitMode

PRODUCT = "-//Careloop//Scheduling//EN"
ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class VisitEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str
    cancelled: bool


def visit_uid(appointment_id: int) -> str:
    host = urlparse(settings.PORTAL_BASE_URL).hostname or "careloop.invalid"
    return f"appointment-{appointment_id}@{host}"


def visit_place(appointment: Appointment) -> str:
    if appointment.appointment_type.mode == VisitMode.TELEHEALTH:
        return "Video visit"
    location = appointment.location
    address = " ".join(location.address.split())
    return f"{location.name}, {address}" if address else location.name


def visit_event(appointment: Appointment, *, summary: str) -> VisitEvent:
    return VisitEvent(
        uid=visit_uid(appointment.pk),
        start=appointment.start_at,
        end=appointment.end_at,
        summary=summary,
        location=visit_place(appointment),
        cancelled=appointment.status == AppointmentStatus.CANCELLED,
    )


def calendar_text(events: list[VisitEvent], *, name: str, stamp: datetime) -> str:
    """One VCALENDAR holding `events`; `stamp` (now) is every event's DTSTAMP."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", item.summary)
        event.add("location", item.location)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical().decode()
