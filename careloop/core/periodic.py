"""Periodic jobs: a small scheduler of enqueues.

A job is a django-tasks task and an interval. Time is cut into slots of that interval counted
from the Unix epoch (a 15-second job has slots at :00, :15, :30 and :45). Every worker calls
`periodic_tick()` on each loop; for each job whose current slot has no `PeriodicRun` row yet,
the tick inserts that row and enqueues the task in one transaction. The row's unique
(name, slot_start) lets only one of several workers win a slot, so a job is enqueued at most
once per slot, and at least once per slot while any worker runs. Missed slots (no worker
running) are not caught up: jobs are sweeps that do all outstanding work whenever they run.

Apps register their jobs in `AppConfig.ready()`:

    register(PeriodicJob(name="deliver_due_notifications", every=timedelta(seconds=15),
                         task=deliver_due_notifications))
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from careloop.core import clock
from careloop.core.models import PeriodicRun

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    # A django_tasks Task taking no arguments.
    task: Any

    def __post_init__(self) -> None:
        if self.every < timedelta(seconds=1):
            raise ValueError(f"periodic job {self.name} must run at most once a second")


_jobs: dict[str, PeriodicJob] = {}


def register(job: PeriodicJob) -> None:
    """Add a job to the schedule; registering the same job again changes nothing."""
    existing = _jobs.get(job.name)
    if existing is not None and existing != job:
        raise ValueError(f"another periodic job is already registered as {job.name}")
    _jobs[job.name] = job


def registered_jobs() -> list[PeriodicJob]:
    return sorted(_jobs.values(), key=lambda job: job.name)


def slot_start(instant: datetime, every: timedelta) -> datetime:
    """The start of the slot of length `every` that holds `instant` (UTC, from the epoch)."""
    return EPOCH + ((instant - EPOCH) // every) * every


def periodic_tick(jobs: list[PeriodicJob] | None = None) -> list[str]:
    """Enqueue each job whose current slot has not been taken yet; return their names."""
    now = clock.now()
    enqueued = []
    for job in registered_jobs() if jobs is None else jobs:
        try:
            # The slot row and the task row commit together: if the enqueue fails, the
            # slot stays free and the next tick tries again.
            with transaction.atomic():
                PeriodicRun.objects.create(
                    name=job.name, slot_start=slot_start(now, job.every), enqueued_at=now
                )
                job.task.enqueue()
        except IntegrityError:
            continue
        enqueued.append(job.name)
    if enqueued:
        logger.debug("Enqueued periodic jobs: %s", ", ".join(enqueued))
    return enqueued
