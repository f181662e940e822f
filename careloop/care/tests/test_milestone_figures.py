"""Milestone figures: each occurrence due in the range lands in exactly one category.

Five members enroll in Essentials on January 1 2026 (monthly check-in; the first is due
January 1 with a window from December 25 to January 15). The window's last day counts as on
time; the day after is late, or missed while nothing is done.
"""

from datetime import date

import pytest

from careloop.care.lifecycle import PlanAction
from careloop.care.models import CarePlan, CareTask
from careloop.care.selectors.figures import MilestoneFigures, milestone_figures
from careloop.care.services.care_plans import care_plan_apply, care_plan_transition
from careloop.care.services.tasks import care_task_complete, care_task_skip
from careloop.care.tests.care_builders import check_in, enrolled, essentials, protocol
from careloop.memberships.tests.lifecycle_builders import freeze_on
from careloop.testing.factories import make_patient

JANUARY = {"start": date(2026, 1, 1), "end": date(2026, 1, 31)}


@pytest.fixture
def outcomes(admin, provider):
    plan = essentials()
    metabolic = protocol(admin, plan, check_in())
    patients = [make_patient(family=f"Milestone{number}") for number in range(5)]
    for patient in patients:
        enrolled(admin, plan, date(2026, 1, 1), patient)
    on_time, late, skipped, missed, _open = (
        CareTask.objects.get(care_plan__patient=patient, index=1) for patient in patients
    )
    freeze_on(date(2026, 1, 15))
    care_task_complete(actor=provider, task=on_time)
    care_task_skip(actor=provider, task=skipped, reason="Patient in hospital")
    freeze_on(date(2026, 1, 16))
    care_task_complete(actor=provider, task=late)
    return {"plan": plan, "protocol": metabolic, "missed": missed}


def test_done_on_the_windows_last_day_is_on_time_and_the_day_after_late(outcomes):
    (row,) = milestone_figures(**JANUARY, as_of=date(2026, 1, 16))
    assert row == MilestoneFigures(
        plan_id=outcomes["plan"].pk,
        plan_name=outcomes["plan"].name,
        protocol_id=outcomes["protocol"].pk,
        protocol_name="Metabolic health",
        due=5,
        on_time=1,
        late=1,
        missed=2,
        skipped=1,
        open=0,
    )


def test_unfinished_work_is_open_on_the_windows_last_day_and_missed_after(outcomes):
    (row,) = milestone_figures(**JANUARY, as_of=date(2026, 1, 15))
    assert (row.missed, row.open) == (0, 2)
    (row,) = milestone_figures(**JANUARY, as_of=date(2026, 1, 16))
    assert (row.missed, row.open) == (2, 0)


def test_only_occurrences_due_within_the_range_count(outcomes):
    assert (
        milestone_figures(start=date(2026, 1, 2), end=date(2026, 1, 31), as_of=date(2026, 1, 16))
        == []
    )
    (row,) = milestone_figures(
        start=date(2025, 12, 1), end=date(2026, 1, 1), as_of=date(2026, 1, 16)
    )
    assert row.due == 5


def test_cancelled_occurrences_are_left_out(outcomes, admin):
    plan = CarePlan.objects.get(tasks=outcomes["missed"])
    care_plan_transition(
        actor=admin,
        care_plan=plan,
        action=PlanAction.CLOSE,
        effective_on=date(2026, 1, 16),
        reason="Changed tier",
    )
    (row,) = milestone_figures(**JANUARY, as_of=date(2026, 1, 16))
    assert (row.due, row.missed) == (4, 1)


def test_care_plans_applied_by_hand_are_counted_without_a_membership_plan(outcomes, admin):
    freeze_on(date(2026, 1, 5))
    care_plan_apply(
        actor=admin,
        patient=make_patient(family="ByHand"),
        protocol=outcomes["protocol"],
        started_on=date(2026, 1, 5),
        reason="Referred by the provider",
    )
    rows = milestone_figures(**JANUARY, as_of=date(2026, 1, 16))
    by_hand = [row for row in rows if row.plan_id is None]
    assert [(row.plan_name, row.due, row.open) for row in by_hand] == [("", 1, 1)]
    assert sum(row.due for row in rows) == 6
