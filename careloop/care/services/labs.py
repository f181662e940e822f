"""Lab orders: creating one, the one status transition, recording results, follow-ups.

Every change runs in one transaction under a lock on the order's row, records a history row
and an audit row (ids and counts only, never result values). Results are all checked before
any is saved: one bad row refuses the whole entry or import, naming each field and rule.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.audit.services import audit_record
from careloop.care.errors import LabFollowUpDone
from careloop.care.lifecycle import LabAction, lab_target
from careloop.care.models import (
    ABNORMAL_FLAGS,
    UNFINISHED_TASK_STATUSES,
    ActivityKind,
    CareTask,
    FollowUpStatus,
    LabComponent,
    LabFollowUp,
    LabOrder,
    LabOrderChange,
    LabOrderLine,
    LabOrderStatus,
    LabPanel,
    LabResult,
    ResultFlag,
    ResultSource,
)
from careloop.care.services.tasks import care_task_complete, required_reason
from careloop.core import clock
from careloop.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from careloop.patients.models import Patient

# The timestamp each transition stamps on the order.
STAMPS = {
    LabAction.ORDER: "ordered_at",
    LabAction.COLLECT: "collected_at",
    LabAction.RESULT: "resulted_at",
    LabAction.REVIEW: "reviewed_at",
}


@dataclass(frozen=True)
class ResultInput:
    """One result as entered or read from a file; `field` names it in errors (results[0],
    row 2, entry[1])."""

    field: str
    loinc: str
    value: str
    unit: str
    observed_at: datetime | None = None
    # How the source names each part, when not plainly (FHIR: "valueQuantity.code").
    names: tuple[tuple[str, str], ...] = ()

    def name(self, part: str) -> str:
        return f"{self.field}.{dict(self.names).get(part, part)}"


def result_flag(component: LabComponent, value: Decimal, sex_at_birth: str) -> ResultFlag:
    """Critical beyond a critical bound, else low or high outside the patient's range."""
    if component.critical_low is not None and value < component.critical_low:
        return ResultFlag.CRITICAL
    if component.critical_high is not None and value > component.critical_high:
        return ResultFlag.CRITICAL
    low, high = component.range_for(sex_at_birth)
    if low is not None and value < low:
        return ResultFlag.LOW
    if high is not None and value > high:
        return ResultFlag.HIGH
    return ResultFlag.NORMAL


def _ordering_provider(provider: User | None) -> User:
    if provider is None or not provider.is_active or provider.role != Role.PROVIDER:
        raise ValidationFailed.single(
            "ordering_provider", "The ordering provider must be an active provider.", "not_provider"
        )
    return provider


def _care_task(patient: Patient, task: CareTask) -> CareTask:
    if (
        task.care_plan.patient_id != patient.pk
        or task.care_activity.kind != ActivityKind.LAB_ORDER
        or task.status not in UNFINISHED_TASK_STATUSES
    ):
        raise ValidationFailed.single(
            "care_task",
            "Choose an unfinished lab order task of this patient's care plan.",
            "not_open_lab_task",
        )
    return task


def lab_order_create(
    *,
    actor: User,
    patient: Patient,
    panels: list[LabPanel],
    ordering_provider: User | None,
    care_task: CareTask | None = None,
) -> LabOrder:
    """A draft order of `panels` for the patient, by an active provider; tied to a care plan
    through its lab order task when one is given."""
    if not panels:
        raise ValidationFailed.single("panels", "Choose at least one panel.", "required")
    codes = [panel.code for panel in panels]
    if len(set(codes)) != len(codes):
        raise ValidationFailed.single("panels", "A panel is listed twice.", "duplicate")
    provider = _ordering_provider(ordering_provider)
    if care_task is not None:
        _care_task(patient, care_task)
    now = clock.now()
    with transaction.atomic():
        order = LabOrder.objects.create(
            patient=patient,
            care_plan=care_task.care_plan if care_task is not None else None,
            care_task=care_task,
            ordering_provider=provider,
            created_at=now,
            updated_at=now,
        )
        LabOrderLine.objects.bulk_create(LabOrderLine(order=order, panel=p) for p in panels)
        LabOrderChange.objects.create(
            order=order, action="create", to_status=order.status, recorded_at=now, actor=actor
        )
        audit_record(
            action="lab.order_create",
            actor=actor,
            patient_id=patient.pk,
            object_type="lab_order",
            object_id=order.pk,
            detail={"panels": len(panels), "care_task": care_task.pk if care_task else None},
        )
    return order


