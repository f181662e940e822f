from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse

from careloop.accounts.models import User
from careloop.accounts.tests.conftest import post_password
from careloop.accounts.tests.invitations import link_path
from careloop.audit.models import AuditEvent
from careloop.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a fresh and long passphrase 42"


def _run(*args: str) -> str:
    output = StringIO()
    call_command("create_admin", *args, stdout=output)
    return output.getvalue()


@override_settings(PORTAL_BASE_URL="https://clinic.example/")
def test_it_creates_an_admin_and_prints_a_link_that_sets_the_password():
    output = _run("--username", "owner", "--email", "owner@example.invalid", "--first-name", "Olga")

    user = User.objects.get(username="owner")
    assert (user.role, user.first_name, user.is_active) == ("admin", "Olga", True)
    assert not user.has_usable_password()
    assert "https://clinic.example/accounts/password-reset/" in output
    assert not OutboxMessage.objects.exists()
    assert AuditEvent.objects.filter(action="staff.create", actor_id=None).exists()

    client = Client()
    form_url = client.get(link_path(output))["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    response = post_password(Client(), "owner", NEW_PASSWORD)
    assert response["Location"] == reverse("accounts:mfa_enroll")


def test_it_refuses_a_username_that_exists_in_any_case(admin):
    users = list(User.objects.values())
    with pytest.raises(CommandError, match="--username: “ADMIN_ALEX” is already taken"):
        _run("--username", "ADMIN_ALEX", "--email", "new@example.invalid")
    assert list(User.objects.values()) == users


def test_it_names_a_bad_email(db):
    with pytest.raises(CommandError, match=r"No admin was created\. --email: Enter an email"):
        _run("--username", "owner", "--email", "owner-at-example")
    assert not User.objects.exists()
