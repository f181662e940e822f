from careloop.core import clock
from careloop.notifications.models import Channel, OutboxMessage


def notification_enqueue(
    *,
    channel: Channel,
    recipient: str,
    body: str,
    kind: str,
    subject: str = "",
    patient_id: int | None = None,
) -> OutboxMessage:
    """Write a message to the outbox inside the caller's transaction.

    It leaves only after the transaction commits, through the worker; a rollback takes it
    away with the change that caused it.
    """
    now = clock.now()
    message = OutboxMessage.objects.create(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        kind=kind,
        patient_id=patient_id,
        created_at=now,
        next_attempt_at=now,
    )
    return message
