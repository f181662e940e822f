import logging
from dataclasses import dataclass
from functools import partial
from uuid import UUID

from django.db import transaction

from careloop.core import clock
from careloop.notifications.models import Channel, OutboxMessage
from careloop.notifications.tasks import deliver_notification

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    content: str


def notification_enqueue(
    *,
    channel: Channel,
    recipient: str,
    body: str,
    kind: str,
    subject: str = "",
    patient_id: int | None = None,
    attachment: Attachment | None = None,
) -> OutboxMessage:
    """Write a message to the outbox inside the caller's transaction.

    It leaves only after the transaction commits, through the worker; a rollback takes it
    away with the change that caused it. An attachment travels with an email only.
    """
    now = clock.now()
    message = OutboxMessage.objects.create(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        kind=kind,
        patient_id=patient_id,
        attachment_name=attachment.name if attachment else "",
        attachment_type=attachment.content_type if attachment else "",
        attachment=attachment.content if attachment else "",
        created_at=now,
        next_attempt_at=now,
    )
    transaction.on_commit(partial(_enqueue_delivery, message.id))
    return message


def _enqueue_delivery(message_id: UUID) -> None:
    """Ask a worker to deliver now; only a hint, so a failure must not reach the caller.

    The caller's transaction has already committed; the periodic sweep delivers the message
    within seconds even if this enqueue is lost.
    """
    try:
        deliver_notification.enqueue(str(message_id))
    except Exception:
        logger.exception(
            "Could not enqueue delivery of outbox message %s; the periodic sweep will send it",
            message_id,
        )
