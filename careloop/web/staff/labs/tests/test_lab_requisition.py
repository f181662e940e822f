"""The printable requisition shows who and what was ordered (patient, date of birth, ordering
provider, panels with LOINC codes, order number, date), never result values, and opening it
is an audited read."""

import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.care.models import LabOrderStatus
from careloop.care.tests.lab_builders import lab_order, record, result
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def test_the_requisition_names_patient_provider_panels_and_number(provider, patient_ann):
    order = lab_order(provider, patient_ann, "lipid", "hba1c", status=LabOrderStatus.ORDERED)
    url = reverse("staff:lab_requisition", kwargs={"order_id": order.id})
    response = signed_in_client(provider).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    for expected in (
        order.number,
        "Ann Avery",
        "1980-05-17",
        provider.display_name,
        "2026-03-02",
        "Lipid panel",
        "57698-3",
        "2093-3",
        "Hemoglobin A1c",
        "4548-4",
    ):
        assert expected in page, expected
    assert "Thyroid" not in page
    assert 'class="requisition"' in page  # the print stylesheet's hook


def test_the_requisition_never_shows_result_values(front_desk, provider, patient_ann):
    order = lab_order(provider, patient_ann, "hba1c", status=LabOrderStatus.COLLECTED)
    record(provider, order, result("4548-4", "9.7", "%"))
    url = reverse("staff:lab_requisition", kwargs={"order_id": order.id})
    response = signed_in_client(front_desk).get(url)
    assert response.status_code == 200
    assert "9.7" not in response.content.decode()


def test_opening_the_requisition_is_audited(front_desk, provider, patient_ann):
    order = lab_order(provider, patient_ann, "tsh")
    url = reverse("staff:lab_requisition", kwargs={"order_id": order.id})
    signed_in_client(front_desk).get(url)
    read = AuditEvent.objects.get(action="lab.requisition_view", actor_id=front_desk.id)
    assert (read.patient_id, read.outcome) == (patient_ann.id, "success")


def test_billing_staff_cannot_open_a_requisition(billing, provider, patient_ann):
    order = lab_order(provider, patient_ann, "tsh")
    url = reverse("staff:lab_requisition", kwargs={"order_id": order.id})
    assert signed_in_client(billing).get(url).status_code == 403
