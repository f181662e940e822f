"""Helpers for the sign-in tests: a fixed clock, a known TOTP seed and the sign-in steps."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts import totp
from careloop.accounts.models import TotpDevice, User
from careloop.accounts.services import totp_device_create_confirmed
from careloop.core import clock

PASSWORD = "correct horse battery staple"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# The start of a 30-second step, so "the next step" is exactly 30 seconds away.
START = datetime(2026, 12, 1, 15, 0, 0, tzinfo=UTC)


@pytest.fixture
def frozen_clock() -> datetime:
    clock.freeze(START)
    return START


def enroll(user: User, secret: str = SECRET) -> TotpDevice:
    return totp_device_create_confirmed(user=user, secret=secret)


def current_code(secret: str = SECRET) -> str:
    return totp.code_for_step(secret, totp.time_step(clock.now()))


def code_for_offset(steps: int, secret: str = SECRET) -> str:
    return totp.code_for_step(secret, totp.time_step(clock.now()) + steps)


def post_password(client: Client, username: str, password: str = PASSWORD, **extra: str):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password, **extra}
    )


def post_code(client: Client, code: str):
    return client.post(reverse("accounts:mfa_verify"), {"code": code})


def sign_in_fully(client: Client, user: User, secret: str = SECRET) -> None:
    """Password then the current TOTP code; the user must already be enrolled."""
    response = post_password(client, user.username)
    assert response.status_code == 302, response.content
    response = post_code(client, current_code(secret))
    assert response.status_code == 302, response.content
