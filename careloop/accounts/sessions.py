"""What a signed-in session remembers about how and when it started."""

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from careloop.core import clock

STARTED_AT = "careloop_started_at"
LAST_SEEN_AT = "careloop_last_seen_at"
SECOND_FACTOR_VERIFIED = "careloop_second_factor_verified"


def mark_signed_in(session: SessionBase, *, second_factor_verified: bool) -> None:
    timestamp = clock.now().timestamp()
    session[STARTED_AT] = timestamp
    session[LAST_SEEN_AT] = timestamp
    session[SECOND_FACTOR_VERIFIED] = second_factor_verified


def is_second_factor_verified(session: SessionBase) -> bool:
    return bool(session.get(SECOND_FACTOR_VERIFIED))


def mark_second_factor_verified(session: SessionBase) -> None:
    """The second step of a staff sign-in passed; the session's time limits start now."""
    mark_signed_in(session, second_factor_verified=True)


def expiry_reason(session: SessionBase) -> str | None:
    """ "idle" or "absolute" if the session has outlived a limit, else None.

    A session without timestamps (one not made by the sign-in views) starts being measured now.
    """
    now = clock.now().timestamp()
    started_at = session.get(STARTED_AT)
    last_seen_at = session.get(LAST_SEEN_AT)
    if started_at is None or last_seen_at is None:
        session[STARTED_AT] = started_at if started_at is not None else now
        session[LAST_SEEN_AT] = now
        return None
    if now - float(started_at) >= settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS:
        return "absolute"
    if now - float(last_seen_at) >= settings.SESSION_IDLE_TIMEOUT_SECONDS:
        return "idle"
    return None


def touch(session: SessionBase) -> None:
    session[LAST_SEEN_AT] = clock.now().timestamp()
