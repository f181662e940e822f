"""`careloop serve`: the development server and a background worker together (`make run`).

The worker runs as a child process in its own session, so Ctrl-C in the terminal reaches only
this command, which then stops the worker once and waits for its current task to finish.
"""

import os
import signal
import subprocess
import sys
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from careloop.core.processes import stop_process

WORKER_STOP_SECONDS = 30


def startup_lines() -> list[str]:
    """Lines printed before the server starts; the demo clinic adds its sign-in help here."""
    return []


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # runserver stops cleanly only on KeyboardInterrupt; SystemExit also unwinds through the
    # `finally` that stops the worker, where the default SIGTERM action would not.
    raise SystemExit(0)


class Command(BaseCommand):
    help = "Run the development server on 127.0.0.1:8000 with a background worker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "addrport",
            nargs="?",
            default="127.0.0.1:8000",
            help="Address and port of the web server (default: %(default)s).",
        )

    def handle(self, *args: Any, addrport: str, **options: Any) -> None:
        worker = self.start_worker()
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            for line in startup_lines():
                self.stdout.write(line)
            call_command("runserver", addrport, use_reloader=False)
        finally:
            signal.signal(signal.SIGTERM, previous)
            self.stop_worker(worker)

    def start_worker(self) -> subprocess.Popen[bytes]:
        environment = dict(os.environ)
        environment.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
        worker = subprocess.Popen(
            [sys.executable, "-m", "django", "worker"],
            env=environment,
            start_new_session=True,
        )
        self.stdout.write(f"Background worker started (process {worker.pid}).")
        return worker

    def stop_worker(self, worker: subprocess.Popen[bytes]) -> None:
        stop_process(worker, grace=WORKER_STOP_SECONDS)
        self.stdout.write(f"Background worker stopped (exit status {worker.returncode}).")
