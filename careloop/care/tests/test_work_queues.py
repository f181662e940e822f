"""Work queues: whose tasks, in due-date order, with counts that follow the tasks.

Ann and Bob enroll on January 1 2026 in Essentials (monthly check-in by a provider, coaching
every two weeks by a care coordinator); Cy enrolls in Active Care (the check-in only). As of
January 1 each has the January 1 check-in; Ann and Bob also the January 1 and 15 coaching.
"""

from datetime import date

import pytest

from careloop.accounts.roles import Role
from careloop.care.models import CareTask
from careloop.care.selectors.queues import (
    gap_tasks,
    my_tasks,
    overdue_tasks,
    page,
    patient_tasks,
    plan_tasks,
    queue_counts,
    team_tasks,
)
from careloop.care.services.gaps import care_gaps_escalate
from careloop.care.services.tasks import (
    care_task_complete,
    care_task_reassign,
    care_task_reschedule,
)
from careloop.care.tests.care_builders import (
    active_care,
    check_in,
    coaching,
    enrolled,
    essentials,
    protocol,
)
from careloop.memberships.tests.lifecycle_builders import freeze_on
from careloop.testing.factories import make_patient, make_user


@pytest.fixture
def clinic(admin, patient_ann, patient_bob):
    first, second = essentials(), active_care()
    protocol(admin, first, check_in(), coaching())
    protocol(admin, second, check_in(), name="Longevity")
    cy = make_patient(given="Cy", family="Cole")
    enrolled(admin, first, date(2026, 1, 1), patient_ann)
    enrolled(admin, first, date(2026, 1, 1), patient_bob)
    enrolled(admin, second, date(2026, 1, 1), cy)
    return {"essentials": first, "active_care": second, "cy": cy}


def _task(patient, kind: str, due: date) -> CareTask:
    return CareTask.objects.get(care_plan__patient=patient, care_activity__kind=kind, due_on=due)


def test_the_team_queue_holds_the_roles_tasks_in_due_date_then_id_order(clinic, provider, coach):
    rows = list(team_tasks(coach))
    assert [(row.care_plan.patient.full_name, row.due_on) for row in rows] == [
        ("Ann Avery", date(2026, 1, 1)),
        ("Bob Baker", date(2026, 1, 1)),
        ("Ann Avery", date(2026, 1, 15)),
        ("Bob Baker", date(2026, 1, 15)),
    ]
    assert [row.id for row in rows[:2]] == sorted(row.id for row in rows[:2])
    assert {row.care_activity.kind for row in rows} == {"coaching_session"}
    assert len(team_tasks(provider)) == 3


def test_a_task_assigned_outside_the_role_leaves_the_team_queue(clinic, provider, admin):
    other_provider = make_user(role=Role.PROVIDER, username="provider_quinn")
    cy_check_in = _task(clinic["cy"], "check_in_visit", date(2026, 1, 1))
    care_task_reassign(actor=admin, task=cy_check_in, assignee=other_provider)
    assert cy_check_in in team_tasks(provider)
    assert list(my_tasks(other_provider)) == [cy_check_in]
    assert list(my_tasks(provider)) == []
    care_task_reassign(actor=admin, task=cy_check_in, assignee=admin)
    assert cy_check_in not in team_tasks(provider)


def test_my_queue_counts_follow_assignment_and_completion(clinic, provider, admin, patient_ann):
    task = _task(patient_ann, "check_in_visit", date(2026, 1, 1))
    assert queue_counts(provider, as_of=date(2026, 1, 1))["mine"] == 0
    care_task_reassign(actor=admin, task=task, assignee=provider)
    counts = queue_counts(provider, as_of=date(2026, 1, 1))
    assert (counts["mine"], counts["team"]) == (1, 3)
    care_task_complete(actor=provider, task=task)
    counts = queue_counts(provider, as_of=date(2026, 1, 1))
    assert (counts["mine"], counts["team"]) == (0, 2)


def test_overdue_starts_the_day_after_the_window_ends(clinic, provider, patient_ann):
    # The January 1 check-ins end their window on January 15, the January 1 coaching on
    # January 15 too (14 days after), the January 15 coaching on January 29.
    assert overdue_tasks(date(2026, 1, 15)).count() == 0
    assert overdue_tasks(date(2026, 1, 16)).count() == 5
    freeze_on(date(2026, 1, 16))
    late = _task(patient_ann, "check_in_visit", date(2026, 1, 1))
    care_task_reschedule(actor=provider, task=late, due_on=date(2026, 1, 20), reason="Snow")
    assert late not in overdue_tasks(date(2026, 1, 16))
    assert overdue_tasks(date(2026, 1, 16)).count() == 4


def test_queues_by_patient_and_by_membership_plan(clinic, patient_ann):
    assert [row.due_on for row in patient_tasks(patient_ann.pk)] == [
        date(2026, 1, 1),
        date(2026, 1, 1),
        date(2026, 1, 15),
    ]
    assert plan_tasks(clinic["essentials"].pk).count() == 6
    assert [row.care_plan.patient for row in plan_tasks(clinic["active_care"].pk)] == [clinic["cy"]]


def test_the_gap_queue_holds_flagged_unfinished_tasks_with_their_step(
    clinic, provider, coach, patient_ann
):
    care_gaps_escalate(as_of=date(2026, 1, 16))
    assert gap_tasks().count() == 5
    assert {vars(row)["gap_step"] for row in gap_tasks()} == {1}
    care_gaps_escalate(as_of=date(2026, 1, 19))
    assert {vars(row)["gap_step"] for row in gap_tasks()} == {2}
    freeze_on(date(2026, 1, 20))
    care_task_complete(actor=provider, task=_task(patient_ann, "check_in_visit", date(2026, 1, 1)))
    assert gap_tasks().count() == 4
    assert queue_counts(coach, as_of=date(2026, 1, 20))["gaps"] == 4


def test_a_page_is_a_slice_of_the_queue_with_the_whole_count(clinic, coach):
    first = page(team_tasks(coach), offset=0, limit=3)
    second = page(team_tasks(coach), offset=3, limit=3)
    assert (first.count, len(first.tasks), len(second.tasks)) == (4, 3, 1)
    assert first.tasks + second.tasks == list(team_tasks(coach))
