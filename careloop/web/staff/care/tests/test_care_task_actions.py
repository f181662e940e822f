"""Acting on a care task from the staff pages: start, done, skip with a reason, reassign and
reschedule; refusals name the field and change nothing; the front desk may not act and sees
no clinical detail on the task page."""

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from careloop.care.models import CareTask, CareTaskChange, TaskStatus
from careloop.testing.clients import signed_in_client
from careloop.web.staff.care.tests.builders import care_world, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(admin, patient_ann):
    return care_world(admin, patient_ann)


def _act(user, task, **data):
    return signed_in_client(user).post(reverse("staff:care_task_act", args=[task.pk]), data)


def _snapshot(task: CareTask) -> tuple[Any, int]:
    return (
        CareTask.objects.filter(pk=task.pk).values().get(),
        CareTaskChange.objects.filter(task=task).count(),
    )


def test_starting_a_task_takes_it(world, provider):
    response = _act(provider, world.check_in, action="start")
    assert response.status_code == 302
    task = fresh(world.check_in)
    assert (task.status, task.assignee) == (TaskStatus.IN_PROGRESS, provider)


def test_done_marks_the_task_done_and_returns_to_the_page_it_came_from(
    world, provider, patient_ann
):
    chart = reverse("staff:patient_chart", args=[patient_ann.pk])
    client = signed_in_client(provider)
    url = reverse("staff:care_task_act", args=[world.check_in.pk])
    response = client.post(url, {"action": "complete", "next": chart})
    assert response["Location"] == chart
    assert fresh(world.check_in).status == TaskStatus.DONE
    page = client.get(chart).content.decode()
    assert "Check-in visit for Ann Avery due Mar 2: done." in page


def test_skipping_needs_a_reason(world, coach):
    before = _snapshot(world.coaching)
    response = _act(coach, world.coaching, action="skip", reason="  ")
    assert response.status_code == 422
    assert "Reason: Say why (it is kept in the history)." in response.content.decode()
    assert "Nothing was changed." in response.content.decode()
    assert _snapshot(world.coaching) == before


def test_skipping_with_a_reason_keeps_it_in_the_history(world, coach):
    _act(coach, world.coaching, action="skip", reason="Travelling this month")
    task = fresh(world.coaching)
    assert task.status == TaskStatus.SKIPPED
    assert task.changes.get(action="skip").reason == "Travelling this month"


def test_reassigning_gives_the_task_to_another_staff_member(world, provider, coach):
    _act(provider, world.check_in, action="reassign", assignee=str(coach.pk))
    assert fresh(world.check_in).assignee == coach


def test_reassigning_to_someone_who_cannot_do_care_work_is_named(world, provider, billing):
    before = _snapshot(world.check_in)
    response = _act(provider, world.check_in, action="reassign", assignee=str(billing.pk))
    assert response.status_code == 422
    assert "Assign to: Select a valid choice." in response.content.decode()
    assert _snapshot(world.check_in) == before


def test_rescheduling_moves_the_due_date_and_window(world, provider):
    _act(provider, world.check_in, action="reschedule", due_on="2026-03-09", reason="Clinic shut")
    task = fresh(world.check_in)
    assert (task.due_on, task.window_start, task.window_end) == (
        date(2026, 3, 9),
        date(2026, 3, 2),
        date(2026, 3, 23),
    )


def test_rescheduling_before_the_care_plan_started_is_named_and_changes_nothing(world, provider):
    before = _snapshot(world.check_in)
    response = _act(
        provider, world.check_in, action="reschedule", due_on="2026-02-01", reason="Earlier"
    )
    assert response.status_code == 422
    assert "New due date: The new due date is before the care plan started (2026-03-02)." in (
        response.content.decode()
    )
    assert _snapshot(world.check_in) == before


def test_an_action_the_status_does_not_allow_is_refused(world, provider):
    _act(provider, world.check_in, action="complete")
    before = _snapshot(world.check_in)
    response = _act(provider, world.check_in, action="start")
    assert response.status_code == 422
    assert "A task that is done cannot start" in response.content.decode()
    assert _snapshot(world.check_in) == before


def test_an_unknown_action_is_named(world, provider):
    before = _snapshot(world.check_in)
    response = _act(provider, world.check_in, action="delete")
    assert response.status_code == 422
    assert "Action: Choose start, complete, skip, reassign or reschedule." in (
        response.content.decode()
    )
    assert _snapshot(world.check_in) == before


def test_the_front_desk_may_not_act_on_a_task(world, front_desk):
    before = _snapshot(world.check_in)
    assert _act(front_desk, world.check_in, action="complete").status_code == 403
    assert _snapshot(world.check_in) == before


def test_the_task_page_shows_instructions_and_history_to_clinical_staff_only(
    world, provider, front_desk
):
    url = reverse("staff:care_task_detail", args=[world.check_in.pk])
    clinical = signed_in_client(provider).get(url).content.decode()
    assert "Review the food diary." in clinical
    assert "History" in clinical
    assert 'value="complete"' in clinical
    desk = signed_in_client(front_desk).get(url)
    assert desk.status_code == 200
    page = desk.content.decode()
    assert 'id="task-status">Open<' in page
    assert "food diary" not in page
    assert "History" not in page
    assert reverse("staff:care_task_act", args=[world.check_in.pk]) not in page
