"""Changing a booked series: move or cancel one occurrence, this one and the following, or all.

Only occurrences still ahead (scheduled or confirmed, starting after now) change; visits that
happened, or were cancelled, stay as they were. A move keeps each occurrence's date and puts
it at the new local time (or, for one occurrence, at any new start), checks the provider's
calendar the way booking does (ignoring the visit being moved), and keeps its allowance hold;
any occurrence that cannot move refuses the whole change with nothing moved. Cancelling goes
through appointment_transition, so holds are released and late cancels follow the type's
policy.
"""

from datetime import datetime, time, timedelta
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import FieldError, ValidationFailed
from careloop.scheduling.errors import SlotTaken
from careloop.scheduling.lifecycle import Action
from careloop.scheduling.localtime import instant
from careloop.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    AppointmentStatusChange,
)
from careloop.scheduling.selectors.calendars import location_zone
from careloop.scheduling.services.booking import (
    BookingRequest,
    calendar_problem,
    problem_message,
)
from careloop.scheduling.services.locks import lock_provider_calendar
from careloop.scheduling.services.reminders import reminders_forget
from careloop.scheduling.services.status import appointment_transition

CHANGEABLE = (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)


class Scope(StrEnum):
    ONE = "one"
    FOLLOWING = "following"  # this occurrence and every later one
    ALL = "all"


def _in_scope(
    series: AppointmentSeries, scope: Scope, occurrence_index: int | None
) -> list[Appointment]:
    if scope != Scope.ALL and occurrence_index is None:
        raise ValidationFailed.single(
            "occurrence_index", "Name the occurrence the change starts from.", "required"
        )
    rows = Appointment.objects.select_related(
        "appointment_type", "location", "patient", "provider"
    ).filter(series=series, status__in=CHANGEABLE, start_at__gt=clock.now())
    if scope == Scope.ONE:
        rows = rows.filter(occurrence_index=occurrence_index)
    elif scope == Scope.FOLLOWING:
        rows = rows.filter(occurrence_index__gte=occurrence_index)
    found = list(rows.order_by("occurrence_index"))
    if not found:
        raise ValidationFailed.single(
            "occurrence_index",
            "No occurrence ahead in the series is scheduled or confirmed in that scope.",
            "nothing_to_change",
        )
    return found


def series_cancel(
    *,
    actor: User | None,
    series: AppointmentSeries,
    scope: Scope,
    occurrence_index: int | None = None,
    reason: str = "",
) -> list[Appointment]:
    """Cancel the occurrences ahead in `scope`; the ones cancelled."""
    with transaction.atomic():
        targets = _in_scope(series, scope, occurrence_index)
        for appointment in targets:
            appointment_transition(
                actor=actor, appointment=appointment, action=Action.CANCEL, reason=reason
            )
        audit_record(
            action="appointment_series.cancel",
            actor=actor,
            patient_id=series.patient_id,
            object_type="appointment_series",
            object_id=series.pk,
            detail={"scope": scope.value, "from": occurrence_index, "cancelled": len(targets)},
        )
    return targets


def series_move(
    *,
    actor: User | None,
    series: AppointmentSeries,
    scope: Scope,
    occurrence_index: int | None = None,
    local_start_time: time | None = None,
    start_at: datetime | None = None,
) -> list[Appointment]:
    """Move the occurrences ahead in `scope`; the ones moved.

    One occurrence moves to `start_at` (or to `local_start_time` on its own date); several
    move to `local_start_time` on each one's date, and moving all changes the series' time.
    """
    if scope != Scope.ONE and start_at is not None:
        raise ValidationFailed.single(
            "start_at", "Several occurrences move by a new local start time.", "one_only"
        )
    if start_at is None and local_start_time is None:
        raise ValidationFailed.single(
            "local_start_time", "Give the new local start time.", "required"
        )
    if start_at is not None and timezone.is_naive(start_at):
        raise ValidationFailed.single("start_at", "Give the start with its time zone.", "naive")
    zone = location_zone(series.location)
    with transaction.atomic():
        lock_provider_calendar(series.provider_id)
        targets = _in_scope(series, scope, occurrence_index)
        now = clock.now()
        problems: list[FieldError] = []
        moves: list[tuple[Appointment, datetime]] = []
        for appointment in targets:
            if start_at is not None:
                new_start = start_at
            else:
                assert local_start_time is not None
                day = appointment.start_at.astimezone(zone).date()
                new_start = instant(day, local_start_time, zone)
            problem = _move_problem(appointment, new_start, now=now)
            if problem is not None:
                field = "start_at" if start_at is not None else "local_start_time"
                local = new_start.astimezone(zone)
                problems.append(
                    FieldError(
                        field,
                        f"Occurrence {appointment.occurrence_index} on {local:%Y-%m-%d %H:%M}: "
                        f"{problem[1]}",
                        problem[0],
                    )
                )
            moves.append((appointment, new_start))
        if problems:
            raise ValidationFailed(problems)
        for appointment, new_start in moves:
            _move(appointment, new_start, actor=actor, now=now)
        if scope == Scope.ALL and local_start_time is not None:
            series.local_start_time = local_start_time
            series.save(update_fields=["local_start_time"])
        audit_record(
            action="appointment_series.move",
            actor=actor,
            patient_id=series.patient_id,
            object_type="appointment_series",
            object_id=series.pk,
            detail={"scope": scope.value, "from": occurrence_index, "moved": len(moves)},
        )
    return [appointment for appointment, _ in moves]


def _move_problem(
    appointment: Appointment, start: datetime, *, now: datetime
) -> tuple[str, str] | None:
    kind = appointment.appointment_type
    if start < now:
        return "in_the_past", "the start is in the past."
    if start < now + timedelta(minutes=kind.lead_time_minutes):
        return "inside_lead_time", f"book at least {kind.lead_time_minutes} minutes ahead."
    request = BookingRequest(
        appointment.patient, appointment.provider, appointment.location, kind, start
    )
    problem = calendar_problem(request, ignore_appointment_ids=[appointment.pk])
    if problem is None:
        return None
    return problem, problem_message(problem, kind)


def _move(appointment: Appointment, start: datetime, *, actor: User | None, now: datetime) -> None:
    kind = appointment.appointment_type
    old_start = appointment.start_at
    appointment.start_at = start
    appointment.end_at = start + timedelta(minutes=kind.duration_minutes)
    appointment.blocked_until = appointment.end_at + timedelta(minutes=kind.buffer_minutes)
    appointment.updated_at = now
    try:
        with transaction.atomic():
            appointment.save(update_fields=["start_at", "end_at", "blocked_until", "updated_at"])
    except IntegrityError as error:
        if "appointment_provider_no_overlap" in str(error):
            raise SlotTaken(
                f"Occurrence {appointment.occurrence_index}: the provider already has a visit "
                "then; nothing was moved."
            ) from error
        raise
    AppointmentStatusChange.objects.create(
        appointment=appointment,
        action="move",
        from_status=appointment.status,
        to_status=appointment.status,
        recorded_at=now,
        actor=actor,
        reason=f"Moved from {old_start.isoformat()}",
    )
    audit_record(
        action="appointment.move",
        actor=actor,
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.pk,
        detail={"from": old_start.isoformat(), "to": start.isoformat()},
    )
    reminders_forget(appointment)
