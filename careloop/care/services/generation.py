"""Generating care work on demand: the next occurrences that fall due within the horizon.

Care plans are generated under a lock on their rows: one plan at a time when a change asks
for it (enrollment, a task done), a batch of plans at a time in the daily run, whose reads,
inserts and audit events are a handful of statements per batch rather than per plan. The
unique (care_activity, index) constraint stands behind the locks, so several workers
generating at once create each occurrence once. Occurrences are never created a year ahead:
only those due on or before `as_of` plus CARELOOP_CARE_HORIZON_DAYS.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery

from careloop.audit.services import AuditEntry, audit_record_many
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

# Care plans per transaction in the daily run: large enough that the per-statement cost is
# shared, small enough that a lock on a batch is held for well under a second.
BATCH_SIZE = 500

# Task ids per statement when recording history: under SQLite's oldest bound on parameters.
HISTORY_CHUNK = 900

RESOLVED = (TaskStatus.DONE, TaskStatus.SKIPPED, TaskStatus.CANCELLED)

LAST_TASK_FIELDS = ("id", "care_plan_id", "care_activity_id", "index", "status", "completed_on")


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


def _occurrences(
    plan: CarePlan,
    activities: Iterable[CareActivity],
    last_tasks: dict[int, CareTask],
    last_day: date,
) -> list[CareTask]:
    """The unsaved occurrences of one active plan due by `last_day`, in activity order."""
    now = clock.now()
    due_tasks: list[CareTask] = []
    for activity in activities:
        timing = activity.timing
        last = last_tasks.get(activity.pk)
        for _ in range(MOST_PER_RUN):
            following = _next_due(activity, timing, last, plan.active_since)
            if following is None or following[1] > last_day:
                break
            index, due = following
            start, end = due_window(timing, due)
            last = CareTask(
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
            due_tasks.append(last)
    return due_tasks


def _last_tasks(plan_ids: Sequence[int]) -> dict[int, CareTask]:
    """Each activity's newest occurrence, by activity id, for the given plans: one query."""
    newest = (
        CareTask.objects.filter(care_activity_id=OuterRef("care_activity_id"))
        .order_by("-index")
        .values("index")[:1]
    )
    rows = CareTask.objects.filter(care_plan_id__in=plan_ids, index=Subquery(newest))
    return {task.care_activity_id: task for task in rows.only(*LAST_TASK_FIELDS)}


def _generate_locked(plans: Sequence[CarePlan], as_of: date) -> list[CareTask]:
    """Create the due occurrences of the locked plans that are active (a suspended or ended
    plan gains nothing): one insert of tasks, one of their history, one audit segment with an
    event per plan that gained work."""
    plans = [plan for plan in plans if plan.status == CarePlanStatus.ACTIVE]
    if not plans:
        return []
    plan_ids = [plan.pk for plan in plans]
    activities: dict[int, list[CareActivity]] = {plan_id: [] for plan_id in plan_ids}
    for activity in CareActivity.objects.filter(care_plan_id__in=plan_ids).order_by(
        "care_plan_id", "order", "id"
    ):
        activities[activity.care_plan_id].append(activity)
    last_tasks = _last_tasks(plan_ids)
    last_day = horizon_end(as_of)
    by_plan = {
        plan.pk: _occurrences(plan, activities[plan.pk], last_tasks, last_day) for plan in plans
    }
    created = [task for due_tasks in by_plan.values() for task in due_tasks]
    if not created:
        return []
    CareTask.objects.bulk_create(created)
    _record_generated([task.pk for task in created], recorded_at=created[0].created_at)
    audit_record_many(
        [
            AuditEntry(
                "care.tasks_generate",
                None,
                patient_id=plan.patient_id,
                object_type="care_plan",
                object_id=plan.pk,
                detail={
                    "tasks": [task.pk for task in by_plan[plan.pk]],
                    "as_of": as_of.isoformat(),
                },
            )
            for plan in plans
            if by_plan[plan.pk]
        ]
    )
    return created


def _record_generated(task_ids: Sequence[int], *, recorded_at: datetime) -> None:
    """Each new task's first history row ("generate", to open), copied from the task rows by
    the database: a batch's history is as many rows as its tasks, and building and compiling
    them in Python was a third of the daily run."""
    change = connection.ops.quote_name(CareTaskChange._meta.db_table)
    task = connection.ops.quote_name(CareTask._meta.db_table)
    stored_at = connection.ops.adapt_datetimefield_value(recorded_at)
    with connection.cursor() as cursor:
        for start in range(0, len(task_ids), HISTORY_CHUNK):
            chunk = task_ids[start : start + HISTORY_CHUNK]
            cursor.execute(
                f"INSERT INTO {change} "  # noqa: S608 (table names from the models, values bound)
                "(task_id, action, from_status, to_status, recorded_at, actor_id, reason, detail) "
                f"SELECT id, 'generate', '', %s, %s, NULL, '', '{{}}' FROM {task} "
                f"WHERE id IN ({', '.join(['%s'] * len(chunk))}) ORDER BY id",
                [TaskStatus.OPEN.value, stored_at, *chunk],
            )


def _lock(plan_ids: Sequence[int], *, skip_locked: bool) -> list[CarePlan]:
    """Lock the plans' rows (those another transaction holds are left out when
    `skip_locked`) and return them.

    Locks only the care plans' rows: PostgreSQL refuses FOR UPDATE on the nullable side of an
    outer join, which select_related of the membership would add.
    """
    rows = CarePlan.objects.select_for_update(of=("self",), skip_locked=skip_locked)
    return list(rows.filter(pk__in=plan_ids).order_by("id"))


def care_plan_generate(*, care_plan: CarePlan, as_of: date) -> list[CareTask]:
    """Create the occurrences of one care plan due by the horizon; nothing when it is not active.

    Waits for the plan's lock. Should an occurrence appear without it (a write that bypassed
    the lock), the insert is refused by the unique constraint and the plan is read again.
    """
    for _ in range(3):
        try:
            with transaction.atomic():
                return _generate_locked(_lock([care_plan.pk], skip_locked=False), as_of)
        except IntegrityError:
            continue
    return []


def _generate_batch(plan_ids: Sequence[int], as_of: date) -> int:
    """Generate a batch of plans in one transaction; returns the tasks created.

    On PostgreSQL the batch skips plans another transaction holds (a worker generating the
    same plans, a member's tier change) and then generates each of those on its own, waiting
    for its lock, so no plan is left out of the day's run and none is generated twice.
    """
    try:
        with transaction.atomic():
            plans = _lock(plan_ids, skip_locked=True)
            created = len(_generate_locked(plans, as_of))
    except IntegrityError:
        plans, created = [], 0
    held = set(plan_ids) - {plan.pk for plan in plans}
    for plan_id in sorted(held):
        created += len(care_plan_generate(care_plan=CarePlan(pk=plan_id), as_of=as_of))
    return created


def care_work_generate(*, as_of: date, care_plan: CarePlan | None = None) -> int:
    """Generate the work due by the horizon for one care plan, or every active one; returns
    how many tasks were created. Running it again with the same `as_of` creates nothing."""
    if care_plan is not None:
        return len(care_plan_generate(care_plan=care_plan, as_of=as_of))
    plan_ids = list(
        CarePlan.objects.filter(status=CarePlanStatus.ACTIVE)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return sum(
        _generate_batch(plan_ids[start : start + BATCH_SIZE], as_of)
        for start in range(0, len(plan_ids), BATCH_SIZE)
    )
