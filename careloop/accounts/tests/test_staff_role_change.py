import pytest

from careloop.accounts.models import User
from careloop.accounts.services import staff_update_details, staff_update_role
from careloop.audit.models import AuditEvent
from careloop.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def _row(user):
    return User.objects.filter(pk=user.pk).values().get()


def test_a_role_change_is_saved_and_audited_with_both_roles(admin, front_desk):
    staff_update_role(actor=admin, user_id=front_desk.id, role="billing")
    front_desk.refresh_from_db()
    assert front_desk.role == "billing"
    event = AuditEvent.objects.get(action="staff.role_change")
    assert event.detail == {"from": "front_desk", "to": "billing"}


@pytest.mark.parametrize("role", ["patient", "", "owner"])
def test_only_staff_roles_may_be_chosen(admin, front_desk, role):
    before = _row(front_desk)
    with pytest.raises(ValidationFailed) as raised:
        staff_update_role(actor=admin, user_id=front_desk.id, role=role)
    assert [e.field for e in raised.value.errors] == ["role"]
    assert _row(front_desk) == before


def test_details_are_saved_and_the_audit_names_the_changed_fields(admin, provider):
    staff_update_details(
        actor=admin,
        user_id=provider.id,
        first_name="Pat",
        last_name=provider.last_name,
        email="pat.new@example.invalid",
        credentials="DO",
    )
    provider.refresh_from_db()
    assert (provider.first_name, provider.email, provider.credentials) == (
        "Pat",
        "pat.new@example.invalid",
        "DO",
    )
    event = AuditEvent.objects.get(action="staff.update")
    assert event.detail == {"fields": ["first_name", "email", "credentials"]}


def test_bad_details_change_nothing(admin, provider):
    before = _row(provider)
    with pytest.raises(ValidationFailed) as raised:
        staff_update_details(
            actor=admin,
            user_id=provider.id,
            first_name="",
            last_name="Smith",
            email="nope",
            credentials="",
        )
    assert [e.field for e in raised.value.errors] == ["first_name", "email"]
    assert _row(provider) == before


def test_only_a_practice_admin_may_change_roles(coach, front_desk):
    with pytest.raises(PermissionDenied):
        staff_update_role(actor=coach, user_id=front_desk.id, role="admin")
    front_desk.refresh_from_db()
    assert front_desk.role == "front_desk"
