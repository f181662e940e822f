"""The daily run generates care plans in batches: the same work as one plan at a time."""

from datetime import date

from careloop.audit.models import AuditEvent
from careloop.care.models import CareTask, CareTaskChange
from careloop.care.services import generation
from careloop.care.services.generation import care_plan_generate, care_work_generate
from careloop.care.tests.care_builders import (
    care_plans,
    check_in,
    coaching,
    enrolled,
    essentials,
    protocol,
    quarterly_labs,
    stale_once,
)
from careloop.core import clock
from careloop.memberships.tests.lifecycle_builders import freeze_on
from careloop.testing.factories import make_patient

AS_OF = date(2026, 3, 1)


def _members(admin, count):
    plan = essentials()
    protocol(admin, plan, check_in(), coaching(), quarterly_labs())
    members = [
        enrolled(admin, plan, date(2026, 1, 1 + number), make_patient(family=f"Batch{number}"))
        for number in range(count)
    ]
    freeze_on(AS_OF)
    return [care_plan for membership in members for care_plan in care_plans(membership)]


def _work():
    return sorted(
        CareTask.objects.values_list("care_plan_id", "care_activity_id", "index", "due_on")
    )


def test_batches_create_what_generating_each_plan_alone_creates(admin, monkeypatch):
    plans = _members(admin, 7)
    monkeypatch.setattr(generation, "BATCH_SIZE", 3)

    created = care_work_generate(as_of=AS_OF)
    batched = _work()

    CareTask.objects.filter(created_at__date=AS_OF).delete()
    assert sum(len(care_plan_generate(care_plan=plan, as_of=AS_OF)) for plan in plans) == created
    assert _work() == batched
    assert created > 7


def test_each_task_created_in_a_batch_has_its_history_and_its_plan_an_audit_event(admin):
    plans = _members(admin, 4)
    audit_before = AuditEvent.objects.count()

    created = care_work_generate(as_of=AS_OF)

    new = CareTask.objects.filter(created_at__date=AS_OF)
    assert new.count() == created
    history = CareTaskChange.objects.filter(task__in=new)
    assert sorted(history.values_list("task_id", flat=True)) == sorted(
        new.values_list("id", flat=True)
    )
    fields = ("action", "from_status", "to_status", "recorded_at", "actor", "reason", "detail")
    expected: tuple[object, ...] = ("generate", "", "open", clock.now(), None, "", {})
    assert all(row == expected for row in history.values_list(*fields))
    assert AuditEvent.objects.count() == audit_before + len(plans)
    events = AuditEvent.objects.filter(sequence__gt=audit_before).order_by("sequence")
    assert {event.action for event in events} == {"care.tasks_generate"}
    assert sorted(int(event.object_id) for event in events) == sorted(plan.pk for plan in plans)
    listed = sorted(task_id for event in events for task_id in event.detail["tasks"])
    assert listed == sorted(new.values_list("id", flat=True))


def test_a_batch_refused_by_the_unique_constraint_is_generated_plan_by_plan(admin, monkeypatch):
    plans = _members(admin, 3)
    expected = care_work_generate(as_of=AS_OF)
    expected_work = _work()
    CareTask.objects.filter(created_at__date=AS_OF).delete()
    # The batch's first read misses every existing occurrence, as if another worker had
    # written them after it looked: its insert is refused and each plan is generated alone.
    monkeypatch.setattr(generation, "_last_tasks", stale_once(generation._last_tasks))

    assert care_work_generate(as_of=AS_OF) == expected
    assert _work() == expected_work
    assert len(plans) == 3
