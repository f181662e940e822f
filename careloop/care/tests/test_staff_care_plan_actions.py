from datetime import date

import pytest

from careloop.audit.models import AuditEvent
from careloop.care.errors import IllegalCarePlanTransition, ProtocolAlreadyApplied
from careloop.care.lifecycle import PlanAction
from careloop.care.models import CareActivity, CarePlan, CareTask, Protocol
from careloop.care.services.activities import ActivitySpec
from careloop.care.services.care_plans import (
    care_activity_add,
    care_plan_apply,
    care_plan_transition,
)
from careloop.care.services.protocols import protocol_activity_add, protocol_create
from careloop.care.tests.care_builders import check_in, coaching, due_dates, protocol, tasks
from careloop.core.errors import ValidationFailed
from careloop.memberships.tests.lifecycle_builders import freeze_on


def _counts() -> dict[str, int]:
    return {
        "plans": CarePlan.objects.count(),
        "activities": CareActivity.objects.count(),
        "tasks": CareTask.objects.count(),
        "protocols": Protocol.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_staff_apply_a_protocol_by_hand_and_get_its_first_work(admin, coach, patient_ann):
    freeze_on(date(2026, 5, 4))
    by_hand = protocol(admin, None, check_in(), name="Weight care")
    care_plan = care_plan_apply(actor=coach, patient=patient_ann, protocol=by_hand)

    assert (care_plan.membership, care_plan.started_on) == (None, date(2026, 5, 4))
    assert due_dates(care_plan, "check_in_visit") == [date(2026, 5, 4)]
    assert AuditEvent.objects.filter(
        action="care.plan_apply", patient_id=patient_ann.pk, actor_id=coach.pk
    ).exists()


def test_a_protocol_the_patient_already_follows_is_not_applied_twice(admin, coach, patient_ann):
    freeze_on(date(2026, 5, 4))
    by_hand = protocol(admin, None, check_in(), name="Weight care")
    care_plan_apply(actor=coach, patient=patient_ann, protocol=by_hand)
    before = _counts()

    with pytest.raises(ProtocolAlreadyApplied):
        care_plan_apply(actor=coach, patient=patient_ann, protocol=by_hand)
    assert _counts() == before


def test_editing_a_protocol_later_leaves_applied_care_plans_alone(admin, coach, patient_ann):
    freeze_on(date(2026, 5, 4))
    by_hand = protocol(admin, None, check_in(), name="Weight care")
    care_plan = care_plan_apply(actor=coach, patient=patient_ann, protocol=by_hand)
    protocol_activity_add(actor=admin, protocol=by_hand, spec=coaching())

    assert [activity.kind for activity in care_plan.activities.all()] == ["check_in_visit"]


def test_staff_add_an_activity_to_one_care_plan_with_a_reason(admin, coach, patient_ann):
    freeze_on(date(2026, 5, 4))
    care_plan = care_plan_apply(
        actor=coach, patient=patient_ann, protocol=protocol(admin, None, check_in())
    )
    freeze_on(date(2026, 5, 10))
    added = care_activity_add(
        actor=coach, care_plan=care_plan, spec=coaching(), reason="Asked for coaching."
    )

    assert (added.activity, added.starts_on, added.added_reason) == (
        None,
        date(2026, 5, 10),
        "Asked for coaching.",
    )
    assert due_dates(care_plan, "coaching_session") == [date(2026, 5, 10), date(2026, 5, 24)]


def test_adding_an_activity_without_a_reason_or_with_bad_timing_changes_nothing(
    admin, coach, patient_ann
):
    freeze_on(date(2026, 5, 4))
    care_plan = care_plan_apply(
        actor=coach, patient=patient_ann, protocol=protocol(admin, None, check_in())
    )
    before = _counts()
    with pytest.raises(ValidationFailed) as no_reason:
        care_activity_add(actor=coach, care_plan=care_plan, spec=coaching(), reason="")
    with pytest.raises(ValidationFailed) as never:
        care_activity_add(
            actor=coach, care_plan=care_plan, spec=coaching(every=0), reason="More coaching."
        )
    assert [e.field for e in no_reason.value.errors] == ["reason"]
    assert [(e.field, e.code) for e in never.value.errors] == [("every", "never_fires")]
    assert _counts() == before


def test_a_protocol_activity_without_timing_is_refused_naming_the_activity(admin):
    before = _counts()
    with pytest.raises(ValidationFailed) as failed:
        protocol_create(
            actor=admin,
            name="Broken",
            activities=[check_in(), ActivitySpec(kind="lab_order", role="provider", repeat="")],
        )
    assert [(e.field, e.code) for e in failed.value.errors] == [
        ("activities[1].repeat", "required")
    ]
    assert _counts() == before


def test_a_closed_care_plan_cannot_be_suspended_and_nothing_changes(admin, coach, patient_ann):
    freeze_on(date(2026, 5, 4))
    care_plan = care_plan_apply(
        actor=coach, patient=patient_ann, protocol=protocol(admin, None, check_in())
    )
    care_plan_transition(
        actor=coach,
        care_plan=care_plan,
        action=PlanAction.CLOSE,
        effective_on=date(2026, 5, 4),
        reason="Patient moved.",
    )
    before = _counts()
    with pytest.raises(IllegalCarePlanTransition) as refused:
        care_plan_transition(
            actor=coach,
            care_plan=care_plan,
            action=PlanAction.SUSPEND,
            effective_on=date(2026, 5, 5),
        )
    assert refused.value.code == "illegal_care_plan_transition"
    assert _counts() == before
    assert [task.status for task in tasks(care_plan)] == ["cancelled"]


def test_ending_a_care_plan_cancels_its_unfinished_tasks_saying_why(admin, coach, patient_ann):
    freeze_on(date(2026, 5, 4))
    care_plan = care_plan_apply(
        actor=coach, patient=patient_ann, protocol=protocol(admin, None, check_in())
    )
    care_plan_transition(
        actor=coach, care_plan=care_plan, action=PlanAction.END, effective_on=date(2026, 5, 6)
    )

    (task,) = tasks(care_plan)
    assert task.changes.get(action="cancel").reason == "Care plan ended."
    assert care_plan.ended_on == date(2026, 5, 6)
