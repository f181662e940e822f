"""The clinic always keeps at least one active practice admin, and admins cannot lock
themselves out."""

import pytest

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.accounts.services import staff_deactivate, staff_update_role
from careloop.core.errors import Conflict
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db


def _roles():
    return dict(User.objects.values_list("username", "role"))


def _active():
    return dict(User.objects.values_list("username", "is_active"))


def test_an_admin_cannot_deactivate_themselves(admin):
    make_user(role=Role.ADMIN, username="admin_two")
    with pytest.raises(Conflict) as raised:
        staff_deactivate(actor=admin, user_id=admin.id)
    assert raised.value.code == "own_account"
    admin.refresh_from_db()
    assert admin.is_active


def test_an_admin_cannot_change_their_own_role(admin):
    make_user(role=Role.ADMIN, username="admin_two")
    with pytest.raises(Conflict) as raised:
        staff_update_role(actor=admin, user_id=admin.id, role="provider")
    assert raised.value.code == "own_role"
    assert _roles()["admin_alex"] == "admin"


def test_another_admin_can_be_demoted_while_one_remains(admin):
    other = make_user(role=Role.ADMIN, username="admin_two")
    staff_update_role(actor=admin, user_id=other.id, role="billing")
    assert _roles()["admin_two"] == "billing"


def test_two_admins_demoting_each_other_leave_one_admin(admin):
    """The second request was authorized before the first committed (a race): the locked
    recount still refuses it."""
    other = make_user(role=Role.ADMIN, username="admin_two")
    stale_other = User.objects.get(pk=other.pk)
    staff_update_role(actor=admin, user_id=other.id, role="provider")

    with pytest.raises(Conflict) as raised:
        staff_update_role(actor=stale_other, user_id=admin.id, role="provider")

    assert raised.value.code == "last_admin"
    assert "only active practice admin" in raised.value.message
    assert _roles() == {"admin_alex": "admin", "admin_two": "provider"}


def test_two_admins_deactivating_each_other_leave_one_active(admin):
    other = make_user(role=Role.ADMIN, username="admin_two")
    stale_other = User.objects.get(pk=other.pk)
    staff_deactivate(actor=admin, user_id=other.id)

    with pytest.raises(Conflict) as raised:
        staff_deactivate(actor=stale_other, user_id=admin.id)

    assert raised.value.code == "last_admin"
    assert _active() == {"admin_alex": True, "admin_two": False}


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(admin):
    other = make_user(role=Role.ADMIN, username="admin_two")
    dormant = make_user(role=Role.ADMIN, username="admin_dormant", is_active=False)
    stale_other = User.objects.get(pk=other.pk)
    staff_update_role(actor=admin, user_id=other.id, role="provider")
    with pytest.raises(Conflict):
        staff_update_role(actor=stale_other, user_id=admin.id, role="provider")
    assert _roles()["admin_alex"] == "admin"
    assert _roles()[dormant.username] == "admin"
