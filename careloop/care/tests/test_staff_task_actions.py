from datetime import date

import pytest

from careloop.audit.models import AuditEvent
from careloop.care.errors import IllegalTaskTransition
from careloop.care.models import CareTask, CareTaskChange, TaskStatus
from careloop.care.services.tasks import (
    care_task_complete,
    care_task_reassign,
    care_task_reschedule,
    care_task_skip,
    care_task_start,
)
from careloop.care.tests.care_builders import (
    care_plans,
    check_in,
    enrolled,
    essentials,
    protocol,
    tasks,
)
from careloop.core.errors import ValidationFailed


@pytest.fixture
def task(admin):
    plan = essentials()
    protocol(admin, plan, check_in())
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))
    return tasks(care_plan)[0]


def _rows(task: CareTask) -> dict[str, object]:
    return {
        "task": CareTask.objects.filter(pk=task.pk).values().get(),
        "history": CareTaskChange.objects.filter(task=task).count(),
        "audit": AuditEvent.objects.count(),
    }


def _audit_actions(task: CareTask) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="care_task", object_id=str(task.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def test_starting_a_task_takes_it_and_doing_it_records_the_day(task, provider):
    care_task_start(actor=provider, task=task)
    assert (task.status, task.assignee) == (TaskStatus.IN_PROGRESS, provider)
    care_task_complete(actor=provider, task=task)
    assert (task.status, task.completed_on) == (TaskStatus.DONE, date(2026, 1, 1))
    history = CareTaskChange.objects.filter(task=task).order_by("id")
    assert [(row.action, row.from_status, row.to_status, row.actor) for row in history] == [
        ("generate", "", "open", None),
        ("start", "open", "in_progress", provider),
        ("complete", "in_progress", "done", provider),
    ]
    assert _audit_actions(task) == ["care.task_start", "care.task_complete"]


def test_skipping_keeps_the_reason_in_the_history(task, coach):
    care_task_skip(actor=coach, task=task, reason="  Patient in hospital. ")
    assert task.status == TaskStatus.SKIPPED
    assert CareTaskChange.objects.get(task=task, action="skip").reason == "Patient in hospital."


def test_skipping_without_a_reason_is_refused_and_changes_nothing(task, coach):
    before = _rows(task)
    with pytest.raises(ValidationFailed) as failed:
        care_task_skip(actor=coach, task=task, reason="  ")
    assert [(e.field, e.code) for e in failed.value.errors] == [("reason", "required")]
    assert _rows(task) == before


def test_a_done_task_cannot_be_started_or_skipped(task, provider):
    care_task_complete(actor=provider, task=task)
    before = _rows(task)
    for action in (
        lambda: care_task_start(actor=provider, task=task),
        lambda: care_task_skip(actor=provider, task=task, reason="late"),
        lambda: care_task_reschedule(
            actor=provider, task=task, due_on=date(2026, 1, 9), reason="late"
        ),
    ):
        with pytest.raises(IllegalTaskTransition) as refused:
            action()
        assert refused.value.code == "illegal_task_transition"
        assert "done" in refused.value.message
    assert _rows(task) == before


def test_rescheduling_moves_the_due_date_and_its_window_with_the_reason(task, coach):
    care_task_reschedule(actor=coach, task=task, due_on=date(2026, 1, 9), reason="Clinic closed.")
    assert (task.due_on, task.scheduled_on) == (date(2026, 1, 9), date(2026, 1, 1))
    assert (task.window_start, task.window_end) == (date(2026, 1, 2), date(2026, 1, 23))
    change = CareTaskChange.objects.get(task=task, action="reschedule")
    assert (change.reason, change.detail) == (
        "Clinic closed.",
        {"from": "2026-01-01", "to": "2026-01-09"},
    )


def test_rescheduling_before_the_care_plan_started_is_refused(task, coach):
    before = _rows(task)
    with pytest.raises(ValidationFailed) as failed:
        care_task_reschedule(actor=coach, task=task, due_on=date(2025, 12, 1), reason="x")
    assert [(e.field, e.code) for e in failed.value.errors] == [("due_on", "before_start")]
    assert _rows(task) == before


def test_reassigning_gives_the_task_to_another_staff_member(task, coach, provider):
    care_task_reassign(actor=coach, task=task, assignee=provider, reason="Needs an MD.")
    assert task.assignee == provider
    assert _audit_actions(task) == ["care.task_reassign"]


def test_reassigning_to_a_patient_is_refused(task, coach, patient_ann):
    before = _rows(task)
    with pytest.raises(ValidationFailed) as failed:
        care_task_reassign(actor=coach, task=task, assignee=patient_ann.user)
    assert [(e.field, e.code) for e in failed.value.errors] == [("assignee", "not_staff")]
    assert _rows(task) == before
