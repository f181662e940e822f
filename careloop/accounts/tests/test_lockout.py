import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.sessions import is_second_factor_verified
from careloop.accounts.tests.conftest import current_code, enroll, post_code, post_password
from careloop.audit.models import AuditEvent
from careloop.core import clock

pytestmark = pytest.mark.django_db

LOCKED = b"Too many failed attempts"


def _fail(username: str, times: int):
    response = None
    for _ in range(times):
        response = post_password(Client(), username, "wrong password")
    return response


def _comparable(response) -> str:
    # The CSRF token differs per response; nothing else may.
    return re.sub(
        r'value="[A-Za-z0-9]{64}"|"X-CSRFToken": "[A-Za-z0-9]{64}"', "", response.content.decode()
    )


def test_five_failures_lock_the_username(provider, frozen_clock):
    enroll(provider)
    fourth = _fail(provider.username, 4)
    assert LOCKED not in fourth.content
    fifth = _fail(provider.username, 1)
    assert LOCKED in fifth.content

    client = Client()
    response = post_password(client, provider.username)
    assert response.status_code == 200
    assert LOCKED in response.content
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.lockout", actor_id=provider.pk).count() == 1


def test_the_lock_counts_the_username_in_any_case(provider, frozen_clock):
    _fail(provider.username.upper(), 5)
    assert LOCKED in post_password(Client(), provider.username).content


def test_an_unknown_username_gets_exactly_the_same_responses(provider, frozen_clock):
    for attempt in range(6):
        known = post_password(Client(), provider.username, "wrong password")
        unknown = post_password(Client(), "nobody_here", "wrong password")
        assert known.status_code == unknown.status_code, attempt
        assert _comparable(known) == _comparable(unknown).replace(
            'value="nobody_here"', f'value="{provider.username}"'
        ), attempt


def test_the_lock_ends_after_fifteen_minutes(provider, frozen_clock):
    enroll(provider)
    _fail(provider.username, 5)
    clock.advance(timedelta(minutes=14, seconds=59))
    assert LOCKED in post_password(Client(), provider.username).content

    clock.advance(timedelta(seconds=1))
    response = post_password(Client(), provider.username)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:mfa_verify")


def test_failures_older_than_the_window_do_not_count(provider, frozen_clock):
    _fail(provider.username, 4)
    clock.advance(timedelta(minutes=15))
    _fail(provider.username, 4)
    response = post_password(Client(), provider.username)
    assert response.status_code == 302


def test_a_successful_sign_in_resets_the_count(provider, frozen_clock):
    _fail(provider.username, 4)
    assert post_password(Client(), provider.username).status_code == 302
    assert LOCKED not in _fail(provider.username, 4).content


def test_failed_codes_count_towards_the_lock(provider, frozen_clock):
    enroll(provider)
    code = current_code()
    wrong = "000000" if code != "000000" else "111111"
    client = Client()
    post_password(client, provider.username)
    for _ in range(4):
        assert post_code(client, wrong).status_code == 200
    response = post_code(client, wrong)
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    # Even with the right password and code, the username is locked now.
    assert LOCKED in post_password(Client(), provider.username).content


def test_the_code_step_refuses_codes_while_locked(provider, frozen_clock):
    enroll(provider)
    client = Client()
    post_password(client, provider.username)
    _fail(provider.username, 5)
    response = post_code(client, current_code())
    assert response["Location"] == reverse("accounts:login")
    assert not is_second_factor_verified(client.session)
