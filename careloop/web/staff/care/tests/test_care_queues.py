"""The Care section's queues (mine, my role's, overdue) and the care gaps page with the
milestone figures: who sees them, what a row shows, the plan and patient filters."""

import re
from datetime import date

import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.care.services.care_plans import care_plan_apply
from careloop.care.services.gaps import care_gaps_escalate
from careloop.care.services.tasks import care_task_reassign
from careloop.memberships.tests.lifecycle_builders import freeze_on, make_plan
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient
from careloop.web.staff.care.tests.builders import care_world

pytestmark = pytest.mark.django_db

QUEUES = ("care_my_tasks", "care_team_tasks", "care_overdue", "care_gaps", "care_protocol_list")


@pytest.mark.parametrize("name", QUEUES)
def test_care_pages_show_to_care_staff_and_refuse_billing(
    name, admin, provider, coach, front_desk, billing
):
    for person in (admin, provider, coach, front_desk):
        assert signed_in_client(person).get(reverse(f"staff:{name}")).status_code == 200
    assert signed_in_client(billing).get(reverse(f"staff:{name}")).status_code == 403


def test_care_is_in_the_navigation_with_its_tabs_but_not_for_billing(coach, billing):
    page = signed_in_client(coach).get(reverse("staff:care_team_tasks")).content.decode()
    assert f'href="{reverse("staff:care_my_tasks")}"' in page
    for tab in ("My tasks", "Team", "Overdue", "Care gaps", "Protocols"):
        assert f">{tab}</a>" in page
    billing_page = signed_in_client(billing).get(reverse("staff:patient_search")).content.decode()
    assert f'href="{reverse("staff:care_my_tasks")}"' not in billing_page


def test_the_team_queue_lists_the_roles_tasks_with_patient_window_and_actions(
    admin, provider, patient_ann
):
    world = care_world(admin, patient_ann)
    page = signed_in_client(provider).get(reverse("staff:care_team_tasks")).content.decode()
    row = page.split(f'id="task-{world.check_in.pk}"')[1].split("</tr>")[0]
    assert reverse("staff:patient_chart", args=[patient_ann.pk]) in row
    assert "Check-in visit" in row
    assert "Mar 2, 2026" in row
    assert "Feb 23 \u2013 Mar 16, 2026" in row
    assert "Provider queue" in row
    assert "Open" in row
    assert 'value="complete"' in row
    assert f'id="task-{world.coaching.pk}"' not in page  # a coordinator's task


def test_my_tasks_holds_only_what_is_assigned_to_me(admin, provider, patient_ann):
    world = care_world(admin, patient_ann)
    url = reverse("staff:care_my_tasks")
    assert (
        f'id="task-{world.check_in.pk}"' not in signed_in_client(provider).get(url).content.decode()
    )
    care_task_reassign(actor=admin, task=world.check_in, assignee=provider)
    page = signed_in_client(provider).get(url).content.decode()
    assert f'id="task-{world.check_in.pk}"' in page


def test_the_front_desk_sees_tasks_and_status_but_no_actions(admin, front_desk, patient_ann):
    world = care_world(admin, patient_ann)
    freeze_on(date(2026, 3, 20))
    page = signed_in_client(front_desk).get(reverse("staff:care_overdue")).content.decode()
    assert f'id="task-{world.check_in.pk}"' in page
    assert "Open" in page
    assert reverse("staff:care_task_act", args=[world.check_in.pk]) not in page
    assert "food diary" not in page


def test_overdue_holds_tasks_whose_window_ended(admin, coach, patient_ann):
    world = care_world(admin, patient_ann)
    freeze_on(date(2026, 3, 6))  # coaching window ended March 5, check-in's ends March 16
    page = signed_in_client(coach).get(reverse("staff:care_overdue")).content.decode()
    assert f'id="task-{world.coaching.pk}"' in page
    assert f'id="task-{world.check_in.pk}"' not in page


def test_the_patient_and_plan_filters_narrow_a_queue(admin, coach, patient_ann, patient_bob):
    ann = care_world(admin, patient_ann)
    bob = care_plan_apply(
        actor=admin, patient=patient_bob, protocol=ann.protocol, reason="Referred"
    )
    bob_task = bob.tasks.get(care_activity__kind="coaching_session", index=1)
    client = signed_in_client(coach)
    url = reverse("staff:care_team_tasks")
    both = client.get(url).content.decode()
    assert f'id="task-{ann.coaching.pk}"' in both
    assert f'id="task-{bob_task.pk}"' in both
    only_ann = client.get(url, {"patient": patient_ann.pk}).content.decode()
    assert f'id="task-{ann.coaching.pk}"' in only_ann
    assert f'id="task-{bob_task.pk}"' not in only_ann
    assert "Tasks of" in only_ann
    plan = make_plan(code="active-care", rank=2)
    by_plan = client.get(url, {"plan": plan.pk}).content.decode()
    assert f'id="task-{ann.coaching.pk}"' not in by_plan  # applied by hand, no membership
    bad = client.get(url, {"plan": "999999"})
    assert bad.status_code == 422
    assert "Membership plan: Select a valid choice." in bad.content.decode()


def test_care_gaps_show_the_escalation_step_and_the_milestone_figures(admin, coach, patient_ann):
    world = care_world(admin, patient_ann)
    freeze_on(date(2026, 3, 10))  # the coaching window ended March 5: a gap since March 6
    care_gaps_escalate(as_of=date(2026, 3, 10))
    page = (
        signed_in_client(coach)
        .get(reverse("staff:care_gaps"), {"start": "2026-03-01", "end": "2026-03-31"})
        .content.decode()
    )
    row = page.split(f'id="task-{world.coaching.pk}"')[1].split("</tr>")[0]
    assert "Escalated" in row
    assert f'id="task-{world.check_in.pk}"' not in page
    figures = page.split("milestone-figures")[1].split("</table>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", figures)
    # Applied by hand; due in March: the check-in (open), coaching 1 (missed) and 2 (open).
    assert cells[:2] == ["Applied by hand", "Metabolic health"]
    assert [int(value) for value in cells[2:]] == [3, 0, 0, 1, 0, 2]


def test_a_figures_range_ending_before_it_starts_is_named(coach):
    page = (
        signed_in_client(coach)
        .get(reverse("staff:care_gaps"), {"start": "2026-03-31", "end": "2026-03-01"})
        .content.decode()
    )
    assert "Figures end: The range ends before it starts." in page
    assert "milestone-figures" not in page


def test_queue_pages_are_audited_with_the_patients_shown(admin, coach, patient_ann):
    care_world(admin, patient_ann)
    make_patient()
    signed_in_client(coach).get(reverse("staff:care_team_tasks"))
    event = AuditEvent.objects.filter(action="care.task_list", actor_id=coach.id).get()
    assert event.detail == {"patient_ids": [patient_ann.pk]}


def test_a_figures_range_from_a_start_alone_is_checked_up_to_today(admin, coach, patient_ann):
    care_world(admin, patient_ann)
    page = (
        signed_in_client(coach)
        .get(reverse("staff:care_gaps"), {"start": "2024-01-01"})
        .content.decode()
    )
    assert "Figures end: A range is at most 366 days." in page
    assert "milestone-figures" not in page
