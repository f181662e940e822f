"""Protocols, plans and enrolled patients for the care tests (synthetic data only).

The clinic's day: the memberships builders freeze the clock at 15:00 UTC, mid-morning in the
clinic's time zone (America/Chicago), so clock.today() is the date given.
"""

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from careloop.accounts.models import User
from careloop.care.models import CarePlan, CareTask, Protocol
from careloop.care.services.activities import ActivitySpec
from careloop.care.services.protocols import protocol_create
from careloop.memberships.models import Membership, Plan
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.patients.models import Patient
from careloop.testing.factories import make_patient


def check_in(**timing: Any) -> ActivitySpec:
    columns: dict[str, Any] = {
        "kind": "check_in_visit",
        "role": "provider",
        "repeat": "every",
        "every": 1,
        "unit": "months",
        "service_kind": "provider_visit",
        "instructions": "Monthly follow-up visit.",
    }
    return ActivitySpec(**(columns | timing))


def coaching(**timing: Any) -> ActivitySpec:
    columns: dict[str, Any] = {
        "kind": "coaching_session",
        "role": "coordinator",
        "repeat": "every",
        "every": 2,
        "unit": "weeks",
        "order": 1,
    }
    return ActivitySpec(**(columns | timing))


def quarterly_labs() -> ActivitySpec:
    return ActivitySpec(
        kind="lab_order",
        role="provider",
        repeat="calendar",
        calendar_months="1,4,7,10",
        day_of_month=15,
        order=2,
    )


def protocol(
    actor: User | None, plan: Plan | None, *activities: ActivitySpec, name: str = "Metabolic health"
) -> Protocol:
    return protocol_create(
        actor=actor,
        name=name,
        plans=[plan] if plan is not None else [],
        activities=list(activities),
    )


def essentials() -> Plan:
    return make_plan(code="essentials", rank=1)


def active_care() -> Plan:
    return make_plan(code="active-care", rank=2)


def enrolled(actor: User, plan: Plan, on: date, patient: Patient | None = None) -> Membership:
    freeze_on(on)
    return enroll(actor, plan, patient or make_patient(), start=on)


def care_plans(membership: Membership) -> list[CarePlan]:
    return list(CarePlan.objects.filter(membership=membership).order_by("id"))


def tasks(plan: CarePlan, kind: str | None = None) -> list[CareTask]:
    rows = CareTask.objects.filter(care_plan=plan).select_related("care_activity")
    if kind is not None:
        rows = rows.filter(care_activity__kind=kind)
    return list(rows.order_by("care_activity__order", "index"))


def due_dates(plan: CarePlan, kind: str) -> list[date]:
    return [task.due_on for task in tasks(plan, kind)]


def stale_once(read: Callable[[Sequence[int]], dict[int, CareTask]]) -> Callable[..., Any]:
    """A stand-in for generation's read of the newest occurrences whose first answer is
    "none yet", as a worker's read is when another writes right after it looked."""
    calls = iter([True])

    def read_once(plan_ids: Sequence[int]) -> dict[int, CareTask]:
        return {} if next(calls, False) else read(plan_ids)

    return read_once
