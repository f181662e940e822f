"""Appointments, their status history, and the series that book them repeatedly."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from careloop.scheduling.models.calendar import AppointmentType, Location, Weekday


class SeriesFrequency(models.TextChoices):
    DAILY = "daily", "Every N days"
    WEEKLY = "weekly", "Every N weeks"
    MONTHLY_ON_DATE = "monthly_on_date", "Monthly on a date"
    MONTHLY_ON_WEEKDAY = "monthly_on_weekday", "Monthly on an ordinal weekday"


class AppointmentSeries(models.Model):
    """A rule that books the same visit repeatedly at the same local time.

    Occurrences come from careloop.scheduling.series: every `interval` days, weeks or months
    from `start_date`; monthly on the start date's day (clamped at short months' ends, never
    drifting) or on the `ordinal` `weekday` (1-4, or -1 for the last); for `count`
    occurrences or until `until` (inclusive), never both.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointment_series"
    )
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="+"
    )
    frequency = models.CharField(max_length=20, choices=SeriesFrequency.choices)
    interval = models.PositiveSmallIntegerField(default=1)
    start_date = models.DateField()
    local_start_time = models.TimeField()
    ordinal = models.SmallIntegerField(null=True, blank=True)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, null=True, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "appointment series"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__isnull=False, until__isnull=True)
                | Q(count__isnull=True, until__isnull=False),
                name="series_ends_by_count_or_date",
            ),
            models.CheckConstraint(condition=Q(interval__gte=1), name="series_interval_positive"),
        ]

    def __str__(self) -> str:
        return f"{SeriesFrequency(self.frequency).label} from {self.start_date.isoformat()}"


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CONFIRMED = "confirmed", "Confirmed"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# Statuses whose appointment keeps its time: everything but a cancellation. The PostgreSQL
# exclusion constraint (migration 0002) names the same set.
HOLDS_TIME = frozenset(AppointmentStatus) - {AppointmentStatus.CANCELLED}


class Appointment(models.Model):
    """One visit: a patient with a provider at a location, from `start_at` to `end_at` (UTC).

    `blocked_until` is `end_at` plus the type's buffer when booked: the provider's time stays
    taken until then. Two appointments of one provider that hold time never overlap (a
    PostgreSQL exclusion constraint; on SQLite the booking's write lock, see services/booking).
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    membership = models.ForeignKey(
        "memberships.Membership",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="appointments"
    )
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    blocked_until = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    late_cancel = models.BooleanField(default=False)
    service = models.ForeignKey(
        "memberships.Service",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The plan service the visit uses; empty when its type uses none.",
    )
    coverage = models.CharField(
        max_length=20, blank=True, help_text="The membership effect when booked (BookingOutcome)."
    )
    quoted_price = models.PositiveIntegerField(
        default=0, help_text="Minor units the patient agreed to pay for the visit when booked."
    )
    series = models.ForeignKey(
        AppointmentSeries,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    occurrence_index = models.PositiveIntegerField(null=True, blank=True)
    care_task = models.ForeignKey(
        "care.CareTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
        help_text="The care-plan occurrence this visit carries out; completing it closes the task.",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["start_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=models.F("start_at")), name="appointment_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(blocked_until__gte=models.F("end_at")),
                name="appointment_blocked_past_end",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in AppointmentStatus]),
                name="appointment_status_is_known",
            ),
            models.CheckConstraint(
                condition=Q(series__isnull=True, occurrence_index__isnull=True)
                | Q(series__isnull=False, occurrence_index__isnull=False),
                name="appointment_occurrence_with_series",
            ),
            models.UniqueConstraint(
                fields=["series", "occurrence_index"],
                condition=~Q(status=AppointmentStatus.CANCELLED),
                name="appointment_occurrence_once",
            ),
        ]
        indexes = [
            # Covers availability's read of a provider's busy time: the index alone answers it,
            # without a look-up of each visit's row.
            models.Index(
                fields=["provider", "start_at", "blocked_until", "status"],
                name="appointment_provider_busy",
            ),
            models.Index(fields=["patient", "start_at"], name="appointment_patient_start"),
        ]

    def __str__(self) -> str:
        return f"appointment #{self.pk} at {self.start_at.isoformat()}"


class AppointmentStatusChange(models.Model):
    """History of an appointment's status: every transition, by whom, when and why."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="status_changes"
    )
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=12, choices=AppointmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=AppointmentStatus.choices)
    recorded_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    late = models.BooleanField(default=False, help_text="A cancellation inside the window.")

    class Meta:
        ordering = ["appointment", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status}"