def _transition(
    *, actor: User | None, order: LabOrder, action: LabAction, reason: str = ""
) -> tuple[LabOrder, LabOrderStatus]:
    """Lock the order, check the lifecycle table, set the status and its stamp, record it.
    Returns the locked row and the status it had; runs inside the caller's transaction."""
    locked = LabOrder.objects.select_for_update(of=("self",)).get(pk=order.pk)
    current = LabOrderStatus(locked.status)
    target = lab_target(current, action)
    now = clock.now()
    locked.status = target
    if action in STAMPS:
        setattr(locked, STAMPS[action], now)
    locked.updated_at = now
    locked.save()
    LabOrderChange.objects.create(
        order=locked,
        action=action.value,
        from_status=current,
        to_status=target,
        recorded_at=now,
        actor=actor,
        reason=reason,
    )
    return locked, current


def _audit(actor: User | None, order: LabOrder, action: str, **detail: Any) -> None:
    audit_record(
        action=f"lab.order_{action}",
        actor=actor,
        patient_id=order.patient_id,
        object_type="lab_order",
        object_id=order.pk,
        detail=detail,
    )


def lab_order_change(
    *, actor: User, order: LabOrder, action: LabAction, reason: str = ""
) -> LabOrder:
    """Send (order), record the specimen collected (collect) or cancel, with a reason for a
    cancellation. Refuses (IllegalLabOrderTransition) what the lifecycle table does not allow."""
    if action not in (LabAction.ORDER, LabAction.COLLECT, LabAction.CANCEL):
        raise ValueError(f"{action} has its own service")
    if action == LabAction.CANCEL:
        reason = required_reason(reason)
    with transaction.atomic():
        locked, current = _transition(actor=actor, order=order, action=action, reason=reason)
        _audit(actor, locked, action.value, **{"from": str(current), "to": locked.status})
    order.refresh_from_db()
    return order


def lab_order_review(*, actor: User, order: LabOrder) -> LabOrder:
    """A provider signs off the results; the care task the order carries out is done."""
    if actor.role != Role.PROVIDER:
        raise PermissionDenied("Only a provider reviews lab results.", code="forbidden")
    with transaction.atomic():
        locked, current = _transition(actor=actor, order=order, action=LabAction.REVIEW)
        locked.reviewed_by = actor
        locked.save(update_fields=["reviewed_by"])
        _audit(actor, locked, "review", **{"from": str(current), "to": locked.status})
        task = locked.care_task
        if task is not None and task.status in UNFINISHED_TASK_STATUSES:
            care_task_complete(actor=actor, task=task)
    order.refresh_from_db()
    return order


# LabResult.value holds 8 digits before the point and 4 after.
LARGEST_VALUE = Decimal("99999999.9999")


def _number(raw: str) -> Decimal | None:
    """The value as a decimal with at most 4 places, or None when it is not a number that
    fits the column."""
    try:
        value = Decimal(raw.strip())
    except (InvalidOperation, AttributeError):
        return None
    if not value.is_finite() or abs(value) > LARGEST_VALUE:
        return None
    return value.quantize(Decimal("0.0001"))


