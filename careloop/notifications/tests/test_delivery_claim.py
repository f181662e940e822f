from datetime import UTC, datetime, timedelta

import pytest

from careloop.core import clock
from careloop.notifications import delivery
from careloop.notifications.delivery import (
    MAX_ATTEMPTS,
    Outcome,
    outbox_claim,
    outbox_deliver,
    outbox_deliver_due,
)
from careloop.notifications.models import Channel, OutboxMessage, Status
from careloop.notifications.services import notification_enqueue

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def message(settings):
    settings.OUTBOX_CLAIM_SECONDS = 300
    clock.freeze(NOON)
    return notification_enqueue(
        channel=Channel.SMS, recipient="+15125550100", body="Your visit is confirmed.", kind="test"
    )


def test_a_due_message_is_claimed_once(message):
    first = outbox_claim(message_id=message.id)
    second = outbox_claim(message_id=message.id)
    assert first is not None
    assert (first.status, first.attempts) == (Status.SENDING, 1)
    assert first.claimed_until == NOON + timedelta(seconds=300)
    assert first.claimed_by
    assert second is None
    assert OutboxMessage.objects.get().attempts == 1


def test_a_message_is_not_claimed_before_its_next_attempt(message):
    OutboxMessage.objects.filter(id=message.id).update(next_attempt_at=NOON + timedelta(minutes=1))
    assert outbox_claim(message_id=message.id) is None
    assert OutboxMessage.objects.get().status == Status.PENDING


def test_a_live_claim_is_not_taken_over(message):
    outbox_claim(message_id=message.id)
    clock.advance(timedelta(seconds=299))
    assert outbox_claim(message_id=message.id) is None


def test_an_expired_claim_is_taken_over_with_a_new_token(message):
    first = outbox_claim(message_id=message.id)
    clock.advance(timedelta(seconds=301))
    second = outbox_claim(message_id=message.id)
    assert first is not None
    assert second is not None
    assert second.claimed_by != first.claimed_by
    assert second.attempts == 2


def test_a_worker_whose_claim_was_taken_over_does_not_record_over_the_new_claim(
    message, monkeypatch
):
    taken_over = []

    def slow_send(claimed):
        # The send outlasts the lease and another worker claims the message meanwhile.
        clock.advance(timedelta(seconds=301))
        taken_over.append(outbox_claim(message_id=claimed.id))
        return "provider-1"

    monkeypatch.setitem(delivery.SENDERS, Channel.SMS, slow_send)
    assert outbox_deliver(message_id=message.id) is Outcome.SENT
    stored = OutboxMessage.objects.get()
    assert taken_over[0] is not None
    assert (stored.status, stored.claimed_by) == (Status.SENDING, taken_over[0].claimed_by)
    assert stored.sent_at is None


def test_a_message_whose_worker_died_on_every_attempt_is_marked_failed(message):
    OutboxMessage.objects.filter(id=message.id).update(
        status=Status.SENDING,
        attempts=MAX_ATTEMPTS,
        claimed_until=NOON - timedelta(seconds=1),
        claimed_by="gone:1:abc",
    )
    assert outbox_deliver_due() == 0
    stored = OutboxMessage.objects.get()
    assert stored.status == Status.FAILED
    assert "stopped during delivery" in stored.last_error


def test_the_sweep_sends_due_messages_and_skips_later_ones(message, caplog):
    later = notification_enqueue(
        channel=Channel.SMS, recipient="+15125550101", body="Later.", kind="test"
    )
    OutboxMessage.objects.filter(id=later.id).update(next_attempt_at=NOON + timedelta(hours=1))
    with caplog.at_level("INFO", logger="careloop.notifications.sms.log"):
        assert outbox_deliver_due() == 1
    assert OutboxMessage.objects.get(id=message.id).status == Status.SENT
    assert OutboxMessage.objects.get(id=later.id).status == Status.PENDING
    assert "SMS to +15125550100: Your visit is confirmed." in caplog.text
    assert "Later." not in caplog.text
