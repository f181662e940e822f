from datetime import date

from careloop.care.models import CarePlanChange, CarePlanStatus, CareTaskChange, TaskStatus
from careloop.care.services.generation import care_work_generate
from careloop.care.services.tasks import care_task_complete
from careloop.care.tests.care_builders import (
    active_care,
    care_plans,
    check_in,
    coaching,
    due_dates,
    enrolled,
    essentials,
    protocol,
    tasks,
)
from careloop.memberships.services.lifecycle import (
    membership_cancel,
    membership_pause,
    membership_resume,
    membership_upgrade,
)
from careloop.memberships.services.scheduled import scheduled_changes_apply_due
from careloop.memberships.tests.lifecycle_builders import freeze_on, make_reason


def test_enrollment_applies_each_protocol_the_plan_carries_and_no_other(admin):
    plan = essentials()
    light = protocol(admin, plan, check_in(), name="Essentials follow-up")
    protocol(admin, active_care(), coaching(), name="Active coaching")
    membership = enrolled(admin, plan, date(2026, 1, 1))

    (care_plan,) = care_plans(membership)
    assert (care_plan.protocol, care_plan.status) == (light, CarePlanStatus.ACTIVE)
    assert care_plan.started_on == date(2026, 1, 1)
    assert [change.action for change in CarePlanChange.objects.filter(care_plan=care_plan)] == [
        "apply"
    ]


def test_a_tier_change_mid_cycle_closes_the_old_care_plan_and_applies_the_new_one(admin, provider):
    low, high = essentials(), active_care()
    protocol(admin, low, check_in(), name="Essentials follow-up")
    protocol(admin, high, coaching(), name="Active coaching")
    membership = enrolled(admin, low, date(2026, 1, 1))
    (old,) = care_plans(membership)
    care_task_complete(actor=provider, task=tasks(old)[0])
    care_work_generate(as_of=date(2026, 1, 20))

    freeze_on(date(2026, 1, 20))
    membership_upgrade(actor=admin, membership=membership, plan=high)

    old.refresh_from_db()
    assert (old.status, old.ended_on) == (CarePlanStatus.CLOSED, date(2026, 1, 20))
    done, future = tasks(old)
    assert done.status == TaskStatus.DONE
    assert future.status == TaskStatus.CANCELLED
    cancelled = CareTaskChange.objects.get(task=future, action="cancel")
    assert cancelled.reason == "Membership changed to Active Care."
    new = care_plans(membership)[1]
    assert (new.protocol.name, new.status, new.started_on) == (
        "Active coaching",
        CarePlanStatus.ACTIVE,
        date(2026, 1, 20),
    )
    assert due_dates(new, "coaching_session") == [date(2026, 1, 20), date(2026, 2, 3)]


def test_a_protocol_both_tiers_carry_keeps_its_care_plan_through_a_tier_change(admin):
    low, high = essentials(), active_care()
    shared = protocol(admin, low, check_in(), name="Follow-up")
    shared.plans.add(high)
    membership = enrolled(admin, low, date(2026, 1, 1))

    freeze_on(date(2026, 1, 20))
    membership_upgrade(actor=admin, membership=membership, plan=high)

    (care_plan,) = care_plans(membership)
    assert care_plan.status == CarePlanStatus.ACTIVE


def test_a_pause_suspends_generation_and_resuming_picks_up_without_the_paused_months(admin):
    plan = essentials()
    protocol(admin, plan, check_in())
    membership = enrolled(admin, plan, date(2026, 1, 1))
    (care_plan,) = care_plans(membership)

    freeze_on(date(2026, 1, 10))
    membership_pause(actor=admin, membership=membership, resumes_on=date(2026, 4, 10))
    care_plan.refresh_from_db()
    assert care_plan.status == CarePlanStatus.SUSPENDED
    assert care_work_generate(as_of=date(2026, 3, 1)) == 0

    freeze_on(date(2026, 3, 20))
    membership_resume(actor=admin, membership=membership)
    care_plan.refresh_from_db()
    assert (care_plan.status, care_plan.active_since) == (
        CarePlanStatus.ACTIVE,
        date(2026, 3, 20),
    )
    # February 1 and March 1 fell due while paused; the schedule goes on from April 1.
    assert due_dates(care_plan, "check_in_visit") == [date(2026, 1, 1), date(2026, 4, 1)]


def test_cancelling_now_ends_the_care_plan_and_cancels_its_open_tasks(admin, provider):
    plan = essentials()
    protocol(admin, plan, check_in(), coaching())
    membership = enrolled(admin, plan, date(2026, 1, 1))
    (care_plan,) = care_plans(membership)
    care_task_complete(actor=provider, task=tasks(care_plan, "check_in_visit")[0])

    freeze_on(date(2026, 1, 10))
    membership_cancel(actor=admin, membership=membership, reason=make_reason())

    care_plan.refresh_from_db()
    assert (care_plan.status, care_plan.ended_on) == (CarePlanStatus.ENDED, date(2026, 1, 10))
    statuses = {task.index: task.status for task in tasks(care_plan, "coaching_session")}
    assert statuses == {1: TaskStatus.CANCELLED, 2: TaskStatus.CANCELLED}
    assert tasks(care_plan, "check_in_visit")[0].status == TaskStatus.DONE
    assert care_work_generate(as_of=date(2026, 3, 1)) == 0


def test_cancelling_at_the_period_end_ends_the_care_plan_only_when_the_membership_ends(admin):
    plan = essentials()
    protocol(admin, plan, check_in())
    membership = enrolled(admin, plan, date(2026, 1, 1))
    (care_plan,) = care_plans(membership)

    freeze_on(date(2026, 1, 10))
    membership_cancel(actor=admin, membership=membership, reason=make_reason(), at_period_end=True)
    care_plan.refresh_from_db()
    assert care_plan.status == CarePlanStatus.ACTIVE
    care_work_generate(as_of=date(2026, 1, 20))
    assert due_dates(care_plan, "check_in_visit") == [date(2026, 1, 1), date(2026, 2, 1)]

    freeze_on(date(2026, 2, 1))
    scheduled_changes_apply_due()
    care_plan.refresh_from_db()
    assert (care_plan.status, care_plan.ended_on) == (CarePlanStatus.ENDED, date(2026, 2, 1))
    assert [task.status for task in tasks(care_plan)] == [
        TaskStatus.CANCELLED,
        TaskStatus.CANCELLED,
    ]
