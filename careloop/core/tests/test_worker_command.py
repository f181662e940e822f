import signal
import subprocess
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from careloop.core.models import PeriodicRun
from careloop.notifications.models import Channel, OutboxMessage, Status
from careloop.notifications.services import notification_enqueue
from careloop.testing.processes import careloop_command, careloop_environment

pytestmark = pytest.mark.django_db(transaction=True)


def test_once_ticks_the_scheduler_and_runs_every_ready_task():
    with transaction.atomic():
        notification_enqueue(
            channel=Channel.EMAIL, recipient="ann.avery@example.invalid", body="Hi.", kind="test"
        )
    call_command("worker", "--once")

    assert OutboxMessage.objects.get().status == Status.SENT
    assert len(mail.outbox) == 1
    assert set(PeriodicRun.objects.values_list("name", flat=True)) == {
        "apply_due_scheduled_changes",
        "appointment_reminders_due",
        "billing_payments_settle",
        "billing_run_daily",
        "care_gaps_escalate",
        "care_work_generate",
        "deliver_due_notifications",
        "grant_current_entitlements",
        "messaging_escalate",
        "prune_background_records",
    }
    assert sorted(DBTaskResult.objects.values_list("task_path", "status")) == [
        ("careloop.billing.tasks.billing_run_daily", "SUCCESSFUL"),
        ("careloop.billing.tasks.payments_settle", "SUCCESSFUL"),
        ("careloop.care.tasks.care_gaps_escalate_daily", "SUCCESSFUL"),
        ("careloop.care.tasks.care_work_generate_daily", "SUCCESSFUL"),
        ("careloop.core.tasks.prune_background_records", "SUCCESSFUL"),
        ("careloop.memberships.tasks.apply_due_scheduled_changes", "SUCCESSFUL"),
        ("careloop.memberships.tasks.grant_current_entitlements", "SUCCESSFUL"),
        ("careloop.messaging.tasks.messaging_escalate_due", "SUCCESSFUL"),
        ("careloop.notifications.tasks.deliver_due_notifications", "SUCCESSFUL"),
        ("careloop.notifications.tasks.deliver_notification", "SUCCESSFUL"),
        ("careloop.scheduling.tasks.appointment_reminders_due", "SUCCESSFUL"),
    ]


def test_once_restores_the_signal_handlers_it_replaced():
    before = signal.getsignal(signal.SIGTERM)
    call_command("worker", "--once")
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_running_worker_stops_cleanly_on_a_stop_signal(stop_signal):
    worker = subprocess.Popen(
        careloop_command("worker", "--interval", "0.2"),
        env=careloop_environment(CARELOOP_EMAIL="memory"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not PeriodicRun.objects.exists():
            assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
            assert time.monotonic() < deadline, "the worker never ticked"
            time.sleep(0.1)
        worker.send_signal(stop_signal)
        output, _ = worker.communicate(timeout=15)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, output
    assert "stopping after the current task" in output
    assert "stopped" in output
