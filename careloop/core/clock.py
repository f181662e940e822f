"""The one source of "now".

Every part of Careloop asks this module for the time, so an "as of" billing run, a test and
the live app all take the same path. The override is process-wide (not a context variable)
because the test live server answers requests on another thread. A test's subprocess is
stopped at the instant CARELOOP_CLOCK_AT names (settings.CLOCK_AT; refused in production).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_lock = threading.Lock()
_frozen: datetime | None = None


def _configured() -> datetime | None:
    instant: datetime | None = settings.CLOCK_AT
    if instant is None or settings.PRODUCTION:
        return None
    return instant.astimezone(ZoneInfo("UTC"))


def now() -> datetime:
    """The current instant, aware, in UTC."""
    frozen = _frozen
    if frozen is not None:
        return frozen
    return _configured() or timezone.now()


def clinic_zone() -> ZoneInfo:
    from careloop.core.selectors import clinic_settings

    return ZoneInfo(clinic_settings().time_zone)


def today() -> date:
    """Today's calendar date in the clinic's time zone."""
    return now().astimezone(clinic_zone()).date()


def freeze(instant: datetime) -> None:
    if timezone.is_naive(instant):
        raise ValueError("the clock takes aware datetimes only")
    global _frozen
    with _lock:
        _frozen = instant.astimezone(ZoneInfo("UTC"))


def advance(delta: timedelta) -> datetime:
    global _frozen
    with _lock:
        _frozen = (_frozen or _configured() or timezone.now()) + delta
        return _frozen


def unfreeze() -> None:
    global _frozen
    with _lock:
        _frozen = None


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    """Run the block with the clock stopped at `instant` (an "as of" run)."""
    global _frozen
    previous = _frozen
    freeze(instant)
    try:
        yield
    finally:
        with _lock:
            _frozen = previous
