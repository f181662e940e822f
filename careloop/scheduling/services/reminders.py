"""Reminders of visits, sent once each, by a periodic job.

The clinic's `SchedulingSettings.reminder_hours` (48 and 2 by default) says when. A reminder is
due from its moment (the start less its hours) until the visit starts, for a visit still
scheduled or confirmed that was booked before that moment. When several are due at once (the
job did not run for a while) only the nearest is sent and the others are passed over, so a
patient never gets two reminders of one visit together. Each reminder is recorded with its
outbox messages in one transaction, under the appointment's lock, and the database keeps one
row per visit and hours: a rerun, or several workers at once, send nothing twice.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.scheduling.models import (
    Appointment,
    AppointmentReminder,
    AppointmentStatus,
    SchedulingSettings,
)
from careloop.scheduling.models.calendar import default_reminder_hours
from careloop.scheduling.services.notices import reminder_send

REMINDABLE = (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)
MAX_REMINDER_HOURS = 14 * 24
MAX_REMINDERS = 4


def reminder_hours() -> list[int]:
    row = SchedulingSettings.objects.first()
    return sorted(row.reminder_hours if row is not None else default_reminder_hours())


def reminder_hours_problems(hours: object) -> str | None:
    """Why `hours` cannot be the clinic's reminder hours, or None when it can."""
    if not isinstance(hours, list) or not all(
        isinstance(value, int) and not isinstance(value, bool) for value in hours
    ):
        return "Give the reminder hours as a list of whole numbers of hours."
    if len(hours) > MAX_REMINDERS:
        return f"At most {MAX_REMINDERS} reminders per visit."
    if len(set(hours)) != len(hours):
        return "Each reminder time may be given once."
    if any(value < 1 or value > MAX_REMINDER_HOURS for value in hours):
        return f"Each reminder is 1 to {MAX_REMINDER_HOURS} hours (two weeks) before the visit."
    return None


def validate_reminder_hours(hours: object) -> list[int]:
    problem = reminder_hours_problems(hours)
    if problem is not None:
        raise ValidationFailed.single("reminder_hours", problem, "invalid")
    assert isinstance(hours, list)
    return sorted(hours, reverse=True)


def _due(appointment: Appointment, hours: list[int], now: datetime) -> list[int]:
    """The reminders of `hours` whose moment has come, nearest first."""
    return sorted(
        value
        for value in hours
        if appointment.created_at <= appointment.start_at - timedelta(hours=value) <= now
    )


def _remind(appointment_id: int, hours: list[int], now: datetime) -> bool:
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("patient", "location")
            .filter(pk=appointment_id, status__in=REMINDABLE, start_at__gt=now)
            .first()
        )
        if appointment is None:
            return False
        recorded = set(appointment.reminders.values_list("hours_before", flat=True))
        due = _due(appointment, hours, now)
        if not due or due[0] in recorded:
            return False
        try:
            with transaction.atomic():
                AppointmentReminder.objects.bulk_create(
                    AppointmentReminder(
                        appointment=appointment,
                        hours_before=value,
                        sent=value == due[0],
                        recorded_at=now,
                    )
                    for value in due
                    if value not in recorded
                )
        except IntegrityError:
            return False  # another worker recorded it first
        reminder_send(appointment)
    return True


def appointment_reminders_send() -> int:
    """Send every reminder due now; return how many visits were reminded."""
    hours = reminder_hours()
    if not hours:
        return 0
    now = clock.now()
    candidates = Appointment.objects.filter(
        status__in=REMINDABLE, start_at__gt=now, start_at__lte=now + timedelta(hours=max(hours))
    ).prefetch_related("reminders")
    sent = 0
    for appointment in candidates.only("id", "start_at", "created_at"):
        due = _due(appointment, hours, now)
        recorded = {row.hours_before for row in appointment.reminders.all()}
        if due and due[0] not in recorded and _remind(appointment.pk, hours, now):
            sent += 1
    return sent


def reminders_forget(appointment: Appointment) -> None:
    """A moved visit is reminded afresh for its new time."""
    AppointmentReminder.objects.filter(appointment=appointment).delete()
