"""Crash points: named places where a test can make the process die as if the power went out.

A test sets CARELOOP_CRASH_AT to a point's name in a subprocess's environment; when the code
reaches that point the process exits at once with status 137 (as if killed), without running
`finally` blocks, commit hooks or atexit handlers. The crash tests then restart a normal process
and check that nothing was lost. Production refuses the setting (careloop/settings.py) and this
module ignores it there as well.
"""

import logging
import os

from django.conf import settings

logger = logging.getLogger(__name__)

CRASH_EXIT_STATUS = 137


def crash_point(name: str) -> None:
    """Exit the process immediately if CARELOOP_CRASH_AT names this point (tests only)."""
    if name != settings.CRASH_AT:
        return
    if settings.PRODUCTION:
        logger.warning("Ignoring crash point %s: crash points are refused in production", name)
        return
    logger.warning("Crash point %s reached: exiting now", name)
    os._exit(CRASH_EXIT_STATUS)
