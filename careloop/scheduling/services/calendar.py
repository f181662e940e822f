"""Writes to the clinic's calendar settings: locations, hours, breaks, time off, holidays,
appointment types and the booking policy. Only a practice admin may make them; each checks
every field first and reports every problem at once, changing nothing.
"""

from dataclasses import asdict, dataclass
from datetime import date, datetime, time

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, require_capability
from careloop.audit.services import audit_record
from careloop.core.errors import FieldError, ValidationFailed
from careloop.core.selectors import time_zone_names
from careloop.memberships.models import Plan
from careloop.scheduling.models import (
    MAX_BUFFER_MINUTES,
    MAX_DURATION_MINUTES,
    AppointmentType,
    Break,
    ClinicHoliday,
    LapsedMembershipBooking,
    Location,
    PriorityCapacity,
    SchedulingSettings,
    TimeOff,
    VisitMode,
    WorkingHours,
)
from careloop.scheduling.services.booking import BOOKABLE_ROLES
from careloop.scheduling.services.reminders import reminder_hours_problems, validate_reminder_hours


@dataclass(frozen=True)
class _Weekly:
    """The shape hours and breaks share."""

    weekday: int
    start_time: time
    end_time: time
    valid_from: date | None
    valid_until: date | None


def _audit(actor: User, action: str, row: object, fields: list[str]) -> None:
    audit_record(
        action=f"scheduling.{action}",
        actor=actor,
        object_type=type(row).__name__.lower(),
        object_id=getattr(row, "pk", ""),
        detail={"fields": fields},
    )


