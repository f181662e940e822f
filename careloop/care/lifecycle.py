"""The care plan and task lifecycles as data: which action may run in which status, and where
it leads. `care_plan_transition` and `care_task_transition` (services) are the only functions
that change a status: they check these tables and record history."""

from collections.abc import Iterable
from enum import StrEnum

from django.db.models import Choices

from careloop.care.errors import (
    IllegalCarePlanTransition,
    IllegalLabOrderTransition,
    IllegalTaskTransition,
)
from careloop.care.models import CarePlanStatus as P
from careloop.care.models import LabOrderStatus as L
from careloop.care.models import TaskStatus as T


class PlanAction(StrEnum):
    SUSPEND = "suspend"
    RESUME = "resume"
    CLOSE = "close"
    END = "end"


PLAN_TRANSITIONS: dict[PlanAction, dict[P, P]] = {
    PlanAction.SUSPEND: {P.ACTIVE: P.SUSPENDED},
    PlanAction.RESUME: {P.SUSPENDED: P.ACTIVE},
    PlanAction.CLOSE: {P.ACTIVE: P.CLOSED, P.SUSPENDED: P.CLOSED},
    PlanAction.END: {P.ACTIVE: P.ENDED, P.SUSPENDED: P.ENDED},
}


class TaskAction(StrEnum):
    START = "start"
    COMPLETE = "complete"
    SKIP = "skip"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    REASSIGN = "reassign"


TASK_TRANSITIONS: dict[TaskAction, dict[T, T]] = {
    TaskAction.START: {T.OPEN: T.IN_PROGRESS},
    TaskAction.COMPLETE: {T.OPEN: T.DONE, T.IN_PROGRESS: T.DONE},
    TaskAction.SKIP: {T.OPEN: T.SKIPPED, T.IN_PROGRESS: T.SKIPPED},
    TaskAction.CANCEL: {T.OPEN: T.CANCELLED, T.IN_PROGRESS: T.CANCELLED},
    # Actions that keep the status, allowed while the task is unfinished.
    TaskAction.RESCHEDULE: {T.OPEN: T.OPEN, T.IN_PROGRESS: T.IN_PROGRESS},
    TaskAction.REASSIGN: {T.OPEN: T.OPEN, T.IN_PROGRESS: T.IN_PROGRESS},
}


class LabAction(StrEnum):
    ORDER = "order"
    COLLECT = "collect"
    RESULT = "result"
    REVIEW = "review"
    CANCEL = "cancel"


LAB_TRANSITIONS: dict[LabAction, dict[L, L]] = {
    LabAction.ORDER: {L.DRAFT: L.ORDERED},
    LabAction.COLLECT: {L.ORDERED: L.COLLECTED},
    # Results may arrive in parts: more components can be resulted until the review.
    LabAction.RESULT: {L.COLLECTED: L.RESULTED, L.RESULTED: L.RESULTED},
    LabAction.REVIEW: {L.RESULTED: L.REVIEWED},
    LabAction.CANCEL: {L.DRAFT: L.CANCELLED, L.ORDERED: L.CANCELLED},
}


def _refusal(noun: str, status: Choices, action: StrEnum, allowed: Iterable[Choices]) -> str:
    statuses = ", or ".join(sorted(str(s.label).lower() for s in allowed))
    return (
        f"A {noun} that is {status.label.lower()} cannot {action.value}; that is possible "
        f"only when it is {statuses}."
    )


def plan_target(status: P, action: PlanAction) -> P:
    target = PLAN_TRANSITIONS[action].get(status)
    if target is None:
        raise IllegalCarePlanTransition(
            _refusal("care plan", P(status), action, PLAN_TRANSITIONS[action])
        )
    return target


def task_target(status: T, action: TaskAction) -> T:
    target = TASK_TRANSITIONS[action].get(status)
    if target is None:
        raise IllegalTaskTransition(_refusal("task", T(status), action, TASK_TRANSITIONS[action]))
    return target


def lab_target(status: L, action: LabAction) -> L:
    target = LAB_TRANSITIONS[action].get(status)
    if target is None:
        raise IllegalLabOrderTransition(
            _refusal("lab order", L(status), action, LAB_TRANSITIONS[action])
        )
    return target
