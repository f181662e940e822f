"""Delivery of outbox messages: claim, send, record.

Each step commits on its own, and every path leaves a message pending, sending (under a claim
that expires), sent or failed; a message is never deleted.

1. Claim: one conditional UPDATE moves a due message to `sending` with this worker's claim
   token and a lease (`OUTBOX_CLAIM_SECONDS`), and counts the attempt. Only the worker whose
   UPDATE changed the row goes on; on PostgreSQL a concurrent UPDATE waits for the row lock,
   then sees the claim and changes nothing.
2. Send, with the stable id (the email Message-ID is derived from the outbox id).
3. Record `sent`, only if this worker's claim still holds.

A send error releases the claim with a retry time that doubles on each attempt, or marks the
message failed after MAX_ATTEMPTS. A worker that dies holding a claim leaves it to expire, and
the next sweep takes the message over. The only repeat is a crash (or a lease that ran out)
between the provider accepting and step 3; the repeat carries the same Message-ID.

These functions must run outside any transaction (the worker runs tasks in autocommit), so
that the claim is committed before the provider is called.
"""

import enum
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from careloop.core import clock
from careloop.core.faults import crash_point
from careloop.notifications import email, sms
from careloop.notifications.models import Channel, OutboxMessage, Status

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY_DELAY = timedelta(minutes=1)
LONGEST_RETRY_DELAY = timedelta(hours=1)
DUE_BATCH_SIZE = 100
ERROR_LENGTH = 2000

SENDERS: dict[str, Callable[[OutboxMessage], str]] = {
    Channel.EMAIL: email.send,
    Channel.SMS: sms.send,
}


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    NOT_CLAIMED = "not_claimed"


def retry_delay(attempts: int) -> timedelta:
    """The wait after `attempts` failed attempts: 1, 2, 4 ... minutes, at most an hour."""
    if attempts < 1:
        return FIRST_RETRY_DELAY
    # Cap the exponent before multiplying so that a large count cannot overflow timedelta.
    return min(FIRST_RETRY_DELAY * 2 ** min(attempts - 1, 16), LONGEST_RETRY_DELAY)


def _claimable(now: datetime) -> Q:
    due = Q(status=Status.PENDING, next_attempt_at__lte=now)
    abandoned = Q(status=Status.SENDING, claimed_until__lt=now, attempts__lt=MAX_ATTEMPTS)
    return due | abandoned


def _new_claim_token() -> str:
    # Host and process say who holds a claim; the random part makes every claim distinct, so
    # a worker can never mistake a later claim on the same message for its own.
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(6)}"


def outbox_claim(*, message_id: UUID) -> OutboxMessage | None:
    """Claim one due message for this process; None if it is not due or another worker won."""
    now = clock.now()
    token = _new_claim_token()
    with transaction.atomic():
        won = (
            OutboxMessage.objects.filter(_claimable(now), id=message_id).update(
                status=Status.SENDING,
                claimed_by=token,
                claimed_until=now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS),
                attempts=F("attempts") + 1,
            )
            == 1
        )
    if not won:
        return None
    return OutboxMessage.objects.get(id=message_id)


def _record_sent(message: OutboxMessage, provider_message_id: str) -> bool:
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(
            id=message.id, status=Status.SENDING, claimed_by=message.claimed_by
        ).update(
            status=Status.SENT,
            sent_at=clock.now(),
            provider_message_id=provider_message_id[:200],
            claimed_until=None,
            last_error="",
        )
    return updated == 1


def _record_failure(message: OutboxMessage, error: Exception) -> Outcome:
    now = clock.now()
    detail = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
    gave_up = message.attempts >= MAX_ATTEMPTS
    changes: dict[str, object] = {"claimed_until": None, "last_error": detail}
    if gave_up:
        changes["status"] = Status.FAILED
    else:
        changes["status"] = Status.PENDING
        changes["next_attempt_at"] = now + retry_delay(message.attempts)
    with transaction.atomic():
        OutboxMessage.objects.filter(
            id=message.id, status=Status.SENDING, claimed_by=message.claimed_by
        ).update(**changes)
    return Outcome.FAILED if gave_up else Outcome.RETRY


def outbox_deliver(*, message_id: UUID) -> Outcome:
    """Claim, send and record one message; safe to call any number of times."""
    message = outbox_claim(message_id=message_id)
    if message is None:
        return Outcome.NOT_CLAIMED
    crash_point("outbox.claimed")
    try:
        provider_message_id = SENDERS[message.channel](message)
    except Exception as error:
        outcome = _record_failure(message, error)
        logger.warning(
            "Could not send outbox message %s (attempt %d): %s; %s",
            message.id,
            message.attempts,
            error,
            "gave up" if outcome is Outcome.FAILED else "will retry",
        )
        return outcome
    crash_point("outbox.sent")
    if not _record_sent(message, provider_message_id):
        # The lease ran out during the send and another worker took the message over; it
        # may send it again (with the same stable id). A longer lease avoids this.
        logger.warning("Outbox message %s was sent after its claim expired", message.id)
    crash_point("outbox.recorded")
    return Outcome.SENT


def outbox_give_up_abandoned() -> int:
    """Mark failed the messages whose workers died holding the claim on every attempt.

    A message that crashes its worker (rather than failing to send) would otherwise be
    claimed forever; MAX_ATTEMPTS bounds both kinds of failure.
    """
    now = clock.now()
    return OutboxMessage.objects.filter(
        status=Status.SENDING, claimed_until__lt=now, attempts__gte=MAX_ATTEMPTS
    ).update(
        status=Status.FAILED,
        claimed_until=None,
        last_error=f"The worker stopped during delivery on each of {MAX_ATTEMPTS} attempts.",
    )


def outbox_deliver_due(*, limit: int = DUE_BATCH_SIZE) -> int:
    """Deliver up to `limit` due messages, oldest due first; return how many were sent."""
    outbox_give_up_abandoned()
    due_ids = list(
        OutboxMessage.objects.filter(_claimable(clock.now()))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    return sum(outbox_deliver(message_id=message_id) is Outcome.SENT for message_id in due_ids)