def location_create(*, actor: User, name: str, address: str = "", time_zone: str = "") -> Location:
    """Add a location; an empty time zone follows the clinic's."""
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    errors = []
    cleaned = name.strip()
    if not cleaned:
        errors.append(FieldError("name", "Location name is required.", "required"))
    elif Location.objects.filter(name__iexact=cleaned).exists():
        errors.append(FieldError("name", f"There is already a location {cleaned}.", "duplicate"))
    zone = time_zone.strip()
    if zone and zone not in time_zone_names():
        errors.append(
            FieldError(
                "time_zone",
                f"“{zone}” is not an IANA time zone such as America/Chicago.",
                "unknown_time_zone",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        location = Location.objects.create(name=cleaned, address=address.strip(), time_zone=zone)
        _audit(actor, "location_create", location, ["name", "address", "time_zone"])
    return location


def _weekly_errors(provider: User, shape: _Weekly) -> list[FieldError]:
    weekday, start_time, end_time = shape.weekday, shape.start_time, shape.end_time
    valid_from, valid_until = shape.valid_from, shape.valid_until
    errors = []
    if provider.role not in BOOKABLE_ROLES:
        errors.append(FieldError("provider", "Only providers and coaches have hours.", "invalid"))
    if not 0 <= weekday <= 6:
        errors.append(FieldError("weekday", "Choose a weekday (Monday 0 to Sunday 6).", "invalid"))
    if end_time <= start_time:
        errors.append(
            FieldError(
                "end_time",
                f"The end {end_time:%H:%M} must be after the start {start_time:%H:%M}.",
                "before_start",
            )
        )
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        errors.append(
            FieldError(
                "valid_until",
                f"Valid until {valid_until.isoformat()} is before valid from "
                f"{valid_from.isoformat()}.",
                "before_start",
            )
        )
    return errors


def _same_stretch(shape: _Weekly) -> Q:
    """Rows of the same weekday whose times and validity overlap the given ones."""
    weekday, start_time, end_time = shape.weekday, shape.start_time, shape.end_time
    valid_from, valid_until = shape.valid_from, shape.valid_until
    condition = Q(weekday=weekday, start_time__lt=end_time, end_time__gt=start_time)
    if valid_until is not None:
        condition &= Q(valid_from__isnull=True) | Q(valid_from__lte=valid_until)
    if valid_from is not None:
        condition &= Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from)
    return condition


def working_hours_add(
    *,
    actor: User,
    provider: User,
    location: Location,
    weekday: int,
    start_time: time,
    end_time: time,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> WorkingHours:
    """Add a stretch of a provider's weekday at a location.

    A provider is at one place at a time: hours that overlap the provider's other hours on
    that weekday, at any location, for overlapping dates, are refused.
    """
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    shape = _Weekly(weekday, start_time, end_time, valid_from, valid_until)
    errors = _weekly_errors(provider, shape)
    if not errors:
        clash = (
            WorkingHours.objects.filter(provider=provider)
            .filter(_same_stretch(shape))
            .select_related("location")
            .first()
        )
        if clash is not None:
            errors.append(
                FieldError(
                    "start_time",
                    f"These hours overlap {clash} at {clash.location}.",
                    "overlaps",
                )
            )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        hours = WorkingHours.objects.create(provider=provider, location=location, **asdict(shape))
        _audit(actor, "working_hours_add", hours, list(asdict(shape)))
    return hours


def break_add(
    *,
    actor: User,
    provider: User,
    location: Location,
    weekday: int,
    start_time: time,
    end_time: time,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> Break:
    """Add a recurring break; it must lie inside the provider's hours there that weekday."""
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    shape = _Weekly(weekday, start_time, end_time, valid_from, valid_until)
    errors = _weekly_errors(provider, shape)
    if not errors:
        inside = WorkingHours.objects.filter(
            provider=provider,
            location=location,
            weekday=weekday,
            start_time__lte=start_time,
            end_time__gte=end_time,
        ).exists()
        if not inside:
            errors.append(
                FieldError(
                    "start_time",
                    f"A break must lie inside the provider's hours at {location} that day.",
                    "outside_hours",
                )
            )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        pause = Break.objects.create(provider=provider, location=location, **asdict(shape))
        _audit(actor, "break_add", pause, list(asdict(shape)))
    return pause


def time_off_add(
    *, actor: User, provider: User, start_at: datetime, end_at: datetime, reason: str = ""
) -> TimeOff:
    """Record a provider away between two instants (booked visits are left for staff to move)."""
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    errors = []
    if provider.role not in BOOKABLE_ROLES:
        errors.append(
            FieldError("provider", "Only providers and coaches take time off.", "invalid")
        )
    for field, value in (("start_at", start_at), ("end_at", end_at)):
        if timezone.is_naive(value):
            errors.append(FieldError(field, "Give the time with its time zone.", "naive"))
    if not errors and end_at <= start_at:
        errors.append(FieldError("end_at", "The end must be after the start.", "before_start"))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        away = TimeOff.objects.create(
            provider=provider, start_at=start_at, end_at=end_at, reason=reason.strip()
        )
        _audit(actor, "time_off_add", away, ["start_at", "end_at", "reason"])
    return away


def clinic_holiday_add(
    *, actor: User, date: date, name: str, location: Location | None = None
) -> ClinicHoliday:
    """Close one location (or, without one, every location) on a date."""
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    errors = []
    cleaned = name.strip()
    if not cleaned:
        errors.append(FieldError("name", "Holiday name is required.", "required"))
    if ClinicHoliday.objects.filter(date=date, location=location).exists():
        errors.append(
            FieldError("date", f"{date.isoformat()} is already a holiday there.", "duplicate")
        )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        holiday = ClinicHoliday.objects.create(date=date, name=cleaned, location=location)
        _audit(actor, "holiday_add", holiday, ["date", "name", "location"])
    return holiday


def appointment_type_create(
    *,
    actor: User,
    name: str,
    duration_minutes: int,
    buffer_minutes: int = 0,
    mode: VisitMode = VisitMode.IN_PERSON,
    service_kind: str = "",
    lead_time_minutes: int = 0,
    self_bookable: bool = False,
    late_cancel_window_hours: int = 24,
    late_cancel_fee: int = 0,
    no_show_fee: int = 0,
) -> AppointmentType:
    """Add an appointment type; `plans_allowed` starts empty (every patient may book it)."""
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    errors = []
    cleaned = name.strip()
    if not cleaned:
        errors.append(FieldError("name", "Appointment type name is required.", "required"))
    elif AppointmentType.objects.filter(name__iexact=cleaned).exists():
        errors.append(FieldError("name", f"There is already a type {cleaned}.", "duplicate"))
    if not 5 <= duration_minutes <= MAX_DURATION_MINUTES:
        errors.append(
            FieldError(
                "duration_minutes",
                f"A visit lasts between 5 and {MAX_DURATION_MINUTES} minutes.",
                "out_of_range",
            )
        )
    numbers = {
        "buffer_minutes": buffer_minutes,
        "lead_time_minutes": lead_time_minutes,
        "late_cancel_window_hours": late_cancel_window_hours,
        "late_cancel_fee": late_cancel_fee,
        "no_show_fee": no_show_fee,
    }
    for field, value in numbers.items():
        if value < 0:
            errors.append(FieldError(field, "Must be zero or more.", "min_value"))
    if buffer_minutes > MAX_BUFFER_MINUTES:
        errors.append(
            FieldError(
                "buffer_minutes",
                f"A buffer after a visit is at most {MAX_BUFFER_MINUTES} minutes (a day).",
                "max_value",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        kind = AppointmentType.objects.create(
            name=cleaned,
            duration_minutes=duration_minutes,
            mode=mode,
            service_kind=service_kind,
            self_bookable=self_bookable,
            **numbers,
        )
        _audit(actor, "appointment_type_create", kind, ["name", "duration_minutes", *numbers])
    return kind


def scheduling_settings_update(
    *,
    actor: User,
    reminder_hours: object = None,
    lapsed_membership_booking: str | None = None,
) -> SchedulingSettings:
    """Change the clinic's booking policy: when patients are reminded of visits (hours before,
    at most four, each 1 to 336) and what booking does for a past-due or paused membership."""
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    errors = []
    if reminder_hours is not None:
        problem = reminder_hours_problems(reminder_hours)
        if problem is not None:
            errors.append(FieldError("reminder_hours", problem, "invalid"))
    if lapsed_membership_booking is not None and lapsed_membership_booking not in (
        LapsedMembershipBooking.values
    ):
        errors.append(
            FieldError("lapsed_membership_booking", "Choose warn or block.", "invalid_choice")
        )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        row = SchedulingSettings.objects.select_for_update().first() or SchedulingSettings()
        fields = []
        if reminder_hours is not None:
            row.reminder_hours = validate_reminder_hours(reminder_hours)
            fields.append("reminder_hours")
        if lapsed_membership_booking is not None:
            row.lapsed_membership_booking = lapsed_membership_booking
            fields.append("lapsed_membership_booking")
        row.save()
        _audit(actor, "settings_update", row, fields)
    return row


def _plans_named(plan_ids: list[int], field: str, errors: list[FieldError]) -> list[Plan]:
    plans = list(Plan.objects.filter(pk__in=plan_ids))
    missing = sorted(set(plan_ids) - {plan.pk for plan in plans})
    if missing:
        errors.append(
            FieldError(field, f"No plan {', '.join(str(pk) for pk in missing)}.", "not_found")
        )
    return plans


def appointment_type_plans_set(
    *, actor: User, appointment_type: AppointmentType, plan_ids: list[int]
) -> AppointmentType:
    """Limit who may book a type to members of these plans; an empty list opens it to every
    patient again (members at their coverage, others at the a-la-carte price)."""
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    errors: list[FieldError] = []
    plans = _plans_named(plan_ids, "plan_ids", errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        appointment_type.plans_allowed.set(plans)
        audit_record(
            action="scheduling.appointment_type_plans_set",
            actor=actor,
            object_type="appointmenttype",
            object_id=appointment_type.pk,
            detail={"plan_ids": sorted(plan.pk for plan in plans)},
        )
    return appointment_type


def priority_capacity_add(
    *,
    actor: User,
    name: str,
    plan_ids: list[int],
    start_time: time,
    end_time: time,
    release_time: time,
    release_days_before: int = 0,
    provider: User | None = None,
    appointment_type: AppointmentType | None = None,
) -> PriorityCapacity:
    """Hold slots starting from `start_time` to before `end_time` for members of the plans,
    until `release_time` on the day `release_days_before` days before the slot's day (for one
    provider or all, one type or all)."""
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    errors: list[FieldError] = []
    cleaned = name.strip()
    if not cleaned:
        errors.append(FieldError("name", "Give the rule a name.", "required"))
    if not plan_ids:
        errors.append(
            FieldError("plan_ids", "Choose the plans the slots are held for.", "required")
        )
    plans = _plans_named(plan_ids, "plan_ids", errors)
    if end_time <= start_time:
        errors.append(
            FieldError("end_time", "The held stretch must end after it starts.", "before_start")
        )
    if not 0 <= release_days_before <= 30:
        errors.append(
            FieldError(
                "release_days_before", "Release 0 to 30 days before the slot's day.", "out_of_range"
            )
        )
    if provider is not None and provider.role not in BOOKABLE_ROLES:
        errors.append(FieldError("provider", "Only providers and coaches have slots.", "invalid"))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        rule = PriorityCapacity.objects.create(
            name=cleaned,
            start_time=start_time,
            end_time=end_time,
            release_time=release_time,
            release_days_before=release_days_before,
            provider=provider,
            appointment_type=appointment_type,
        )
        rule.plans.set(plans)
        _audit(actor, "priority_capacity_add", rule, ["name", "plans", "start_time", "end_time"])
    return rule


def priority_capacity_stop(*, actor: User, rule: PriorityCapacity) -> PriorityCapacity:
    """Stop holding slots under this rule; they are open to everyone at once."""
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    with transaction.atomic():
        PriorityCapacity.objects.filter(pk=rule.pk).update(active=False)
        _audit(actor, "priority_capacity_stop", rule, ["active"])
    rule.refresh_from_db()
    return rule
