"""Bad input shows a message beside the field and changes nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import ApiToken, RecoveryCode, SignInThrottle, TotpDevice
from careloop.accounts.tests.conftest import PASSWORD, enroll, post_password
from careloop.audit.models import AuditEvent
from careloop.notifications.models import OutboxMessage
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _errors_for(response, field: str) -> list[str]:
    return [str(error) for error in response.context["form"].errors.get(field, [])]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"username": "", "password": "x"}, "username", "Enter your username."),
        ({"username": "someone", "password": ""}, "password", "Enter your password."),
    ],
)
def test_an_incomplete_sign_in_form_names_the_missing_field(db, data, field, message):
    response = Client().post(reverse("accounts:login"), data)
    assert response.status_code == 200
    assert _errors_for(response, field) == [message]
    assert not SignInThrottle.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_blank_token_name_is_refused(provider):
    response = signed_in_client(provider).post(reverse("accounts:token_create"), {"name": "  "})
    assert response.status_code == 422
    assert "Give the token a name" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_too_long_token_name_is_refused(provider):
    response = signed_in_client(provider).post(
        reverse("accounts:token_create"), {"name": "x" * 101}
    )
    assert response.status_code == 422
    assert "100 characters or fewer" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_second_active_token_with_the_same_name_is_refused(provider):
    client = signed_in_client(provider)
    client.post(reverse("accounts:token_create"), {"name": "Lab import"})
    response = client.post(reverse("accounts:token_create"), {"name": "Lab import"})
    assert response.status_code == 422
    assert "already have an active token named" in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_an_enrolment_code_that_is_not_six_digits_is_refused(coach, frozen_clock):
    client = Client()
    post_password(client, coach.username)
    client.get(reverse("accounts:mfa_enroll"))
    response = client.post(reverse("accounts:mfa_enroll"), {"code": "12ab"})
    assert response.status_code == 200
    assert "The code is 6 digits, like 123456." in response.content.decode()
    assert not TotpDevice.objects.get(user=coach).is_confirmed


def test_a_malformed_email_for_password_reset_is_refused(db):
    response = Client().post(reverse("accounts:password_reset"), {"email": "not an email"})
    assert response.status_code == 200
    assert _errors_for(response, "email") == ["Enter an email address such as name@example.com."]
    assert not OutboxMessage.objects.exists()


def test_a_wrong_current_password_changes_nothing(provider):
    client = signed_in_client(provider)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "not it",
            "new_password1": "another long passphrase 7",
            "new_password2": "another long passphrase 7",
        },
    )
    assert response.status_code == 422
    assert "Your old password was entered incorrectly" in response.content.decode()
    provider.refresh_from_db()
    assert provider.check_password(PASSWORD)


def test_a_short_new_password_is_refused(provider):
    client = signed_in_client(provider)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "short1", "new_password2": "short1"},
    )
    assert response.status_code == 422
    assert "at least 12 characters" in response.content.decode()
    provider.refresh_from_db()
    assert provider.check_password(PASSWORD)


def test_regenerating_recovery_codes_with_a_wrong_code_keeps_the_old_ones(provider, frozen_clock):
    from careloop.accounts.services import recovery_codes_replace

    enroll(provider)
    recovery_codes_replace(user=provider)
    before = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    response = signed_in_client(provider).post(
        reverse("accounts:recovery_codes"), {"code": "12345"}
    )
    assert response.status_code == 422
    assert "The code is 6 digits" in response.content.decode()
    assert set(RecoveryCode.objects.values_list("code_hash", flat=True)) == before
