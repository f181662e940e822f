from datetime import date

from careloop.care.models import CareTask
from careloop.care.services.generation import care_work_generate
from careloop.care.services.tasks import care_task_complete, care_task_skip
from careloop.care.tests.care_builders import (
    care_plans,
    check_in,
    due_dates,
    enrolled,
    essentials,
    protocol,
    tasks,
)
from careloop.memberships.tests.lifecycle_builders import freeze_on


def test_work_timed_from_completion_waits_until_the_previous_one_is_done(admin, provider):
    plan = essentials()
    protocol(admin, plan, check_in(anchor="previous_completion"))
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))

    assert care_work_generate(as_of=date(2026, 2, 20)) == 0
    assert due_dates(care_plan, "check_in_visit") == [date(2026, 1, 1)]

    freeze_on(date(2026, 1, 31))
    care_task_complete(actor=provider, task=tasks(care_plan)[0])
    assert due_dates(care_plan, "check_in_visit") == [date(2026, 1, 1)]
    care_work_generate(as_of=date(2026, 2, 20))
    assert due_dates(care_plan, "check_in_visit") == [date(2026, 1, 1), date(2026, 2, 28)]


def test_a_skipped_occurrence_times_the_next_one_from_the_day_it_was_skipped(admin, coach):
    plan = essentials()
    protocol(admin, plan, check_in(anchor="previous_completion"))
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))

    freeze_on(date(2026, 1, 10))
    care_task_skip(actor=coach, task=tasks(care_plan)[0], reason="Patient travelling.")
    care_work_generate(as_of=date(2026, 2, 1))
    assert due_dates(care_plan, "check_in_visit") == [date(2026, 1, 1), date(2026, 2, 10)]


def test_completing_a_task_generates_a_next_one_already_within_the_horizon(admin, provider):
    plan = essentials()
    protocol(admin, plan, check_in(anchor="previous_completion", unit="days", every=10))
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))

    freeze_on(date(2026, 1, 3))
    care_task_complete(actor=provider, task=tasks(care_plan)[0])
    assert due_dates(care_plan, "check_in_visit") == [date(2026, 1, 1), date(2026, 1, 13)]
    assert CareTask.objects.filter(care_plan=care_plan, status="open").count() == 1


def test_work_timed_from_the_previous_due_date_does_not_wait_for_completion(admin):
    plan = essentials()
    protocol(admin, plan, check_in())
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))

    care_work_generate(as_of=date(2026, 2, 20))
    assert due_dates(care_plan, "check_in_visit") == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
