import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def test_a_staff_member_refused_a_page_leaves_a_denied_event(billing, patient_ann):
    url = reverse("staff:patient_edit", kwargs={"patient_id": patient_ann.id})
    response = signed_in_client(billing).get(url)
    assert response.status_code == 403
    event = AuditEvent.objects.get(action="access.denied")
    assert (event.actor_id, event.outcome, event.patient_id, event.object_id) == (
        billing.id,
        "denied",
        patient_ann.id,
        "patient_edit",
    )


def test_a_patient_trying_a_staff_page_leaves_a_denied_event(patient_ann, patient_bob):
    url = reverse("staff:patient_chart", kwargs={"patient_id": patient_bob.id})
    response = signed_in_client(patient_ann.user).get(url)
    assert response.status_code == 404
    event = AuditEvent.objects.get(action="access.denied")
    assert (event.actor_id, event.patient_id) == (patient_ann.user.id, patient_bob.id)
