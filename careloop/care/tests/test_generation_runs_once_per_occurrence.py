from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from careloop.care.models import CareTask
from careloop.care.services import generation
from careloop.care.tests.care_builders import (
    care_plans,
    check_in,
    enrolled,
    essentials,
    protocol,
    stale_once,
    tasks,
)


def test_the_database_refuses_a_second_copy_of_an_occurrence(admin):
    plan = essentials()
    protocol(admin, plan, check_in())
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))
    (first,) = tasks(care_plan)

    copy = {
        name: value
        for name, value in CareTask.objects.filter(pk=first.pk).values().get().items()
        if name != "id"
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        CareTask.objects.create(**copy)


def test_generation_that_read_before_another_worker_wrote_creates_nothing_twice(admin, monkeypatch):
    plan = essentials()
    protocol(admin, plan, check_in())
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))
    (first,) = tasks(care_plan)
    # The first read misses the occurrence enrollment created, as a worker's read would if
    # the other wrote without the plan's lock: the insert is refused, the plan read again.
    monkeypatch.setattr(generation, "_last_tasks", stale_once(generation._last_tasks))

    again = generation.care_plan_generate(care_plan=care_plan, as_of=date(2026, 1, 1))

    assert again == []
    assert list(CareTask.objects.filter(care_plan=care_plan)) == [first]


def test_the_generate_command_runs_as_of_a_date_and_says_what_it_created(admin):
    plan = essentials()
    protocol(admin, plan, check_in())
    enrolled(admin, plan, date(2026, 1, 1))

    out = StringIO()
    call_command("care", "generate", "--as-of", "2026-02-20", stdout=out)
    assert out.getvalue() == "Care work as of 2026-02-20: 2 tasks created.\n"
    out = StringIO()
    call_command("care", "generate", "--as-of", "2026-02-20", stdout=out)
    assert out.getvalue() == "Care work as of 2026-02-20: 0 tasks created.\n"


def test_the_generate_command_refuses_a_malformed_date(db):
    with pytest.raises(CommandError, match="--as-of must be a date as YYYY-MM-DD"):
        call_command("care", "generate", "--as-of", "20 Feb")
