"""Counting failed sign-in attempts per username and locking the username after too many."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from careloop.accounts.models import SignInThrottle, User
from careloop.accounts.selectors import normalize_username
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.core import clock


def _locked_row(username: str) -> SignInThrottle:
    try:
        with transaction.atomic():
            return SignInThrottle.objects.select_for_update().get_or_create(username=username)[0]
    except IntegrityError:
        # Another request created the row between our read and insert; lock theirs.
        return SignInThrottle.objects.select_for_update().get(username=username)


def sign_in_failure_record(*, username: str, user: User | None) -> bool:
    """Count one failed attempt (password or second factor); True if it locked the username.

    Failures count within a window of LOGIN_LOCKOUT_SECONDS from the first one; reaching
    LOGIN_FAILURE_LIMIT locks the username for LOGIN_LOCKOUT_SECONDS. Must run inside the
    caller's transaction, which it locks the row for.
    """
    now = clock.now()
    window = timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    row = _locked_row(normalize_username(username))
    if row.first_failure_at is None or now - row.first_failure_at >= window:
        row.failure_count = 1
        row.first_failure_at = now
    else:
        row.failure_count += 1
    locked = row.failure_count >= settings.LOGIN_FAILURE_LIMIT
    if locked:
        row.locked_until = now + window
        row.failure_count = 0
        row.first_failure_at = None
    row.save(update_fields=["failure_count", "first_failure_at", "locked_until"])
    if locked:
        audit_record(
            action="auth.lockout",
            actor=user,
            outcome=Outcome.DENIED,
            object_type="user" if user else "",
            object_id=user.pk if user else "",
            detail={"username": row.username, "locked_seconds": settings.LOGIN_LOCKOUT_SECONDS},
        )
    return locked


def sign_in_throttle_clear(*, username: str) -> None:
    SignInThrottle.objects.filter(username=normalize_username(username)).delete()
