from datetime import date

from django.test import override_settings

from careloop.audit.models import AuditEvent
from careloop.care.models import CareTask, TaskStatus
from careloop.care.services.generation import care_work_generate
from careloop.care.tests.care_builders import (
    care_plans,
    check_in,
    coaching,
    due_dates,
    enrolled,
    essentials,
    protocol,
    quarterly_labs,
    tasks,
)
from careloop.memberships.tests.lifecycle_builders import freeze_on


def test_enrolling_creates_only_the_work_due_within_the_horizon(admin):
    plan = essentials()
    protocol(admin, plan, check_in(), coaching(), quarterly_labs())
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))

    assert due_dates(care_plan, "check_in_visit") == [date(2026, 1, 1)]
    assert due_dates(care_plan, "coaching_session") == [date(2026, 1, 1), date(2026, 1, 15)]
    assert due_dates(care_plan, "lab_order") == [date(2026, 1, 15)]
    first = tasks(care_plan, "check_in_visit")[0]
    assert (first.window_start, first.window_end) == (date(2025, 12, 25), date(2026, 1, 15))
    assert (first.status, first.role, first.assignee) == (TaskStatus.OPEN, "provider", None)


def test_each_run_adds_the_occurrences_that_came_within_the_horizon_never_a_year(admin):
    plan = essentials()
    protocol(admin, plan, check_in(), coaching())
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))

    assert care_work_generate(as_of=date(2026, 1, 20)) == 2
    assert due_dates(care_plan, "check_in_visit") == [date(2026, 1, 1), date(2026, 2, 1)]
    assert due_dates(care_plan, "coaching_session")[-1] == date(2026, 1, 29)
    assert CareTask.objects.filter(due_on__gt=date(2026, 2, 3)).count() == 0


def test_generating_twice_creates_nothing_the_second_time(admin):
    plan = essentials()
    protocol(admin, plan, check_in(), coaching())
    enrolled(admin, plan, date(2026, 1, 1))
    freeze_on(date(2026, 3, 1))

    first = care_work_generate(as_of=date(2026, 3, 1))
    audit = AuditEvent.objects.count()
    assert first > 0
    assert care_work_generate(as_of=date(2026, 3, 1)) == 0
    assert AuditEvent.objects.count() == audit


def test_a_run_after_a_gap_creates_the_overdue_occurrences_once_each(admin):
    plan = essentials()
    protocol(admin, plan, coaching())
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))

    care_work_generate(as_of=date(2026, 3, 1))
    assert due_dates(care_plan, "coaching_session") == [
        date(2026, 1, 1),
        date(2026, 1, 15),
        date(2026, 1, 29),
        date(2026, 2, 12),
        date(2026, 2, 26),
        date(2026, 3, 12),
    ]


@override_settings(CARE_HORIZON_DAYS=45)
def test_a_longer_horizon_brings_work_further_ahead(admin):
    plan = essentials()
    protocol(admin, plan, check_in())
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))

    assert due_dates(care_plan, "check_in_visit") == [date(2026, 1, 1), date(2026, 2, 1)]


def test_monthly_work_from_january_31_falls_on_each_month_end_in_a_leap_year(admin):
    plan = essentials()
    protocol(admin, plan, check_in())
    (care_plan,) = care_plans(enrolled(admin, plan, date(2028, 1, 31)))

    for day in (date(2028, 2, 20), date(2028, 3, 20), date(2028, 4, 20)):
        care_work_generate(as_of=day)
    assert due_dates(care_plan, "check_in_visit") == [
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
        date(2028, 4, 30),
    ]


def test_an_activity_with_an_end_stops_generating(admin):
    plan = essentials()
    protocol(admin, plan, check_in(end_after_occurrences=2))
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))

    care_work_generate(as_of=date(2026, 6, 1))
    assert due_dates(care_plan, "check_in_visit") == [date(2026, 1, 1), date(2026, 2, 1)]
