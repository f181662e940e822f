"""Care tasks: the one status transition, and what staff do with a task."""

from datetime import date
from typing import Any

from django.db import transaction

from careloop.accounts.models import User
from careloop.accounts.roles import STAFF_ROLES, Role
from careloop.audit.services import audit_record
from careloop.care.lifecycle import TaskAction, task_target
from careloop.care.models import CareTask, CareTaskChange, TaskStatus
from careloop.care.services.generation import care_plan_generate
from careloop.care.timing import due_window
from careloop.core import clock
from careloop.core.errors import ValidationFailed


def required_reason(reason: str) -> str:
    """The reason staff gave, trimmed; a ValidationFailed on `reason` when there is none."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.single("reason", "Say why (it is kept in the history).", "required")
    return reason


def care_task_transition(
    *,
    actor: User | None,
    task: CareTask,
    action: TaskAction,
    reason: str = "",
    changes: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    audit: bool = True,
) -> CareTask:
    """Apply `action` to the task, record a history row (who, when, why) and an audit row.

    Refuses (IllegalTaskTransition, nothing changed) what the lifecycle table does not allow.
    `changes` are further fields to set (a new due date, an assignee). Done and skipped tasks
    record the day; `audit=False` is for cascades that write their own audit row.
    """
    with transaction.atomic():
        locked = CareTask.objects.select_for_update(of=("self",)).get(pk=task.pk)
        current = TaskStatus(locked.status)
        target = task_target(current, action)
        now = clock.now()
        locked.status = target
        for name, value in (changes or {}).items():
            setattr(locked, name, value)
        if target in (TaskStatus.DONE, TaskStatus.SKIPPED):
            locked.completed_at = now
            locked.completed_on = clock.today()
        locked.updated_at = now
        locked.save()
        CareTaskChange.objects.create(
            task=locked,
            action=action.value,
            from_status=current,
            to_status=target,
            recorded_at=now,
            actor=actor,
            reason=reason,
            detail=detail or {},
        )
        if audit:
            audit_record(
                action=f"care.task_{action.value}",
                actor=actor,
                patient_id=locked.care_plan.patient_id,
                object_type="care_task",
                object_id=locked.pk,
                detail={"from": str(current), "to": str(target), **(detail or {})},
            )
    task.refresh_from_db()
    return task


def care_task_start(*, actor: User, task: CareTask) -> CareTask:
    """Open to in progress; the person starting an unassigned task takes it."""
    changes = {"assignee": actor} if task.assignee_id is None else None
    return care_task_transition(actor=actor, task=task, action=TaskAction.START, changes=changes)


def care_task_complete(*, actor: User | None, task: CareTask) -> CareTask:
    """Done; an activity timed from completion gets its next occurrence from today."""
    with transaction.atomic():
        care_task_transition(actor=actor, task=task, action=TaskAction.COMPLETE)
        care_plan_generate(care_plan=task.care_plan, as_of=clock.today())
    return task


def care_task_skip(*, actor: User, task: CareTask, reason: str) -> CareTask:
    """Skipped, with the reason; the next occurrence comes as if it had been done."""
    reason = required_reason(reason)
    with transaction.atomic():
        care_task_transition(actor=actor, task=task, action=TaskAction.SKIP, reason=reason)
        care_plan_generate(care_plan=task.care_plan, as_of=clock.today())
    return task


def care_task_reschedule(*, actor: User, task: CareTask, due_on: date, reason: str) -> CareTask:
    """Move one occurrence to a new due date (its window moves with it); later occurrences
    timed from the previous due date keep their schedule."""
    reason = required_reason(reason)
    if not isinstance(due_on, date):
        raise ValidationFailed.single("due_on", "Give the new due date.", "required")
    if due_on < task.care_plan.started_on:
        raise ValidationFailed.single(
            "due_on",
            f"The new due date is before the care plan started "
            f"({task.care_plan.started_on.isoformat()}).",
            "before_start",
        )
    if due_on == task.due_on:
        raise ValidationFailed.single("due_on", "The task is already due that day.", "unchanged")
    window_start, window_end = due_window(task.care_activity.timing, due_on)
    return care_task_transition(
        actor=actor,
        task=task,
        action=TaskAction.RESCHEDULE,
        reason=reason,
        changes={"due_on": due_on, "window_start": window_start, "window_end": window_end},
        detail={"from": task.due_on.isoformat(), "to": due_on.isoformat()},
    )


def care_task_reassign(
    *, actor: User, task: CareTask, assignee: User | None, reason: str = ""
) -> CareTask:
    """Give the task to another staff member (or back to its role's queue with None)."""
    if assignee is not None and (not assignee.is_active or Role(assignee.role) not in STAFF_ROLES):
        raise ValidationFailed.single(
            "assignee", "Assign the task to an active staff member.", "not_staff"
        )
    if assignee is not None and assignee.pk == task.assignee_id:
        raise ValidationFailed.single(
            "assignee", "The task is already assigned to them.", "unchanged"
        )
    return care_task_transition(
        actor=actor,
        task=task,
        action=TaskAction.REASSIGN,
        reason=reason.strip(),
        changes={"assignee": assignee},
        detail={
            "from": task.assignee_id,
            "to": assignee.pk if assignee is not None else None,
        },
    )
