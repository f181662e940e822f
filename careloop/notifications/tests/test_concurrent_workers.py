"""Two worker processes sweeping the same outbox at once send each message exactly once."""

import subprocess
from collections import Counter

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from careloop.notifications.models import Channel, OutboxMessage, Status
from careloop.notifications.services import notification_enqueue
from careloop.notifications.tasks import deliver_due_notifications
from careloop.notifications.tests.conftest import smtp_worker_environment
from careloop.testing.processes import careloop_command

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = 40


def test_two_workers_sweeping_at_once_deliver_each_message_once(smtp_server):
    with transaction.atomic():
        messages = [
            notification_enqueue(
                channel=Channel.EMAIL,
                recipient=f"member{number}@example.invalid",
                body=f"Reminder {number}.",
                kind="test",
            )
            for number in range(MESSAGES)
        ]
    # Only sweeps, no per-message tasks: every sweep tries to claim every message, so the
    # workers race on the same rows and only the conditional claim keeps them apart.
    DBTaskResult.objects.all().delete()
    for _ in range(6):
        deliver_due_notifications.enqueue()
    smtp_server.handler.delay = 0.05

    environment = smtp_worker_environment(smtp_server)
    workers = [
        subprocess.Popen(
            careloop_command("worker", "--once"),
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENT}
    assert OutboxMessage.objects.filter(attempts=1).count() == MESSAGES
    assert Counter(smtp_server.handler.message_ids()) == Counter(
        f"<{message.id}@careloop.invalid>" for message in messages
    )
    assert (
        DBTaskResult.objects.filter(
            task_path="careloop.notifications.tasks.deliver_due_notifications", status="SUCCESSFUL"
        ).count()
        >= 6
    )
