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


@dataclass(frozen=True)
class NewMessage:
    """One message for `notifications_enqueue_many`: what `notification_enqueue` takes."""

    channel: Channel
    recipient: str
    body: str
    kind: str
    subject: str = ""
    patient_id: int | None = None
    attachment: Attachment | None = None


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
    (message,) = notifications_enqueue_many(
        [NewMessage(channel, recipient, body, kind, subject, patient_id, attachment)]
    )
    return message


def notifications_enqueue_many(messages: list[NewMessage]) -> list[OutboxMessage]:
    """Write messages to the outbox in one insert, inside the caller's transaction, as
    `notification_enqueue` writes each (a billing batch's notices)."""
    if not messages:
        return []
    now = clock.now()
    rows = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel=message.channel,
                recipient=message.recipient,
                subject=message.subject,
                body=message.body,
                kind=message.kind,
                patient_id=message.patient_id,
                attachment_name=message.attachment.name if message.attachment else "",
                attachment_type=message.attachment.content_type if message.attachment else "",
                attachment=message.attachment.content if message.attachment else "",
                created_at=now,
                next_attempt_at=now,
            )
            for message in messages
        ]
    )
    for row in rows:
        transaction.on_commit(partial(_enqueue_delivery, row.id))
    return rows


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
