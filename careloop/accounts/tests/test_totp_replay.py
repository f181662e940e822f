from datetime import timedelta

import pytest
from django.test import Client

from careloop.accounts.models import TotpDevice
from careloop.accounts.services import totp_device_accept_code
from careloop.accounts.sessions import is_second_factor_verified
from careloop.accounts.tests.conftest import (
    code_for_offset,
    current_code,
    enroll,
    post_code,
    post_password,
)
from careloop.core import clock

pytestmark = pytest.mark.django_db


def test_the_same_code_twice_in_one_step_fails_the_second_time(provider, frozen_clock):
    enroll(provider)
    code = current_code()
    first, second = Client(), Client()
    post_password(first, provider.username)
    post_password(second, provider.username)

    assert post_code(first, code).status_code == 302
    clock.advance(timedelta(seconds=10))
    response = post_code(second, code)

    assert response.status_code == 200
    assert b"That code did not work" in response.content
    assert is_second_factor_verified(first.session)
    assert not is_second_factor_verified(second.session)


def test_a_code_older_than_the_last_one_used_fails(provider, frozen_clock):
    device = enroll(provider)
    older = code_for_offset(-1)
    assert totp_device_accept_code(device=device, code=current_code())
    assert not totp_device_accept_code(device=device, code=older)


def test_a_code_from_one_step_ago_is_accepted_for_clock_drift(provider, frozen_clock):
    device = enroll(provider)
    assert totp_device_accept_code(device=device, code=code_for_offset(-1))
    device.refresh_from_db()
    assert device.last_used_step == int(frozen_clock.timestamp()) // 30 - 1


def test_a_code_from_one_step_ahead_is_accepted_for_clock_drift(provider, frozen_clock):
    device = enroll(provider)
    assert totp_device_accept_code(device=device, code=code_for_offset(1))


def test_a_code_two_steps_away_is_refused(provider, frozen_clock):
    device = enroll(provider)
    assert not totp_device_accept_code(device=device, code=code_for_offset(-2))
    assert not totp_device_accept_code(device=device, code=code_for_offset(2))
    assert TotpDevice.objects.get(pk=device.pk).last_used_step is None


def test_the_next_steps_code_works_after_one_was_used(provider, frozen_clock):
    device = enroll(provider)
    assert totp_device_accept_code(device=device, code=current_code())
    clock.advance(timedelta(seconds=30))
    assert totp_device_accept_code(device=device, code=current_code())
