import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def test_the_practice_admin_can_open_the_audit_log(admin):
    response = signed_in_client(admin).get(reverse("staff:audit_log"))
    assert response.status_code == 200
    assert b"<h1>Audit log</h1>" in response.content


@pytest.mark.parametrize("role", ["provider", "coach", "front_desk", "billing"])
def test_every_other_staff_role_is_refused(request, role):
    user = request.getfixturevalue(role)
    response = signed_in_client(user).get(reverse("staff:audit_log"))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="audit.view").exists()


def test_a_patient_is_told_the_page_does_not_exist(patient_ann):
    response = signed_in_client(patient_ann.user).get(reverse("staff:audit_log"))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="audit.view").exists()


def test_someone_not_signed_in_is_sent_to_sign_in(client):
    response = client.get(reverse("staff:audit_log"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not AuditEvent.objects.exists()


def test_viewing_the_log_is_itself_an_audit_event_without_a_patient(admin):
    signed_in_client(admin).get(reverse("staff:audit_log"), {"outcome": "denied"})
    viewed = AuditEvent.objects.get(action="audit.view")
    assert (viewed.actor_id, viewed.patient_id, viewed.outcome) == (admin.id, None, "success")
    assert viewed.detail == {"filters": ["outcome"]}
