import re

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import User
from careloop.accounts.services import staff_create
from careloop.accounts.tests.conftest import post_password
from careloop.accounts.tests.invitations import example_link, invitation, link_path
from careloop.audit.models import AuditEvent
from careloop.core.errors import PermissionDenied, ValidationFailed
from careloop.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a fresh and long passphrase 42"


def _create(actor, **overrides):
    values = {
        "username": "nurse_nia",
        "first_name": "Nia",
        "last_name": "Nguyen",
        "email": "nia.nguyen@example.invalid",
        "role": "provider",
        "credentials": "NP",
    }
    values.update(overrides)
    return staff_create(actor=actor, set_password_link=example_link, **values)


def test_a_new_staff_member_is_active_without_a_usable_password(admin):
    user = _create(admin)
    user.refresh_from_db()
    assert (user.username, user.role, user.credentials, user.is_active) == (
        "nurse_nia",
        "provider",
        "NP",
        True,
    )
    assert not user.has_usable_password()
    event = AuditEvent.objects.get(action="staff.create")
    assert (event.actor_id, event.object_id, event.detail["role"]) == (
        admin.id,
        str(user.id),
        "provider",
    )
    assert "nia.nguyen" not in str(event.detail)


def test_the_invitation_is_queued_with_the_link_and_no_other_secret(admin):
    user = _create(admin)
    message = invitation()
    assert (message.channel, message.recipient) == ("email", "nia.nguyen@example.invalid")
    assert "nurse_nia" in message.body
    assert "Provider" in message.body
    path = link_path(message.body)
    # The link is the only long random string in the email; no password is ever sent.
    tokens = re.findall(r"[A-Za-z0-9_\-]{20,}", message.body.replace(path, ""))
    assert tokens == []
    assert user.password not in message.body
    assert "password:" not in message.body.lower()


def test_the_invitation_link_lets_them_choose_a_password_and_sign_in(admin):
    user = _create(admin)
    client = Client()
    response = client.get(link_path(invitation().body))
    assert response.status_code == 302
    form_url = response["Location"]
    assert b"Choose a new password" in client.get(form_url).content

    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    signed_in = post_password(Client(), "nurse_nia", NEW_PASSWORD)
    assert signed_in["Location"] == reverse("accounts:mfa_enroll")
    again = Client().get(link_path(invitation().body))
    assert b"This link no longer works" in again.content


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"role": "patient"}, [("role", "invalid_role")]),
        ({"role": "superuser"}, [("role", "invalid_role")]),
        ({"username": "ADMIN_ALEX"}, [("username", "duplicate")]),
        ({"username": "has space"}, [("username", "format")]),
        ({"username": ""}, [("username", "required")]),
        ({"email": "not-an-address"}, [("email", "format")]),
        ({"email": ""}, [("email", "required")]),
        (
            {"first_name": " ", "last_name": ""},
            [("first_name", "required"), ("last_name", "required")],
        ),
        ({"credentials": "X" * 41}, [("credentials", "too_long")]),
    ],
)
def test_bad_input_names_the_field_and_adds_nobody(admin, overrides, expected):
    users = User.objects.count()
    with pytest.raises(ValidationFailed) as raised:
        _create(admin, **overrides)
    assert [(e.field, e.code) for e in raised.value.errors] == expected
    assert User.objects.count() == users
    assert not OutboxMessage.objects.exists()
    assert not AuditEvent.objects.filter(action="staff.create").exists()


def test_the_role_message_lists_the_staff_roles_only(admin):
    with pytest.raises(ValidationFailed) as raised:
        _create(admin, role="patient")
    message = raised.value.errors[0].message
    assert "Practice admin" in message
    assert "Front desk" in message
    assert "Patient" not in message


def test_only_a_practice_admin_may_add_staff(provider):
    with pytest.raises(PermissionDenied):
        _create(provider)
    assert not User.objects.filter(username="nurse_nia").exists()
    assert not OutboxMessage.objects.exists()
