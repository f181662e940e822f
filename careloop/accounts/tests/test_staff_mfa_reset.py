import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import RecoveryCode, TotpDevice
from careloop.accounts.services import recovery_codes_replace, staff_mfa_reset
from careloop.accounts.tests.conftest import enroll, post_password
from careloop.audit.models import AuditEvent
from careloop.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


def test_an_admin_resets_a_lost_authenticator_app(admin, provider):
    enroll(provider)
    recovery_codes_replace(user=provider)
    assert staff_mfa_reset(actor=admin, user_id=provider.id) is True
    assert not TotpDevice.objects.filter(user=provider).exists()
    assert not RecoveryCode.objects.filter(user=provider).exists()
    event = AuditEvent.objects.get(action="auth.mfa_reset")
    assert (event.actor_id, event.object_id) == (admin.id, str(provider.id))
    response = post_password(Client(), provider.username)
    assert response["Location"] == reverse("accounts:mfa_enroll")


def test_resetting_someone_without_an_app_changes_nothing(admin, provider):
    assert staff_mfa_reset(actor=admin, user_id=provider.id) is False
    assert not AuditEvent.objects.filter(action="auth.mfa_reset").exists()


def test_only_a_practice_admin_may_reset_an_app(coach, provider):
    enroll(provider)
    with pytest.raises(PermissionDenied):
        staff_mfa_reset(actor=coach, user_id=provider.id)
    assert TotpDevice.objects.filter(user=provider).exists()
