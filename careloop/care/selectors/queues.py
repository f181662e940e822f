"""Work queues of care tasks: read-only, ordered by due date then id, one page at a time.

Each queue is a queryset, so its count and its pages come from the same filter and cannot
disagree. Partial indexes on CareTask's unfinished rows (by role, by assignee, by due date)
serve these filters in due-date order; docs/care.md records the plans checked on PostgreSQL.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from careloop.accounts.models import User
from careloop.care.models import UNFINISHED_TASK_STATUSES, CareGapStep, CareTask

PAGE_SIZE_MOST = 100


@dataclass(frozen=True)
class Page:
    tasks: list[CareTask]
    count: int
    offset: int
    limit: int


def _queue() -> QuerySet[CareTask]:
    return CareTask.objects.select_related(
        "care_plan__patient",
        "care_plan__protocol",
        "care_plan__membership__plan",
        "care_activity",
        "assignee",
    ).order_by("due_on", "id")


def _unfinished() -> QuerySet[CareTask]:
    return _queue().filter(status__in=UNFINISHED_TASK_STATUSES)


def my_tasks(user: User) -> QuerySet[CareTask]:
    """Unfinished tasks assigned to `user`."""
    return _unfinished().filter(assignee=user)


def team_tasks(user: User) -> QuerySet[CareTask]:
    """Unfinished tasks for `user`'s role, unassigned or assigned to anyone in that role."""
    return _unfinished().filter(
        Q(assignee__isnull=True) | Q(assignee__role=user.role), role=user.role
    )


def overdue_tasks(as_of: date) -> QuerySet[CareTask]:
    """Unfinished tasks whose window ended before `as_of`."""
    return _unfinished().filter(window_end__lt=as_of)


def patient_tasks(patient_id: int) -> QuerySet[CareTask]:
    """Unfinished tasks of one patient's care plans."""
    return _unfinished().filter(care_plan__patient_id=patient_id)


def plan_tasks(plan_id: int) -> QuerySet[CareTask]:
    """Unfinished tasks of care plans that came from memberships of one membership plan."""
    return _unfinished().filter(care_plan__membership__plan_id=plan_id)


def gap_tasks() -> QuerySet[CareTask]:
    """Open care gaps: unfinished tasks the escalation job has flagged, with their last step.

    A gap leaves this queue when its task is done, skipped or cancelled; its step rows stay.
    """
    steps = CareGapStep.objects.filter(task=OuterRef("pk"))
    # Exists and a subquery rather than a join and Max: no GROUP BY, so a page is still read
    # in due-date order from the partial index.
    return (
        _unfinished()
        .filter(Exists(steps))
        .annotate(gap_step=Subquery(steps.order_by("-step").values("step")[:1]))
    )


def page(queue: QuerySet[CareTask], *, offset: int = 0, limit: int = 25) -> Page:
    """One page of a queue and the queue's full count.

    The page's ids are read first from the queue's own filter, without the joins that only
    display needs, then those rows are loaded with their plan, patient and activity. With the
    display joins in the paging query, SQLite's planner started from the one-row protocol
    table and sorted every unfinished task of every plan for each page (see
    docs/benchmarks.md, Care).
    """
    limit = max(1, min(limit, PAGE_SIZE_MOST))
    offset = max(0, offset)
    ids = list(queue.values_list("id", flat=True)[offset : offset + limit])
    loaded = {task.pk: task for task in queue.filter(pk__in=ids).order_by()}
    return Page(
        tasks=[loaded[task_id] for task_id in ids if task_id in loaded],
        count=queue.count(),
        offset=offset,
        limit=limit,
    )


def queue_counts(user: User, *, as_of: date) -> dict[str, int]:
    """How many tasks each of `user`'s queues holds (the same filters as the queues)."""
    return {
        "mine": my_tasks(user).count(),
        "team": team_tasks(user).count(),
        "overdue": overdue_tasks(as_of).count(),
        "gaps": gap_tasks().count(),
    }
