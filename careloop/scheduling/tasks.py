"""Background tasks of scheduling. Each is idempotent: running one twice sends nothing twice."""

from django_tasks import task

from careloop.scheduling.services.reminders import appointment_reminders_send


@task()
def appointment_reminders_due() -> int:
    """Send the visit reminders due now (every few minutes)."""
    return appointment_reminders_send()
