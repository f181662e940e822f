import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.services import api_token_create, staff_deactivate, staff_reactivate
from careloop.accounts.tests.conftest import PASSWORD, post_password
from careloop.audit.models import AuditEvent
from careloop.core.errors import NotFound, PermissionDenied
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _me(token: str):
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_a_deactivated_staff_member_cannot_sign_in(admin, provider):
    staff_deactivate(actor=admin, user_id=provider.id)
    response = post_password(Client(), provider.username, PASSWORD)
    assert response.status_code == 200
    assert b"do not match" in response.content
    assert "_auth_user_id" not in response.client.session


def test_their_open_session_ends_at_the_next_request(admin, provider):
    client = signed_in_client(provider)
    assert client.get(reverse("staff:patient_search")).status_code == 200
    staff_deactivate(actor=admin, user_id=provider.id)
    response = client.get(reverse("staff:patient_search"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_their_api_tokens_stop_working_and_work_again_after_reactivation(admin, provider):
    _, token = api_token_create(user=provider, name="Lab import")
    assert _me(token).status_code == 200
    staff_deactivate(actor=admin, user_id=provider.id)
    assert _me(token).status_code == 401
    staff_reactivate(actor=admin, user_id=provider.id)
    assert _me(token).status_code == 200


def test_reactivation_lets_them_sign_in_again(admin, provider):
    staff_deactivate(actor=admin, user_id=provider.id)
    staff_reactivate(actor=admin, user_id=provider.id)
    response = post_password(Client(), provider.username, PASSWORD)
    assert response.status_code == 302


def test_both_changes_are_audited_once(admin, provider):
    staff_deactivate(actor=admin, user_id=provider.id)
    staff_deactivate(actor=admin, user_id=provider.id)
    staff_reactivate(actor=admin, user_id=provider.id)
    actions = list(
        AuditEvent.objects.filter(object_id=str(provider.id), action__startswith="staff.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["staff.deactivate", "staff.reactivate"]


def test_patients_are_not_staff_members(admin, patient_ann):
    with pytest.raises(NotFound):
        staff_deactivate(actor=admin, user_id=patient_ann.user.id)
    patient_ann.user.refresh_from_db()
    assert patient_ann.user.is_active


def test_only_a_practice_admin_may_deactivate(front_desk, provider):
    with pytest.raises(PermissionDenied):
        staff_deactivate(actor=front_desk, user_id=provider.id)
    provider.refresh_from_db()
    assert provider.is_active
