"""Stopping a child process: `careloop serve` its worker, the subprocess tests what they start."""

import subprocess
from typing import Any


def stop_process(process: "subprocess.Popen[Any]", *, grace: float) -> None:
    """Stop a process the way its user would, with SIGTERM, so that it finishes its current
    work and stops what it started (`serve` stops its worker); kill it if it has not ended
    after `grace` seconds. A process that has already ended is left as it ended."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
