from django.conf import settings
from django.db import models

from careloop.scheduling.models.appointments import Appointment


class AppointmentReminder(models.Model):
    """A visit's reminder `hours_before` its start, recorded once whether sent or passed over.

    Passed over (`sent` false): a nearer reminder was due at the same time (only the nearest is
    sent), or the visit was booked after the reminder's moment. Moving a visit deletes its rows
    so that the new time is reminded afresh.
    """

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    hours_before = models.PositiveSmallIntegerField()
    sent = models.BooleanField()
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "hours_before"], name="appointment_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"reminder {self.hours_before} h before appointment {self.appointment_id}"


class CalendarFeed(models.Model):
    """A provider's private iCalendar address. Only the SHA-256 of its token is kept: the
    token lives in the address given to the provider once, and renewing it ends the old one."""

    provider = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_read_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar feed of user {self.provider_id}"