def _checked(
    order: LabOrder, results: list[ResultInput]
) -> list[tuple[ResultInput, LabComponent, Decimal]]:
    """Each result with its component and value, or ValidationFailed naming every bad field."""
    if not results:
        raise ValidationFailed.single("results", "Give at least one result.", "required")
    catalog = {c.loinc: c for c in LabComponent.objects.select_related("panel")}
    ordered = set(order.lines.values_list("panel_id", flat=True))
    resulted = set(order.results.values_list("component__loinc", flat=True))
    errors: list[FieldError] = []
    checked = []
    seen: set[str] = set()
    now = clock.now()
    for item in results:
        loinc = item.loinc.strip()
        component = catalog.get(loinc)
        if component is None:
            errors.append(
                FieldError(
                    item.name("loinc"),
                    f"{loinc or 'An empty code'} is not a LOINC code in the lab catalog.",
                    "unknown_loinc",
                )
            )
            continue
        if component.panel_id not in ordered:
            errors.append(
                FieldError(
                    item.name("loinc"),
                    f"{loinc} ({component.name}) was not ordered on {order.number}.",
                    "not_ordered",
                )
            )
            continue
        if loinc in resulted:
            errors.append(
                FieldError(
                    item.name("loinc"),
                    f"{loinc} already has a result on {order.number}.",
                    "already_resulted",
                )
            )
            continue
        if loinc in seen:
            errors.append(FieldError(item.name("loinc"), f"{loinc} is given twice.", "duplicate"))
            continue
        seen.add(loinc)
        value = _number(item.value)
        if value is None:
            errors.append(
                FieldError(
                    item.name("value"),
                    f"The value of {loinc} must be a number (at most {LARGEST_VALUE}).",
                    "not_numeric",
                )
            )
        if item.unit.strip() != component.unit:
            errors.append(
                FieldError(
                    item.name("unit"),
                    f"{loinc} is measured in {component.unit} "
                    f"(UCUM), not {item.unit.strip() or 'no unit'}.",
                    "unit_mismatch",
                )
            )
        if item.observed_at is not None and item.observed_at > now:
            errors.append(
                FieldError(
                    item.name("observed_at"),
                    "The observation time is in the future.",
                    "in_future",
                )
            )
        if value is not None:
            checked.append((item, component, value))
    if errors:
        raise ValidationFailed(errors, "Some results need attention; none were saved.")
    return checked


def lab_results_record(
    *, actor: User, order: LabOrder, results: list[ResultInput], source: ResultSource
) -> list[LabResult]:
    """Save the results of a collected (or partly resulted) order, flagged against each
    component's range for the patient's sex at birth, all or none.

    The first abnormal result (low, high or critical) raises a follow-up for the ordering
    provider at once, so an abnormal value waits for nobody's review; the database keeps it
    to one per order.
    """
    with transaction.atomic():
        locked, current = _transition(actor=actor, order=order, action=LabAction.RESULT)
        checked = _checked(locked, results)
        now = clock.now()
        sex = locked.patient.sex_at_birth
        saved = LabResult.objects.bulk_create(
            LabResult(
                order=locked,
                component=component,
                value=value,
                unit=component.unit,
                flag=result_flag(component, value, sex),
                observed_at=item.observed_at or now,
                source=source,
                entered_by=actor,
                created_at=now,
            )
            for item, component, value in checked
        )
        abnormal = sum(1 for row in saved if row.flag in ABNORMAL_FLAGS)
        _audit(
            actor,
            locked,
            "result",
            **{"from": str(current), "to": locked.status, "results": len(saved)},
            source=str(source),
        )
        if abnormal:
            _follow_up(actor, locked)
    order.refresh_from_db()
    return saved


def _follow_up(actor: User, order: LabOrder) -> None:
    follow_up, created = LabFollowUp.objects.get_or_create(
        order=order, defaults={"assignee": order.ordering_provider, "created_at": clock.now()}
    )
    if created:
        audit_record(
            action="lab.follow_up_raise",
            actor=actor,
            patient_id=order.patient_id,
            object_type="lab_follow_up",
            object_id=follow_up.pk,
            detail={"order": order.pk, "assignee": order.ordering_provider_id},
        )


def lab_follow_up_complete(*, actor: User, order: LabOrder) -> LabFollowUp:
    """A provider has acted on the abnormal results: the order's follow-up is done, once."""
    if actor.role != Role.PROVIDER:
        raise PermissionDenied("Only a provider completes a lab follow-up.", code="forbidden")
    with transaction.atomic():
        follow_up = LabFollowUp.objects.select_for_update().filter(order=order).first()
        if follow_up is None:
            raise NotFound(f"{order.number} has no follow-up: none of its results is abnormal.")
        if follow_up.status == FollowUpStatus.DONE:
            raise LabFollowUpDone(f"The follow-up of {order.number} is already done.")
        follow_up.status = FollowUpStatus.DONE
        follow_up.completed_at = clock.now()
        follow_up.save(update_fields=["status", "completed_at"])
        audit_record(
            action="lab.follow_up_complete",
            actor=actor,
            patient_id=order.patient_id,
            object_type="lab_follow_up",
            object_id=follow_up.pk,
            detail={"order": order.pk},
        )
    return follow_up
