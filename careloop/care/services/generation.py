"""Generating care work on demand: the next occurrences that fall due within the horizon.

Each care plan is generated under a lock on its own row, in its own transaction; the unique
(care_activity, index) constraint stands behind the lock, so several workers generating at
once create each occurrence once. Occurrences are never created a year ahead: only those due
on or before `as_of` plus CARELOOP_CARE_HORIZON_DAYS.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from careloop.audit.services import audit_record
from careloop.care.models import (
    CareActivity,
    CarePlan,
    CarePlanStatus,
    CareTask,
    CareTaskChange,
    TaskStatus,
)
from careloop.care.timing import (
    Anchor,
    Timing,
    due_after_completion,
    due_window,
    scheduled_due,
)
from careloop.core import clock

# A bound on the occurrences one activity may gain in one run (an every-day activity over a
# 90-day horizon after a long gap), so a bad row can never loop for ever.
MOST_PER_RUN = 200

RESOLVED = (TaskStatus.DONE, TaskStatus.SKIPPED, TaskStatus.CANCELLED)


def horizon_end(as_of: date) -> date:
    return as_of + timedelta(days=settings.CARE_HORIZON_DAYS)


def _next_due(
    activity: CareActivity, timing: Timing, last: CareTask | None, active_since: date
) -> tuple[int, date] | None:
    """The next occurrence to create (its index and due date), or None: ended, or waiting
    for the previous one to be done or skipped."""
    index = 1 if last is None else last.index + 1
    if timing.anchor == Anchor.PREVIOUS_COMPLETION:
        if last is not None and last.status not in RESOLVED:
            return None
        completed_on = None if last is None else (last.completed_on or last.due_on)
        due = due_after_completion(timing, activity.starts_on, index, completed_on or date.min)
        if due is None:
            return None
        return index, max(due, active_since)
    # From the previous due date the schedule is fixed; occurrences that fell due while the
    # plan was suspended are passed over, not created late.
    for _ in range(MOST_PER_RUN * 10):
        due = scheduled_due(timing, activity.starts_on, index)
        if due is None:
            return None
        if due >= active_since:
            return index, due
        index += 1
    return None


def _create(
    plan: CarePlan, activity: CareActivity, index: int, due: date, timing: Timing
) -> CareTask | None:
    start, end = due_window(timing, due)
    now = clock.now()
    try:
        with transaction.atomic():
            task = CareTask.objects.create(
                care_plan=plan,
                care_activity=activity,
                index=index,
                due_on=due,
                scheduled_on=due,
                window_start=start,
                window_end=end,
                role=activity.role,
                created_at=now,
                updated_at=now,
            )
            CareTaskChange.objects.create(
                task=task, action="generate", to_status=TaskStatus.OPEN, recorded_at=now
            )
    except IntegrityError:
        # Another worker created this occurrence first (possible only where the plan lock
        # does not serialize, e.g. a plan generated outside care_plan_generate).
        return None
    return task


def care_plan_generate(*, care_plan: CarePlan, as_of: date) -> list[CareTask]:
    """Create the occurrences of one care plan due by the horizon; nothing when it is not active.

    Locks only the care plan's row: PostgreSQL refuses FOR UPDATE on the nullable side of an
    outer join, which select_related of the membership would add.
    """
    created: list[CareTask] = []
    last_day = horizon_end(as_of)
    with transaction.atomic():
        plan = CarePlan.objects.select_for_update(of=("self",)).get(pk=care_plan.pk)
        if plan.status != CarePlanStatus.ACTIVE:
            return []
        for activity in plan.activities.order_by("order", "id"):
            timing = activity.timing
            last = activity.tasks.order_by("-index").first()
            for _ in range(MOST_PER_RUN):
                following = _next_due(activity, timing, last, plan.active_since)
                if following is None or following[1] > last_day:
                    break
                index, due = following
                task = _create(plan, activity, index, due, timing)
                if task is None:
                    break
                created.append(task)
                last = task
        if created:
            audit_record(
                action="care.tasks_generate",
                actor=None,
                patient_id=plan.patient_id,
                object_type="care_plan",
                object_id=plan.pk,
                detail={"tasks": [task.pk for task in created], "as_of": as_of.isoformat()},
            )
    return created


def care_work_generate(*, as_of: date, care_plan: CarePlan | None = None) -> int:
    """Generate the work due by the horizon for one care plan, or every active one; returns
    how many tasks were created. Running it again with the same `as_of` creates nothing."""
    if care_plan is not None:
        return len(care_plan_generate(care_plan=care_plan, as_of=as_of))
    created = 0
    plans = CarePlan.objects.filter(status=CarePlanStatus.ACTIVE).order_by("id")
    for plan in plans.only("id").iterator(chunk_size=500):
        created += len(care_plan_generate(care_plan=plan, as_of=as_of))
    return created
