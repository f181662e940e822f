"""Background tasks of memberships. Each is idempotent: running one twice changes nothing twice."""

from django_tasks import task

from careloop.memberships.services.scheduled import scheduled_changes_apply_due


@task()
def apply_due_scheduled_changes() -> int:
    """Apply the scheduled changes whose date has come (every 15 minutes)."""
    return scheduled_changes_apply_due()
