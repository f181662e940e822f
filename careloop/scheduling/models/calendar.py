"""What the clinic's calendar is made of: locations, providers' hours, breaks, time off,
holidays and the kinds of appointment it books.

Hours and breaks are wall-clock times in the location's time zone; availability
(careloop.scheduling.availability) turns them into instants day by day, so a 9:00 start stays
9:00 across daylight-saving changes.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from careloop.core.models import validate_time_zone
from careloop.memberships.models import Plan, ServiceKind


class Location(models.Model):
    """A place where providers see patients. An empty time zone follows the clinic's."""

    name = models.CharField(max_length=120, unique=True)
    address = models.TextField(blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Empty: the clinic's time zone.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WeeklyTimes(models.Model):
    """A provider's recurring stretch of a weekday at a location, valid between two dates."""

    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True, help_text="Inclusive.")

    class Meta:
        abstract = True
        ordering = ["provider", "location", "weekday", "start_time"]

    def __str__(self) -> str:
        return f"{Weekday(self.weekday).label} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class WorkingHours(WeeklyTimes):
    class Meta(WeeklyTimes.Meta):
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="hours_end_after_start"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday_known"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="hours_valid_until_after_from",
            ),
        ]
        indexes = [models.Index(fields=["provider", "location"], name="hours_provider_location")]


class Break(WeeklyTimes):
    """A recurring pause inside working hours (lunch); no slot overlaps it."""

    class Meta(WeeklyTimes.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="break_end_after_start"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="break_weekday_known"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="break_valid_until_after_from",
            ),
        ]


class TimeOff(models.Model):
    """A provider away between two instants (holiday, conference, sick day), at every location."""

    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "time off"
        ordering = ["provider", "start_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=models.F("start_at")), name="time_off_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"time off from {self.start_at.isoformat()}"


class ClinicHoliday(models.Model):
    """A day the clinic (or one location, when set) books nothing."""

    date = models.DateField()
    name = models.CharField(max_length=120)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["date", "location"], name="holiday_once_per_location"),
            models.UniqueConstraint(
                fields=["date"], condition=Q(location__isnull=True), name="holiday_once_clinic_wide"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.date.isoformat()})"


class VisitMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    TELEHEALTH = "telehealth", "Telehealth"


# The longest visit and the longest buffer after one: a visit holds its provider's time for at
# most their sum, which lets calendar reads look back a bounded stretch for visits still running.
MAX_DURATION_MINUTES = 24 * 60
MAX_BUFFER_MINUTES = 24 * 60


class AppointmentType(models.Model):
    """A kind of visit the clinic books, with its length, policies and who may book it.

    `buffer_minutes` is kept free after each visit (notes, room turnover); the next visit may
    start only after it. `plans_allowed` empty means every patient may book it; otherwise only
    members of those plans. Fees are integer minor units in the clinic's currency.
    """

    name = models.CharField(max_length=120, unique=True)
    duration_minutes = models.PositiveIntegerField()
    buffer_minutes = models.PositiveIntegerField(default=0)
    mode = models.CharField(max_length=12, choices=VisitMode.choices, default=VisitMode.IN_PERSON)
    service_kind = models.CharField(
        max_length=30,
        choices=ServiceKind.choices,
        blank=True,
        help_text="The plan benefit a visit of this type uses; empty: none.",
    )
    plans_allowed = models.ManyToManyField(Plan, blank=True, related_name="+")
    lead_time_minutes = models.PositiveIntegerField(
        default=0, help_text="How long before its start a visit may still be booked."
    )
    self_bookable = models.BooleanField(default=False)
    late_cancel_window_hours = models.PositiveIntegerField(default=24)
    late_cancel_fee = models.PositiveIntegerField(default=0, help_text="Minor units.")
    late_cancel_keeps_allowance = models.BooleanField(
        default=True, help_text="A late cancel counts as a use of the held allowance."
    )
    no_show_fee = models.PositiveIntegerField(default=0, help_text="Minor units.")
    no_show_keeps_allowance = models.BooleanField(
        default=True, help_text="A no-show counts as a use of the held allowance."
    )
    non_members_allowed = models.BooleanField(
        default=True,
        help_text="Patients without a covering membership may book it at the a-la-carte price.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=MAX_DURATION_MINUTES),
                name="appointment_type_duration_sensible",
            ),
            models.CheckConstraint(
                condition=Q(buffer_minutes__lte=MAX_BUFFER_MINUTES),
                name="appointment_type_buffer_sensible",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LapsedMembershipBooking(models.TextChoices):
    WARN = "warn", "Warn, then book"
    BLOCK = "block", "Refuse the booking"


def default_reminder_hours() -> list[int]:
    return [48, 2]


class SchedulingSettings(models.Model):
    """Clinic-wide booking policy; one row (defaults apply while there is none).

    `lapsed_membership_booking` says what booking does for a patient whose membership is past
    due or paused: warn (the visit is then priced as the membership's coverage says) or block.
    `reminder_hours` says how many hours before a visit the patient is reminded (48 and 2 by
    default; an empty list sends none).
    """

    lapsed_membership_booking = models.CharField(
        max_length=10,
        choices=LapsedMembershipBooking.choices,
        default=LapsedMembershipBooking.WARN,
    )
    reminder_hours = models.JSONField(default=default_reminder_hours)

    class Meta:
        verbose_name_plural = "scheduling settings"

    def __str__(self) -> str:
        return "scheduling settings"


class PriorityCapacity(models.Model):
    """Slots held for members of chosen plans until a release time, then open to everyone.

    A slot is held when it starts at or after `start_time` and before `end_time` (wall-clock at
    the location) on a provider's calendar this rule names (no provider: every provider; no
    type: every type), until `release_time` on the day `release_days_before` days before the
    slot's day. E.g. same-day slots from 13:00 to 17:00 held for Concierge until 8:00 that day.
    """

    name = models.CharField(max_length=120)
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appointment_type = models.ForeignKey(
        AppointmentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plans = models.ManyToManyField(Plan, related_name="+")
    start_time = models.TimeField()
    end_time = models.TimeField()
    release_days_before = models.PositiveSmallIntegerField(default=0)
    release_time = models.TimeField()
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "priority capacity"
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="priority_capacity_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name
