import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from careloop.core.management.commands.serve import WORKER_STOP_SECONDS
from careloop.core.models import PeriodicRun
from careloop.core.processes import stop_process
from careloop.testing.processes import careloop_command, careloop_environment

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (our http URL)
            return response.status == 200
    except OSError:
        return False


def _is_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _killed_if_running(pid):
    """Kill a process if it is still running; whether it was."""
    if pid is None or not _is_running(pid):
        return False
    os.kill(pid, signal.SIGKILL)
    return True


def _collected(stream, lines):
    """Read a process's output in the background, so a failure can show what it said so far."""
    reader = threading.Thread(target=lambda: lines.extend(stream), daemon=True)
    reader.start()
    return reader


def test_serve_runs_the_web_server_and_a_worker_and_stops_the_worker_on_sigterm():
    port = _free_port()
    serve = subprocess.Popen(
        careloop_command("serve", f"127.0.0.1:{port}"),
        env=careloop_environment(CARELOOP_EMAIL="memory"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker_pid = None
    lines: list[str] = []
    try:
        assert serve.stdout is not None
        first_line = serve.stdout.readline()
        started = re.search(r"Background worker started \(process (\d+)\)", first_line)
        assert started, first_line
        worker_pid = int(started.group(1))
        reader = _collected(serve.stdout, lines)
        # A liveness guard, not a speed check: generous for a loaded 2-core CI machine, where
        # 30 s once ran out while another suite ran beside this one.
        deadline = time.monotonic() + 120
        while not _answers(f"http://127.0.0.1:{port}/api/v1/openapi.json"):
            assert serve.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, f"the web server never answered: {lines}"
            time.sleep(0.2)
        while not PeriodicRun.objects.exists():
            assert time.monotonic() < deadline, f"the worker never ticked: {lines}"
            time.sleep(0.2)
        assert _is_running(worker_pid)

        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
        reader.join(timeout=30)
    finally:
        # Also when the test fails half-way: serve is asked to stop its worker, and a worker it
        # could not stop is killed, so neither keeps working on the test database.
        stop_process(serve, grace=WORKER_STOP_SECONDS)
        worker_left = _killed_if_running(worker_pid)
    output = "".join(lines)
    assert serve.returncode == 0, output
    assert "Background worker stopped (exit status 0)" in output
    assert not worker_left
