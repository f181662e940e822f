import pytest

from careloop.accounts.models import TotpDevice
from careloop.accounts.selectors import totp_current_code
from careloop.accounts.services import totp_device_create_confirmed
from careloop.accounts.tests.conftest import SECRET, current_code
from careloop.core.errors import NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


def test_it_gives_a_user_a_confirmed_device_with_the_given_seed(provider, frozen_clock):
    device = totp_device_create_confirmed(user=provider, secret=SECRET.lower())
    assert device.is_confirmed
    assert totp_current_code(user=provider) == current_code()


def test_it_replaces_an_earlier_device(provider):
    totp_device_create_confirmed(user=provider, secret=SECRET)
    totp_device_create_confirmed(user=provider, secret="KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU")
    assert TotpDevice.objects.filter(user=provider).count() == 1


@pytest.mark.parametrize("secret", ["not base32!" * 4, "KRSXG5CTMVRXEZLU"])
def test_it_refuses_a_seed_that_is_not_long_base32(provider, secret):
    with pytest.raises(ValidationFailed) as error:
        totp_device_create_confirmed(user=provider, secret=secret)
    assert error.value.errors[0].field == "secret"
    assert not TotpDevice.objects.exists()


def test_the_current_code_needs_a_confirmed_device(provider):
    with pytest.raises(NotFound):
        totp_current_code(user=provider)
