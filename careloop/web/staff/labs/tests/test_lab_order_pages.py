"""Ordering panels for a patient and moving the order along: the right roles see and act,
bad input names the field and the rule and creates or changes nothing."""

import pytest
from django.urls import reverse

from careloop.care.models import LabOrder, LabOrderStatus
from careloop.care.tests.lab_builders import TODAY, lab_order, record, result
from careloop.memberships.tests.lifecycle_builders import freeze_on
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _state(order: LabOrder) -> tuple[str, int]:
    order.refresh_from_db()
    return order.status, order.changes.count()


def test_a_provider_orders_panels_from_the_catalog_as_a_draft(provider, patient_ann):
    freeze_on(TODAY)
    url = reverse("staff:lab_order_new", kwargs={"patient_id": patient_ann.id})
    client = signed_in_client(provider)
    page = client.get(url).content.decode()
    assert "Hemoglobin A1c" in page
    assert "Lipid panel" in page
    response = client.post(url, {"panels": ["hba1c", "lipid"], "ordering_provider": provider.id})
    order = LabOrder.objects.get(patient=patient_ann)
    assert response["Location"] == reverse("staff:lab_order_detail", kwargs={"order_id": order.id})
    assert order.status == LabOrderStatus.DRAFT
    assert sorted(order.lines.values_list("panel__code", flat=True)) == ["hba1c", "lipid"]
    assert order.ordering_provider == provider


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        ({"ordering_provider": "provider"}, "panels", "required"),
        ({"panels": ["hba1c", "vitamin-z"], "ordering_provider": "provider"}, "panels", "unknown"),
        ({"panels": ["hba1c"], "ordering_provider": ""}, "ordering_provider", "not_provider"),
        ({"panels": ["hba1c"], "ordering_provider": "coach"}, "ordering_provider", "not_provider"),
        (
            {"panels": ["hba1c"], "ordering_provider": "provider", "care_task": "999"},
            "care_task",
            "not_open_lab_task",
        ),
    ],
)
def test_a_bad_order_names_the_field_and_rule_and_creates_nothing(
    provider, coach, patient_ann, data, field, rule
):
    people = {"provider": str(provider.id), "coach": str(coach.id), "": ""}
    data = {**data, "ordering_provider": people[data["ordering_provider"]]}
    url = reverse("staff:lab_order_new", kwargs={"patient_id": patient_ann.id})
    response = signed_in_client(coach).post(url, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert f"<strong>{field}</strong>" in page
    assert f"({rule})" in page
    assert not LabOrder.objects.exists()


@pytest.mark.parametrize("role", ["front_desk", "billing"])
def test_only_clinical_staff_order_labs(request, role, patient_ann):
    user = request.getfixturevalue(role)
    url = reverse("staff:lab_order_new", kwargs={"patient_id": patient_ann.id})
    client = signed_in_client(user)
    assert client.get(url).status_code == 403
    assert client.post(url, {"panels": ["tsh"]}).status_code == 403
    assert not LabOrder.objects.exists()


def test_an_order_is_sent_then_its_specimen_collected(coach, provider, patient_ann):
    order = lab_order(provider, patient_ann, "hba1c")
    url = reverse("staff:lab_order_act", kwargs={"order_id": order.id})
    client = signed_in_client(coach)
    client.post(url, {"action": "order"})
    assert _state(order)[0] == LabOrderStatus.ORDERED
    client.post(url, {"action": "collect"})
    assert _state(order)[0] == LabOrderStatus.COLLECTED
    page = client.get(reverse("staff:lab_order_detail", kwargs={"order_id": order.id}))
    assert "Specimen collected" in page.content.decode()


def test_a_cancellation_without_a_reason_names_the_field_and_changes_nothing(
    coach, provider, patient_ann
):
    order = lab_order(provider, patient_ann, "hba1c", status=LabOrderStatus.ORDERED)
    before = _state(order)
    url = reverse("staff:lab_order_act", kwargs={"order_id": order.id})
    response = signed_in_client(coach).post(url, {"action": "cancel", "reason": " "})
    assert response.status_code == 422
    assert "<strong>reason</strong>" in response.content.decode()
    assert _state(order) == before


def test_an_action_the_lifecycle_refuses_is_an_error_and_changes_nothing(
    coach, provider, patient_ann
):
    order = lab_order(provider, patient_ann, "hba1c")
    before = _state(order)
    url = reverse("staff:lab_order_act", kwargs={"order_id": order.id})
    response = signed_in_client(coach).post(url, {"action": "collect"}, follow=True)
    assert "cannot collect" in response.content.decode()
    assert _state(order) == before


def test_the_front_desk_sees_an_orders_status_but_never_its_values(
    front_desk, provider, patient_ann
):
    order = lab_order(provider, patient_ann, "hba1c", status=LabOrderStatus.COLLECTED)
    record(provider, order, result("4548-4", "9.7", "%"))
    url = reverse("staff:lab_order_detail", kwargs={"order_id": order.id})
    page = signed_in_client(front_desk).get(url).content.decode()
    assert "Resulted" in page
    assert "Hemoglobin A1c" in page
    assert "9.7" not in page
    assert "follow-up" not in page.lower()
    assert reverse("staff:lab_requisition", kwargs={"order_id": order.id}) in page
    assert reverse("staff:lab_order_act", kwargs={"order_id": order.id}) not in page


def test_clinical_staff_see_values_flags_and_the_follow_up(coach, provider, patient_ann):
    order = lab_order(provider, patient_ann, "hba1c", status=LabOrderStatus.COLLECTED)
    record(provider, order, result("4548-4", "9.7", "%"))
    url = reverse("staff:lab_order_detail", kwargs={"order_id": order.id})
    page = signed_in_client(coach).get(url).content.decode()
    assert "9.7 %" in page
    assert "High" in page
    assert f"a follow-up for {provider.display_name}" in page


def test_billing_staff_cannot_open_an_order(billing, provider, patient_ann):
    order = lab_order(provider, patient_ann, "hba1c")
    url = reverse("staff:lab_order_detail", kwargs={"order_id": order.id})
    assert signed_in_client(billing).get(url).status_code == 403


def test_the_chart_lists_orders_with_status_for_the_front_desk_without_values(
    front_desk, provider, patient_ann
):
    order = lab_order(provider, patient_ann, "hba1c", status=LabOrderStatus.COLLECTED)
    record(provider, order, result("4548-4", "9.7", "%"))
    chart = reverse("staff:patient_chart", kwargs={"patient_id": patient_ann.id})
    page = signed_in_client(front_desk).get(chart).content.decode()
    assert order.number in page
    assert "Resulted" in page
    assert "9.7" not in page
    assert "Follow-up open" not in page
    assert reverse("staff:lab_order_new", kwargs={"patient_id": patient_ann.id}) not in page


def test_the_chart_shows_clinical_staff_an_open_follow_up_and_the_order_button(
    provider, patient_ann
):
    order = lab_order(provider, patient_ann, "hba1c", status=LabOrderStatus.COLLECTED)
    record(provider, order, result("4548-4", "9.7", "%"))
    chart = reverse("staff:patient_chart", kwargs={"patient_id": patient_ann.id})
    page = signed_in_client(provider).get(chart).content.decode()
    assert "Follow-up open" in page
    assert reverse("staff:lab_order_new", kwargs={"patient_id": patient_ann.id}) in page


def test_billing_staff_see_no_lab_section_on_the_chart(billing, provider, patient_ann):
    order = lab_order(provider, patient_ann, "hba1c")
    chart = reverse("staff:patient_chart", kwargs={"patient_id": patient_ann.id})
    page = signed_in_client(billing).get(chart).content.decode()
    assert "Lab orders" not in page
    assert order.number not in page
