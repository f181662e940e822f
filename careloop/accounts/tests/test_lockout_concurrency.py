from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from careloop.accounts.errors import SignInLocked, SignInRefused
from careloop.accounts.models import SignInThrottle
from careloop.accounts.services import sign_in_check_password
from careloop.audit.models import AuditEvent


def _attempt(username: str) -> str:
    try:
        sign_in_check_password(username=username, password="wrong password")
    except SignInLocked:
        return "locked"
    except SignInRefused:
        return "refused"
    finally:
        connection.close()
    return "signed in"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_all_count_and_lock_once(provider, frozen_clock):
    with ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(_attempt, [provider.username] * 5))
    assert sorted(outcomes) == ["locked", "refused", "refused", "refused", "refused"]
    assert SignInThrottle.objects.get(username=provider.username).locked_until is not None
    assert AuditEvent.objects.filter(action="auth.lockout").count() == 1
