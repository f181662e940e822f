"""What patients are told about their visits, through the outbox: the booking confirmation
(with an .ics of the visits) and reminders with a link to confirm or cancel.

No clinical detail in any message: the clinic, the day and time, the place and the link;
never the visit's type, the provider's name or the plan. Email and SMS both go out when the
patient has an email address and a mobile phone; the .ics travels with the email.
"""

from careloop.core import clock
from careloop.core.selectors import clinic_settings
from careloop.notifications.models import Channel
from careloop.notifications.services import Attachment, notification_enqueue
from careloop.patients.models import Patient
from careloop.scheduling.ics import ICS_CONTENT_TYPE, calendar_text, visit_event
from careloop.scheduling.links import visit_url
from careloop.scheduling.models import Appointment
from careloop.scheduling.selectors.calendars import location_zone


def visit_moment(appointment: Appointment) -> str:
    """ "Tuesday, March 10, 2026 at 9:00 AM EDT", in the visit's location's time zone."""
    local = appointment.start_at.astimezone(location_zone(appointment.location))
    hour = local.strftime("%I:%M %p").lstrip("0")
    return f"{local:%A, %B} {local.day}, {local.year} at {hour} {local.tzname()}"


def _contacts(patient: Patient) -> list[tuple[Channel, str]]:
    contacts = []
    if patient.email:
        contacts.append((Channel.EMAIL, patient.email))
    if patient.mobile_phone:
        contacts.append((Channel.SMS, patient.mobile_phone))
    return contacts


def patient_calendar(appointments: list[Appointment], *, clinic: str) -> str:
    return calendar_text(
        [visit_event(appointment, summary=f"Visit at {clinic}") for appointment in appointments],
        name=clinic,
        stamp=clock.now(),
    )


def booking_confirmation_send(appointments: list[Appointment]) -> None:
    """Tell the patient the visits (one, or a series) are booked, in the booking's transaction."""
    if not appointments:
        return
    first = appointments[0]
    clinic = clinic_settings().name
    if len(appointments) == 1:
        subject = f"Your visit at {clinic} is booked"
        lines = [f"Your visit at {clinic} is booked for {visit_moment(first)}."]
    else:
        subject = f"Your {len(appointments)} visits at {clinic} are booked"
        lines = [f"Your {len(appointments)} visits at {clinic} are booked:"]
        lines += [f"- {visit_moment(appointment)}" for appointment in appointments]
    text = "\n".join(lines)
    contacts = _contacts(first.patient)
    calendar = (
        Attachment("visit.ics", ICS_CONTENT_TYPE, patient_calendar(appointments, clinic=clinic))
        if any(channel == Channel.EMAIL for channel, _ in contacts)
        else None
    )
    for channel, recipient in contacts:
        email = channel == Channel.EMAIL
        notification_enqueue(
            channel=channel,
            recipient=recipient,
            subject=subject if email else "",
            body=(
                f"{text}\n\nThe attached calendar file adds the visits to your calendar. "
                "To change a visit, please call the clinic."
                if email
                else f"{clinic}: {lines[0]}"
            ),
            kind="scheduling.booked",
            patient_id=first.patient_id,
            attachment=calendar if email else None,
        )


def reminder_send(appointment: Appointment) -> None:
    """Remind the patient of a visit with a link to confirm or cancel it."""
    clinic = clinic_settings().name
    moment = visit_moment(appointment)
    link = visit_url(appointment.pk)
    for channel, recipient in _contacts(appointment.patient):
        email = channel == Channel.EMAIL
        notification_enqueue(
            channel=channel,
            recipient=recipient,
            subject=f"Reminder: your visit at {clinic}" if email else "",
            body=(
                f"This is a reminder of your visit at {clinic} on {moment}.\n\n"
                f"Please confirm it, or cancel it if you cannot come: {link}\n\n"
                "To change the time, please call the clinic."
                if email
                else f"{clinic}: reminder of your visit on {moment}. Confirm or cancel: {link}"
            ),
            kind="scheduling.reminder",
            patient_id=appointment.patient_id,
        )
