"""Housekeeping for background work."""

from datetime import timedelta

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from careloop.core import clock
from careloop.core.models import PeriodicRun

# Slot rows are only compared with the current slot; a day of them is plenty to look back on.
PERIODIC_RUN_RETENTION = timedelta(days=1)
# The same default as django-tasks-db's prune_db_task_results command.
TASK_RESULT_RETENTION = timedelta(days=14)


@task()
def prune_background_records() -> int:
    """Delete old periodic slot rows and finished task results; return how many went."""
    now = clock.now()
    runs, _ = PeriodicRun.objects.filter(slot_start__lt=now - PERIODIC_RUN_RETENTION).delete()
    results, _ = (
        DBTaskResult.objects.finished().filter(finished_at__lt=now - TASK_RESULT_RETENTION).delete()
    )
    return runs + results
