"""Background tasks of the outbox. Both are idempotent: running one twice sends nothing twice."""

from uuid import UUID

from django_tasks import task

from careloop.notifications.delivery import outbox_deliver, outbox_deliver_due


@task()
def deliver_notification(message_id: str) -> str:
    """Deliver one message now; enqueued when the transaction that wrote it commits."""
    return outbox_deliver(message_id=UUID(message_id)).value


@task()
def deliver_due_notifications() -> int:
    """Deliver every due message: retries, taken-over claims and missed enqueues (every 15 s)."""
    return outbox_deliver_due()
