"""Background tasks of messaging. Each is idempotent: running one twice notifies nobody twice."""

from django_tasks import task

from careloop.core import clock
from careloop.messaging.services.escalation import messaging_escalate


@task()
def messaging_escalate_due() -> int:
    """Send the response-time warnings and breach notices that fell due, each once."""
    return messaging_escalate(now=clock.now()).total
