"""Milestone figures: how the occurrences due in a date range turned out, per plan and protocol.

An occurrence (task) due in the range is counted once, in one category:

- on time: done on or before its window's last day;
- late: done after its window's last day;
- missed: not done, not skipped, not cancelled, and its window ended before `as_of` (a gap);
- skipped: skipped with a reason (whenever);
- open: not finished and its window has not ended yet.

Cancelled occurrences (their care plan closed or ended) are left out: nobody owed them.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Q

from careloop.care.models import UNFINISHED_TASK_STATUSES, CareTask, TaskStatus


@dataclass(frozen=True)
class MilestoneFigures:
    plan_id: int | None
    plan_name: str
    protocol_id: int
    protocol_name: str
    due: int
    on_time: int
    late: int
    missed: int
    skipped: int
    open: int


def milestone_figures(*, start: date, end: date, as_of: date) -> list[MilestoneFigures]:
    """Per membership plan (none for care plans applied by hand) and protocol, the counts of
    the occurrences due from `start` to `end` inclusive, judged as of `as_of`."""
    unfinished = Q(status__in=UNFINISHED_TASK_STATUSES)
    rows = (
        CareTask.objects.filter(due_on__gte=start, due_on__lte=end)
        .exclude(status=TaskStatus.CANCELLED)
        .values(
            plan_id=F("care_plan__membership__plan_id"),
            plan_name=F("care_plan__membership__plan__name"),
            protocol_id=F("care_plan__protocol_id"),
            protocol_name=F("care_plan__protocol__name"),
        )
        .annotate(
            due=Count("id"),
            on_time=Count(
                "id", filter=Q(status=TaskStatus.DONE, completed_on__lte=F("window_end"))
            ),
            late=Count("id", filter=Q(status=TaskStatus.DONE, completed_on__gt=F("window_end"))),
            missed=Count("id", filter=unfinished & Q(window_end__lt=as_of)),
            skipped=Count("id", filter=Q(status=TaskStatus.SKIPPED)),
            open=Count("id", filter=unfinished & Q(window_end__gte=as_of)),
        )
        .order_by("plan_name", "plan_id", "protocol_name", "protocol_id")
    )
    return [
        MilestoneFigures(
            plan_id=row["plan_id"],
            plan_name=row["plan_name"] or "",
            protocol_id=row["protocol_id"],
            protocol_name=row["protocol_name"],
            due=row["due"],
            on_time=row["on_time"],
            late=row["late"],
            missed=row["missed"],
            skipped=row["skipped"],
            open=row["open"],
        )
        for row in rows
    ]
