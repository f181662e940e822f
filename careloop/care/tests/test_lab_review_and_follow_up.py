"""Reviewing an order closes the care plan's lab task it carries out; an abnormal result
raises one follow-up for the ordering provider as soon as it is recorded, never a second."""

from datetime import date

import pytest

from careloop.audit.models import AuditEvent
from careloop.care.errors import LabFollowUpDone
from careloop.care.models import CareTask, LabFollowUp, LabOrder, LabOrderStatus, TaskStatus
from careloop.care.services.labs import (
    lab_follow_up_complete,
    lab_order_create,
    lab_order_review,
)
from careloop.care.tests.care_builders import (
    care_plans,
    enrolled,
    essentials,
    protocol,
    quarterly_labs,
)
from careloop.care.tests.lab_builders import lab_order, panels, record, result, resulted
from careloop.core.errors import NotFound, PermissionDenied, ValidationFailed
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab_task(admin, patient_ann) -> CareTask:
    plan = essentials()
    protocol(admin, plan, quarterly_labs())
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 5), patient_ann))
    return CareTask.objects.get(care_plan=care_plan, care_activity__kind="lab_order")


def test_an_order_for_a_lab_task_belongs_to_its_care_plan(provider, patient_ann, lab_task):
    order = lab_order(provider, patient_ann, care_task=lab_task)
    assert (order.care_task_id, order.care_plan_id) == (lab_task.id, lab_task.care_plan_id)


def test_reviewing_the_order_closes_its_care_task(provider, patient_ann, lab_task):
    order = resulted(provider, patient_ann, care_task=lab_task)
    lab_task.refresh_from_db()
    assert lab_task.status == TaskStatus.OPEN
    lab_order_review(actor=provider, order=order)
    lab_task.refresh_from_db()
    assert lab_task.status == TaskStatus.DONE
    assert lab_task.changes.last().actor_id == provider.id


def test_a_task_already_done_stays_as_it_was_on_review(provider, patient_ann, lab_task):
    order = resulted(provider, patient_ann, care_task=lab_task)
    CareTask.objects.filter(pk=lab_task.pk).update(status=TaskStatus.SKIPPED)
    lab_order_review(actor=provider, order=order)
    lab_task.refresh_from_db()
    assert lab_task.status == TaskStatus.SKIPPED


def test_a_task_of_another_patient_is_refused(provider, patient_bob, lab_task):
    with pytest.raises(ValidationFailed) as refused:
        lab_order_create(
            actor=provider,
            patient=patient_bob,
            panels=panels("hba1c"),
            ordering_provider=provider,
            care_task=lab_task,
        )
    assert (refused.value.errors[0].field, refused.value.errors[0].code) == (
        "care_task",
        "not_open_lab_task",
    )
    assert not LabOrder.objects.exists()


def test_an_abnormal_result_raises_one_follow_up_for_the_ordering_provider(
    provider, coach, patient_ann
):
    order = lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)
    record(coach, order, result("2093-3", "260", "mg/dL"))
    follow_up = LabFollowUp.objects.get(order=order)
    assert (follow_up.assignee_id, follow_up.status) == (provider.id, "open")
    record(coach, order, result("2571-8", "400", "mg/dL"))
    assert LabFollowUp.objects.filter(order=order).count() == 1
    raised = AuditEvent.objects.filter(action="lab.follow_up_raise")
    assert raised.count() == 1


def test_normal_results_raise_no_follow_up(provider, patient_ann):
    order = lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)
    record(provider, order, result("2093-3", "150", "mg/dL"), result("4548-4", "5.0", "%"))
    assert not LabFollowUp.objects.exists()


def test_a_refused_entry_raises_no_follow_up(provider, patient_ann):
    order = lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)
    with pytest.raises(ValidationFailed):
        record(
            provider,
            order,
            result("2093-3", "260", "mg/dL", field="results[0]"),
            result("4548-4", "5", "mmol/mol", field="results[1]"),
        )
    assert not LabFollowUp.objects.exists()


def test_another_patients_order_keeps_its_own_follow_up(provider):
    first = lab_order(provider, make_patient(given="Cy"), status=LabOrderStatus.COLLECTED)
    second = lab_order(provider, make_patient(given="Di"), status=LabOrderStatus.COLLECTED)
    record(provider, first, result("4548-4", "7.5", "%"))
    record(provider, second, result("4548-4", "3.1", "%"))
    assert set(LabFollowUp.objects.values_list("order_id", flat=True)) == {first.id, second.id}


def test_the_ordering_provider_completes_the_follow_up_once(provider, patient_ann):
    order = lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)
    record(provider, order, result("4548-4", "8.2", "%"))
    follow_up = lab_follow_up_complete(actor=provider, order=order)
    assert (follow_up.status, follow_up.completed_at is not None) == ("done", True)
    with pytest.raises(LabFollowUpDone):
        lab_follow_up_complete(actor=provider, order=order)
    assert AuditEvent.objects.filter(action="lab.follow_up_complete").count() == 1


def test_an_order_without_abnormal_results_has_no_follow_up_to_complete(provider, patient_ann):
    order = resulted(provider, patient_ann)
    with pytest.raises(NotFound):
        lab_follow_up_complete(actor=provider, order=order)
    assert not LabFollowUp.objects.exists()


def test_only_a_provider_completes_a_follow_up(coach, provider, patient_ann):
    order = lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)
    record(provider, order, result("4548-4", "8.2", "%"))
    with pytest.raises(PermissionDenied):
        lab_follow_up_complete(actor=coach, order=order)
    assert LabFollowUp.objects.get().status == "open"
