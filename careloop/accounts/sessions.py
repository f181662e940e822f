"""What a signed-in session remembers about how and when it started."""

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
