import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from careloop.core import clock, periodic
from careloop.core.models import PeriodicRun
from careloop.core.periodic import PeriodicJob, periodic_tick, register, slot_start
from careloop.notifications.tasks import deliver_due_notifications

SEVEN_PAST_NOON = datetime(2026, 3, 2, 12, 0, 7, tzinfo=UTC)
SWEEP = PeriodicJob(
    name="deliver_due_notifications", every=timedelta(seconds=15), task=deliver_due_notifications
)


@pytest.mark.parametrize(
    ("instant", "every", "expected"),
    [
        (SEVEN_PAST_NOON, timedelta(seconds=15), datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)),
        (
            datetime(2026, 3, 2, 12, 0, 15, tzinfo=UTC),
            timedelta(seconds=15),
            datetime(2026, 3, 2, 12, 0, 15, tzinfo=UTC),
        ),
        (SEVEN_PAST_NOON, timedelta(hours=1), datetime(2026, 3, 2, 12, 0, tzinfo=UTC)),
        (SEVEN_PAST_NOON, timedelta(days=1), datetime(2026, 3, 2, tzinfo=UTC)),
    ],
)
def test_a_slot_starts_at_a_multiple_of_its_interval_from_the_epoch(instant, every, expected):
    assert slot_start(instant, every) == expected


def test_the_outbox_sweep_is_registered_every_fifteen_seconds():
    assert SWEEP in periodic.registered_jobs()


@pytest.mark.django_db
def test_a_job_is_enqueued_once_per_slot_even_when_ticked_twice():
    clock.freeze(SEVEN_PAST_NOON)
    assert periodic_tick([SWEEP]) == ["deliver_due_notifications"]
    assert periodic_tick([SWEEP]) == []
    clock.advance(timedelta(seconds=7))
    assert periodic_tick([SWEEP]) == []
    assert DBTaskResult.objects.count() == 1

    clock.advance(timedelta(seconds=1))
    assert periodic_tick([SWEEP]) == ["deliver_due_notifications"]
    assert list(
        PeriodicRun.objects.order_by("slot_start").values_list("slot_start", flat=True)
    ) == [
        datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 12, 0, 15, tzinfo=UTC),
    ]
    tasks = DBTaskResult.objects.all()
    assert [task.task_path for task in tasks] == [
        "careloop.notifications.tasks.deliver_due_notifications"
    ] * 2


@pytest.mark.django_db
def test_a_tick_enqueues_every_registered_job_that_is_due():
    clock.freeze(SEVEN_PAST_NOON)
    assert periodic_tick() == [
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
    ]
    clock.advance(timedelta(seconds=15))
    assert periodic_tick() == ["deliver_due_notifications"]


@pytest.mark.django_db
def test_a_failed_enqueue_leaves_the_slot_free_for_the_next_tick():
    class BrokenTask:
        def enqueue(self):
            raise RuntimeError("task store unavailable")

    clock.freeze(SEVEN_PAST_NOON)
    broken = PeriodicJob(name="deliver_due_notifications", every=SWEEP.every, task=BrokenTask())
    with pytest.raises(RuntimeError):
        periodic_tick([broken])
    assert PeriodicRun.objects.count() == 0
    assert periodic_tick([SWEEP]) == ["deliver_due_notifications"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_once_enqueue_the_job_once():
    clock.freeze(SEVEN_PAST_NOON)
    start = threading.Barrier(2)
    results = []

    def tick():
        start.wait()
        try:
            results.append(periodic_tick([SWEEP]))
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [[], ["deliver_due_notifications"]]
    assert PeriodicRun.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_registering_the_same_job_again_changes_nothing(monkeypatch):
    monkeypatch.setattr(periodic, "_jobs", {})
    register(SWEEP)
    register(SWEEP)
    assert periodic.registered_jobs() == [SWEEP]


def test_two_different_jobs_cannot_share_a_name(monkeypatch):
    monkeypatch.setattr(periodic, "_jobs", {})
    register(SWEEP)
    with pytest.raises(ValueError, match="already registered as deliver_due_notifications"):
        register(PeriodicJob(name=SWEEP.name, every=timedelta(minutes=1), task=SWEEP.task))


def test_a_job_cannot_run_more_than_once_a_second():
    with pytest.raises(ValueError, match="at most once a second"):
        PeriodicJob(name="busy", every=timedelta(milliseconds=10), task=SWEEP.task)
