"""A worker killed at each step of delivery loses nothing, and repeats only in one window.

The crashing worker runs in a subprocess with CARELOOP_CRASH_AT naming the step
(careloop.core.faults) and a one-second claim lease (CARELOOP_OUTBOX_CLAIM_SECONDS), because
a subprocess cannot share the test's frozen clock; the test waits in real time until that
lease has passed, as a restarted worker would, and then runs a normal worker.
"""

import time
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Max

from careloop.core import clock
from careloop.notifications.models import Channel, OutboxMessage, Status
from careloop.notifications.services import notification_enqueue
from careloop.notifications.tests.conftest import smtp_worker_environment
from careloop.testing.processes import run_careloop

pytestmark = pytest.mark.django_db(transaction=True)

LEASE_SECONDS = "1"


def _enqueue_emails(count):
    with transaction.atomic():
        return [
            notification_enqueue(
                channel=Channel.EMAIL,
                recipient=f"member{number}@example.invalid",
                subject="Your visit",
                body=f"Visit {number} is confirmed.",
                kind="test",
            )
            for number in range(count)
        ]


def _wait_until_claims_expire():
    latest = OutboxMessage.objects.filter(status=Status.SENDING).aggregate(
        latest=Max("claimed_until")
    )["latest"]
    if latest is not None:
        time.sleep(max(0.0, (latest - clock.now()).total_seconds()) + 0.1)


@pytest.mark.parametrize(
    ("crash_at", "status_after_crash", "received_before_restart", "repeats"),
    [
        ("outbox.claimed", Status.SENDING, 0, 0),
        ("outbox.sent", Status.SENDING, 1, 1),
        ("outbox.recorded", Status.SENT, 1, 0),
    ],
)
def test_a_worker_killed_during_delivery_loses_no_message(
    smtp_server, crash_at, status_after_crash, received_before_restart, repeats
):
    messages = _enqueue_emails(3)
    environment = smtp_worker_environment(smtp_server, CARELOOP_OUTBOX_CLAIM_SECONDS=LEASE_SECONDS)

    crashed = run_careloop(
        "worker", "--once", environment={**environment, "CARELOOP_CRASH_AT": crash_at}
    )
    assert crashed.returncode == 137, crashed.stderr
    touched = OutboxMessage.objects.exclude(status=Status.PENDING)
    assert [message.status for message in touched] == [status_after_crash]
    crashed_id = touched.get().id
    assert len(smtp_server.handler.messages) == received_before_restart

    _wait_until_claims_expire()
    restarted = run_careloop("worker", "--once", environment=environment)
    assert restarted.returncode == 0, restarted.stderr

    stored = OutboxMessage.objects.all()
    assert {message.status for message in stored} == {Status.SENT}
    expected = Counter({f"<{message.id}@careloop.invalid>": 1 for message in messages})
    expected[f"<{crashed_id}@careloop.invalid>"] += repeats
    assert Counter(smtp_server.handler.message_ids()) == expected
    for message in stored:
        assert message.provider_message_id == f"<{message.id}@careloop.invalid>"


def test_a_crash_on_every_attempt_ends_in_failed_not_in_a_loop(smtp_server):
    (message,) = _enqueue_emails(1)
    environment = smtp_worker_environment(
        smtp_server, CARELOOP_OUTBOX_CLAIM_SECONDS=LEASE_SECONDS, CARELOOP_CRASH_AT="outbox.claimed"
    )
    OutboxMessage.objects.filter(id=message.id).update(attempts=7)
    crashed = run_careloop("worker", "--once", environment=environment)
    assert crashed.returncode == 137, crashed.stderr
    assert OutboxMessage.objects.get().attempts == 8

    _wait_until_claims_expire()
    restarted = run_careloop(
        "worker", "--once", environment={**environment, "CARELOOP_CRASH_AT": ""}
    )
    assert restarted.returncode == 0, restarted.stderr
    stored = OutboxMessage.objects.get()
    assert (stored.status, stored.attempts) == (Status.FAILED, 8)
    assert smtp_server.handler.messages == []
