"""A provider reviews and signs off an order's results (the order shows reviewed, by whom)
and marks the abnormal-result follow-up done; nobody else may."""

import pytest
from django.urls import reverse

from careloop.care.models import LabOrder, LabOrderStatus
from careloop.care.tests.lab_builders import lab_order, record, result
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _resulted(provider, patient, value: str = "5.2") -> LabOrder:
    order = lab_order(provider, patient, "hba1c", status=LabOrderStatus.COLLECTED)
    record(provider, order, result("4548-4", value, "%"))
    return order


def test_a_provider_reviews_and_the_order_shows_reviewed(provider, patient_ann):
    order = _resulted(provider, patient_ann)
    client = signed_in_client(provider)
    detail = reverse("staff:lab_order_detail", kwargs={"order_id": order.id})
    assert "Review and sign off" in client.get(detail).content.decode()
    client.post(reverse("staff:lab_order_review", kwargs={"order_id": order.id}))
    order.refresh_from_db()
    assert (order.status, order.reviewed_by) == (LabOrderStatus.REVIEWED, provider)
    page = client.get(detail).content.decode()
    assert f"Reviewed</span> by {provider.display_name}" in page
    assert "Review and sign off" not in page


@pytest.mark.parametrize("role", ["admin", "coach", "front_desk"])
def test_only_providers_review(request, role, provider, patient_ann):
    order = _resulted(provider, patient_ann)
    user = request.getfixturevalue(role)
    detail = reverse("staff:lab_order_detail", kwargs={"order_id": order.id})
    assert "Review and sign off" not in signed_in_client(user).get(detail).content.decode()
    url = reverse("staff:lab_order_review", kwargs={"order_id": order.id})
    assert signed_in_client(user).post(url).status_code == 403
    order.refresh_from_db()
    assert order.status == LabOrderStatus.RESULTED


def test_reviewing_an_order_without_results_is_an_error(provider, patient_ann):
    order = lab_order(provider, patient_ann, "hba1c", status=LabOrderStatus.COLLECTED)
    url = reverse("staff:lab_order_review", kwargs={"order_id": order.id})
    page = signed_in_client(provider).post(url, follow=True).content.decode()
    assert "cannot review" in page
    order.refresh_from_db()
    assert order.status == LabOrderStatus.COLLECTED


def test_a_provider_marks_the_follow_up_done_once(provider, patient_ann):
    order = _resulted(provider, patient_ann, value="9.1")
    client = signed_in_client(provider)
    url = reverse("staff:lab_follow_up_done", kwargs={"order_id": order.id})
    client.post(url)
    order.follow_up.refresh_from_db()
    assert order.follow_up.status == "done"
    detail = reverse("staff:lab_order_detail", kwargs={"order_id": order.id})
    page = client.get(detail).content.decode()
    assert "and done" in page
    assert "Mark the follow-up done" not in page
    again = client.post(url, follow=True).content.decode()
    assert "already done" in again


def test_a_coach_cannot_complete_a_follow_up(coach, provider, patient_ann):
    order = _resulted(provider, patient_ann, value="9.1")
    url = reverse("staff:lab_follow_up_done", kwargs={"order_id": order.id})
    assert signed_in_client(coach).post(url).status_code == 403
    order.follow_up.refresh_from_db()
    assert order.follow_up.status == "open"
