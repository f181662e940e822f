"""`careloop worker`: run periodic jobs and background tasks until stopped.

Each loop ticks the periodic scheduler (careloop.core.periodic), then runs every ready task
with django-tasks-db's Worker, then sleeps `--interval` seconds if there was nothing to do.
Any number of workers may run against one PostgreSQL database: django-tasks-db claims each
task row with SELECT ... FOR UPDATE SKIP LOCKED, the unique PeriodicRun row lets one worker
enqueue a periodic job per slot, and outbox messages are claimed by conditional UPDATE.
SIGTERM or SIGINT lets the current task finish, then exits; a second signal exits at once.
"""

import logging
import signal
import sys
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django.db.utils import OperationalError
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import (
    Worker,
    valid_interval,
    validate_worker_id,
)
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from careloop.core.periodic import periodic_tick

logger = logging.getLogger("careloop.worker")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class CareloopWorker(Worker):
    """django-tasks-db's Worker, driven by our loop so each round also ticks the scheduler."""

    def __init__(self, *, interval: float, once: bool, worker_id: str) -> None:
        super().__init__(
            queue_names=["*"],
            interval=interval,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        self.once = once
        self.wake = threading.Event()

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            logger.warning("Received %s again: stopping now", signal.strsignal(signum))
            sys.exit(1)
        logger.info("Received %s: stopping after the current task", signal.strsignal(signum))
        # Unlike the library's handler, never exit from inside the handler: the loop checks
        # `running` between steps, so a periodic tick is never cut off halfway either.
        self.running = False
        self.wake.set()

    def claim_next(self) -> "DBTaskResult[Any, Any] | None":
        """Take the next ready task row, as django-tasks-db's own loop does."""
        ready = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        with exclusive_transaction(ready.db):
            try:
                task_result = ready.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as error:
                # SQLite: another process holds the write lock; try again next round.
                if is_locked_database_exception(error):
                    return None
                raise
        return task_result

    def drain(self) -> int:
        ran = 0
        while self.running:
            task_result = self.claim_next()
            if task_result is None:
                break
            self.run_task(task_result)
            ran += 1
        return ran

    def tick(self) -> None:
        try:
            periodic_tick()
        except DatabaseError:
            # A database hiccup must not stop the worker; the next round ticks again.
            logger.exception("Periodic tick failed")

    def run(self) -> None:
        logger.info("Worker %s started", self.worker_id)
        while self.running:
            close_old_connections()
            self.tick()
            ran = self.drain()
            close_old_connections()
            if self.once:
                break
            if ran == 0 and self.running:
                self.wake.wait(self.interval)
        logger.info("Worker %s stopped", self.worker_id)


class Command(BaseCommand):
    help = "Run periodic jobs and background tasks until stopped (SIGTERM or Ctrl-C)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=1.0,
            help="Seconds to sleep when there is nothing to do (default: %(default)s).",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Tick the scheduler and run every ready task once, then exit.",
        )
        parser.add_argument(
            "--worker-id",
            type=validate_worker_id,
            default=None,
            help="A name for this worker in task records, unique across workers (default: random).",
        )

    def handle(
        self, *args: Any, interval: float, once: bool, worker_id: str | None, **options: Any
    ) -> None:
        if options["verbosity"] < 2:
            # django-tasks logs two lines per task at INFO; the 15-second sweep alone would
            # fill the terminal. Failed tasks are still logged (at ERROR).
            logging.getLogger("django_tasks").setLevel(logging.WARNING)
        worker = CareloopWorker(
            interval=interval, once=once, worker_id=worker_id or get_random_string(32)
        )
        previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
        for number in STOP_SIGNALS:
            signal.signal(number, worker.shutdown)
        try:
            worker.run()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
