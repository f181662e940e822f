from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import RecoveryCode, TotpDevice
from careloop.accounts.services import recovery_codes_replace
from careloop.accounts.tests.conftest import enroll, post_password
from careloop.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_command_removes_the_app_and_codes_so_the_next_sign_in_enrolls(provider):
    enroll(provider)
    recovery_codes_replace(user=provider)
    output = StringIO()

    call_command("mfa_reset", provider.username.upper(), stdout=output)

    assert "Removed the authenticator app of provider_pat" in output.getvalue()
    assert not TotpDevice.objects.exists()
    assert not RecoveryCode.objects.exists()
    assert AuditEvent.objects.filter(action="auth.mfa_reset").count() == 1
    response = post_password(Client(), provider.username)
    assert response["Location"] == reverse("accounts:mfa_enroll")


def test_the_command_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("mfa_reset", "ghost")
