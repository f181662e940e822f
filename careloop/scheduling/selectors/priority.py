"""Reads for priority capacity: the held windows that apply to a type, and the patient's plan."""

from datetime import date, datetime

from django.db.models import Q

from careloop.core import clock
from careloop.memberships.lifecycle import COVERING
from careloop.memberships.selectors.memberships import membership_for_patient
from careloop.patients.models import Patient
from careloop.scheduling.models import AppointmentType, Location, PriorityCapacity
from careloop.scheduling.priority import HeldWindow, holding_window
from careloop.scheduling.selectors.calendars import location_zone


def held_windows(appointment_type: AppointmentType) -> list[HeldWindow]:
    rows = (
        PriorityCapacity.objects.filter(active=True)
        .filter(Q(appointment_type__isnull=True) | Q(appointment_type=appointment_type))
        .prefetch_related("plans")
    )
    return [
        HeldWindow(
            plan_ids=frozenset(plan.pk for plan in row.plans.all()),
            plan_names=tuple(sorted(plan.name for plan in row.plans.all())),
            start=row.start_time,
            end=row.end_time,
            release_time=row.release_time,
            release_days_before=row.release_days_before,
            provider_id=row.provider_id,
            appointment_type_id=row.appointment_type_id,
        )
        for row in rows
    ]


def covering_plan_id(patient: Patient | None, on: date) -> int | None:
    """The plan of the patient's tier membership on `on`, when that membership covers them."""
    if patient is None:
        return None
    membership = membership_for_patient(patient=patient, on=on)
    if membership is None or membership.status not in COVERING:
        return None
    return membership.plan_id


def slot_held(
    *,
    patient: Patient | None,
    provider_id: int,
    appointment_type: AppointmentType,
    location: Location,
    start: datetime,
    windows: list[HeldWindow] | None = None,
) -> HeldWindow | None:
    """The window that keeps this slot from the patient now (None: they may book it)."""
    windows = held_windows(appointment_type) if windows is None else windows
    if not windows:
        return None
    zone = location_zone(location)
    return holding_window(
        windows,
        provider_id=provider_id,
        appointment_type_id=appointment_type.pk,
        start=start,
        zone=zone,
        now=clock.now(),
        plan_id=covering_plan_id(patient, start.astimezone(zone).date()),
    )
