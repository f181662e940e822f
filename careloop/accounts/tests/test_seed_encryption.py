import pytest
from django.db import connection

from careloop.accounts.selectors import totp_current_code
from careloop.accounts.services import totp_device_start_enrolment
from careloop.accounts.tests.conftest import SECRET, current_code, enroll

pytestmark = pytest.mark.django_db


def _stored_column(device_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT encrypted_secret FROM accounts_totpdevice WHERE id = %s", [device_id]
        )
        return cursor.fetchone()[0]


def test_a_provisioned_seed_is_not_stored_in_plain_text(provider):
    device = enroll(provider)
    stored = _stored_column(device.pk)
    assert SECRET not in stored
    assert SECRET.lower() not in stored.lower()
    assert stored.startswith("gAAAAA")  # a Fernet token


def test_an_enrolment_seed_is_not_stored_in_plain_text(coach):
    secret = totp_device_start_enrolment(user=coach)
    stored = _stored_column(coach.totp_device.pk)
    assert secret not in stored


def test_the_same_seed_encrypts_differently_each_time(provider, coach):
    first = enroll(provider)
    second = enroll(coach)
    assert _stored_column(first.pk) != _stored_column(second.pk)


def test_the_seed_decrypts_to_the_codes_the_app_shows(provider, frozen_clock):
    enroll(provider)
    assert totp_current_code(user=provider) == current_code()
