"""`stop_process`: how `careloop serve` stops its worker, and how the subprocess tests end a
long-running `careloop` process, also when the test fails half-way, so nothing it started
keeps working on the test database."""

import signal
import subprocess
import sys

from careloop.core.processes import stop_process

# A process that, like `careloop serve`, must be told to stop so it can stop what it started:
# on SIGTERM it writes that it stopped cleanly and exits 0.
POLITE = """
import signal, sys, time
def stop(signum, frame):
    print("stopped cleanly", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
time.sleep(60)
"""

# A process that ignores SIGTERM, as a hung one would.
STUBBORN = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(60)
"""


def _started(source):
    process = subprocess.Popen([sys.executable, "-c", source], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    return process


def test_a_running_process_is_asked_to_stop_so_it_can_stop_what_it_started():
    process = _started(POLITE)

    stop_process(process, grace=30)

    assert process.returncode == 0
    assert process.stdout is not None
    assert process.stdout.read() == "stopped cleanly\n"


def test_a_process_that_does_not_stop_within_the_grace_is_killed():
    process = _started(STUBBORN)

    stop_process(process, grace=0.5)

    assert process.returncode == -signal.SIGKILL


def test_a_process_that_has_ended_is_left_as_it_ended():
    process = _started(POLITE)
    process.terminate()
    process.wait(timeout=30)

    stop_process(process, grace=30)

    assert process.returncode == 0
