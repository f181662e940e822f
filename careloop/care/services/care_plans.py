"""Care plans: applying a protocol to a patient, the one status transition, adding activities."""

from datetime import date

from django.db import IntegrityError, transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.care.errors import ProtocolAlreadyApplied
from careloop.care.lifecycle import PlanAction, TaskAction, plan_target
from careloop.care.models import (
    ACTIVITY_FIELDS,
    OPEN_PLAN_STATUSES,
    UNFINISHED_TASK_STATUSES,
    CareActivity,
    CarePlan,
    CarePlanChange,
    CarePlanStatus,
    Protocol,
)
from careloop.care.services.activities import ActivitySpec, activity_columns
from careloop.care.services.generation import care_plan_generate
from careloop.care.services.tasks import care_task_transition, required_reason
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import Membership
from careloop.patients.models import Patient


def care_plan_create(
    *,
    actor: User | None,
    patient: Patient,
    protocol: Protocol,
    started_on: date,
    membership: Membership | None = None,
    status: CarePlanStatus = CarePlanStatus.ACTIVE,
    reason: str = "",
) -> CarePlan:
    """Apply `protocol` to `patient` from `started_on`, copying its activities into the plan.

    The database refuses a second open care plan of the same protocol for a patient
    (ProtocolAlreadyApplied). Generates nothing: callers generate after they are done.
    """
    now = clock.now()
    try:
        with transaction.atomic():
            plan = CarePlan.objects.create(
                patient=patient,
                protocol=protocol,
                membership=membership,
                status=status,
                started_on=started_on,
                active_since=started_on,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        raise ProtocolAlreadyApplied(
            f"{patient.full_name} already has an open care plan from {protocol.name}."
        ) from None
    for activity in protocol.activities.order_by("order", "id"):
        CareActivity.objects.create(
            care_plan=plan,
            activity=activity,
            starts_on=started_on,
            created_at=now,
            **{name: getattr(activity, name) for name in ACTIVITY_FIELDS},
        )
    CarePlanChange.objects.create(
        care_plan=plan,
        action="apply",
        to_status=status,
        effective_on=started_on,
        recorded_at=now,
        actor=actor,
        reason=reason,
    )
    audit_record(
        action="care.plan_apply",
        actor=actor,
        patient_id=patient.pk,
        object_type="care_plan",
        object_id=plan.pk,
        detail={
            "protocol": protocol.pk,
            "membership": membership.pk if membership else None,
            "started_on": started_on.isoformat(),
        },
    )
    return plan


def care_plan_apply(
    *,
    actor: User,
    patient: Patient,
    protocol: Protocol,
    started_on: date | None = None,
    reason: str = "",
) -> CarePlan:
    """Staff apply a protocol to a patient by hand, from `started_on` (today by default), and
    the first work due within the horizon is generated."""
    if not protocol.active:
        raise ValidationFailed.single(
            "protocol", f"{protocol.name} is not active; activate it first.", "inactive"
        )
    today = clock.today()
    with transaction.atomic():
        plan = care_plan_create(
            actor=actor,
            patient=patient,
            protocol=protocol,
            started_on=started_on or today,
            reason=reason.strip(),
        )
        care_plan_generate(care_plan=plan, as_of=today)
    return plan


def care_plan_transition(
    *,
    actor: User | None,
    care_plan: CarePlan,
    action: PlanAction,
    effective_on: date,
    reason: str = "",
) -> CarePlan:
    """Apply `action` to the care plan's status, record it, cascade to its tasks.

    Refuses (IllegalCarePlanTransition, nothing changed) what the lifecycle table does not
    allow. Closing and ending cancel every unfinished task with the reason, keeping done and
    skipped ones as history; resuming restarts generation from `effective_on`.
    """
    with transaction.atomic():
        plan = CarePlan.objects.select_for_update(of=("self",)).get(pk=care_plan.pk)
        current = CarePlanStatus(plan.status)
        target = plan_target(current, action)
        plan.status = target
        if action == PlanAction.RESUME:
            plan.active_since = max(effective_on, plan.started_on)
        if action in (PlanAction.CLOSE, PlanAction.END):
            plan.ended_on = max(effective_on, plan.started_on)
        plan.updated_at = clock.now()
        plan.save()
        if action in (PlanAction.CLOSE, PlanAction.END):
            unfinished = plan.tasks.filter(status__in=UNFINISHED_TASK_STATUSES).order_by("id")
            for task in unfinished:
                care_task_transition(
                    actor=actor,
                    task=task,
                    action=TaskAction.CANCEL,
                    reason=reason or f"Care plan {target.label.lower()}.",
                    audit=False,
                )
        CarePlanChange.objects.create(
            care_plan=plan,
            action=action.value,
            from_status=current,
            to_status=target,
            effective_on=effective_on,
            recorded_at=clock.now(),
            actor=actor,
            reason=reason,
        )
        audit_record(
            action=f"care.plan_{action.value}",
            actor=actor,
            patient_id=plan.patient_id,
            object_type="care_plan",
            object_id=plan.pk,
            detail={
                "from": str(current),
                "to": str(target),
                "effective_on": effective_on.isoformat(),
            },
        )
    care_plan.refresh_from_db()
    return care_plan


def care_activity_add(
    *,
    actor: User,
    care_plan: CarePlan,
    spec: ActivitySpec,
    reason: str,
    starts_on: date | None = None,
) -> CareActivity:
    """Add an activity to one patient's care plan (not to its protocol), with the reason; its
    first work due within the horizon is generated."""
    reason = required_reason(reason)
    values = activity_columns(spec)
    today = clock.today()
    with transaction.atomic():
        plan = CarePlan.objects.select_for_update(of=("self",)).get(pk=care_plan.pk)
        if plan.status not in OPEN_PLAN_STATUSES:
            raise ValidationFailed.single(
                "care_plan",
                f"The care plan is {plan.get_status_display().lower()}; add activities to an "
                "open one.",
                "care_plan_not_open",
            )
        activity = CareActivity.objects.create(
            care_plan=plan,
            starts_on=max(starts_on or today, plan.started_on),
            added_reason=reason,
            created_at=clock.now(),
            **values,
        )
        audit_record(
            action="care.activity_add",
            actor=actor,
            patient_id=plan.patient_id,
            object_type="care_plan",
            object_id=plan.pk,
            detail={"activity": activity.pk, "kind": activity.kind},
        )
        care_plan_generate(care_plan=plan, as_of=today)
    return activity
