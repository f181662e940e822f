"""Care through the API: queues, task detail and actions, care plans, protocols, gaps and
figures; refusals name the field and change nothing; roles without the capability are refused.

Ann enrolls in Essentials on January 1 2026 (the clock stays there): a monthly check-in for
providers (due January 1, window to January 15) and coaching every two weeks for care
coordinators (January 1 and 15).
"""

from datetime import date

import pytest

from careloop.api.tests.sending import send
from careloop.audit.models import AuditEvent
from careloop.care.models import CarePlan, CareTask, Protocol
from careloop.care.services.gaps import care_gaps_escalate
from careloop.care.tests.care_builders import (
    care_plans,
    check_in,
    coaching,
    enrolled,
    essentials,
    protocol,
)
from careloop.memberships.tests.lifecycle_builders import freeze_on
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def care_plan(admin, patient_ann) -> CarePlan:
    plan = essentials()
    protocol(admin, plan, check_in(), coaching())
    (found,) = care_plans(enrolled(admin, plan, date(2026, 1, 1), patient_ann))
    return found


@pytest.fixture
def check_in_task(care_plan) -> CareTask:
    return CareTask.objects.get(care_plan=care_plan, care_activity__kind="check_in_visit")


def _fields(response) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


def _task_state(task: CareTask) -> tuple[object, ...]:
    task.refresh_from_db()
    return (task.status, task.due_on, task.assignee_id, task.changes.count())


def test_the_team_queue_lists_the_roles_tasks_with_patient_kind_and_plan(care_plan, provider):
    response = send(signed_in_client(provider), "GET", "/api/v1/care/tasks?queue=team")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert (item["patient_name"], item["kind"], item["due_on"], item["status"]) == (
        "Ann Avery",
        "check_in_visit",
        "2026-01-01",
        "open",
    )
    assert (item["protocol_name"], item["plan_name"]) == ("Metabolic health", "Essentials")
    listed = AuditEvent.objects.get(action="care.task_list", actor_id=provider.id)
    assert listed.detail["patient_ids"] == [care_plan.patient_id]


def test_queue_counts_follow_the_queues(care_plan, coach):
    response = send(signed_in_client(coach), "GET", "/api/v1/care/tasks/counts")
    assert response.json() == {"mine": 0, "team": 2, "overdue": 0, "gaps": 0}


def test_the_patient_queue_needs_a_patient(care_plan, provider):
    response = send(signed_in_client(provider), "GET", "/api/v1/care/tasks?queue=all")
    assert response.status_code == 422
    assert _fields(response) == [("patient_id", "required")]
    response = send(
        signed_in_client(provider),
        "GET",
        f"/api/v1/care/tasks?queue=all&patient_id={care_plan.patient_id}",
    )
    assert response.json()["count"] == 3


def test_the_front_desk_sees_a_task_and_its_status_but_not_instructions_or_history(
    check_in_task, front_desk, provider
):
    desk = send(signed_in_client(front_desk), "GET", f"/api/v1/care/tasks/{check_in_task.id}")
    assert desk.status_code == 200
    assert desk.json()["status"] == "open"
    assert (desk.json()["instructions"], desk.json()["history"]) == (None, None)
    clinical = send(signed_in_client(provider), "GET", f"/api/v1/care/tasks/{check_in_task.id}")
    assert clinical.json()["instructions"] == "Monthly follow-up visit."
    assert [row["action"] for row in clinical.json()["history"]] == ["generate"]
    assert AuditEvent.objects.filter(
        action="care.task_view",
        actor_id=front_desk.id,
        patient_id=check_in_task.care_plan.patient_id,
    ).exists()


def test_a_provider_starts_and_completes_a_task(check_in_task, provider):
    client = signed_in_client(provider)
    started = send(client, "POST", f"/api/v1/care/tasks/{check_in_task.id}/start")
    assert (started.json()["status"], started.json()["assignee_id"]) == ("in_progress", provider.id)
    done = send(client, "POST", f"/api/v1/care/tasks/{check_in_task.id}/complete")
    assert done.json()["status"] == "done"
    assert AuditEvent.objects.filter(action="care.task_complete", actor_id=provider.id).exists()


def test_skipping_without_a_reason_is_refused_naming_reason_and_changes_nothing(
    check_in_task, provider
):
    before = _task_state(check_in_task)
    response = send(
        signed_in_client(provider),
        "POST",
        f"/api/v1/care/tasks/{check_in_task.id}/skip",
        {"reason": "  "},
    )
    assert response.status_code == 422
    assert _fields(response) == [("reason", "required")]
    assert _task_state(check_in_task) == before


def test_rescheduling_before_the_plan_started_is_refused_naming_due_on(check_in_task, provider):
    before = _task_state(check_in_task)
    response = send(
        signed_in_client(provider),
        "POST",
        f"/api/v1/care/tasks/{check_in_task.id}/reschedule",
        {"due_on": "2025-12-20", "reason": "Holiday"},
    )
    assert response.status_code == 422
    assert _fields(response) == [("due_on", "before_start")]
    assert _task_state(check_in_task) == before


def test_rescheduling_moves_the_due_date_and_window(check_in_task, provider):
    response = send(
        signed_in_client(provider),
        "POST",
        f"/api/v1/care/tasks/{check_in_task.id}/reschedule",
        {"due_on": "2026-01-08", "reason": "Patient away"},
    )
    assert response.status_code == 200
    assert (response.json()["due_on"], response.json()["window_end"]) == (
        "2026-01-08",
        "2026-01-22",
    )


def test_reassigning_to_someone_unknown_or_not_staff_names_assignee_id(
    check_in_task, provider, patient_bob
):
    before = _task_state(check_in_task)
    client = signed_in_client(provider)
    url = f"/api/v1/care/tasks/{check_in_task.id}/reassign"
    unknown = send(client, "POST", url, {"assignee_id": 999_999})
    assert (unknown.status_code, _fields(unknown)) == (422, [("assignee_id", "not_found")])
    patient = send(client, "POST", url, {"assignee_id": patient_bob.user.id})
    assert (patient.status_code, _fields(patient)) == (422, [("assignee_id", "not_staff")])
    assert _task_state(check_in_task) == before


def test_doing_a_finished_task_again_is_a_conflict(check_in_task, provider):
    client = signed_in_client(provider)
    send(client, "POST", f"/api/v1/care/tasks/{check_in_task.id}/complete")
    before = _task_state(check_in_task)
    again = send(client, "POST", f"/api/v1/care/tasks/{check_in_task.id}/complete")
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_task_transition"
    assert _task_state(check_in_task) == before


@pytest.mark.parametrize("role", ["front_desk", "billing"])
def test_roles_without_care_manage_cannot_act_on_a_task(check_in_task, role, request):
    before = _task_state(check_in_task)
    response = send(
        signed_in_client(request.getfixturevalue(role)),
        "POST",
        f"/api/v1/care/tasks/{check_in_task.id}/complete",
    )
    assert response.status_code == 403
    assert _task_state(check_in_task) == before


def test_billing_cannot_read_care_and_a_patient_is_told_it_does_not_exist(
    check_in_task, billing, patient_ann
):
    assert send(signed_in_client(billing), "GET", "/api/v1/care/tasks").status_code == 403
    own = send(signed_in_client(patient_ann.user), "GET", f"/api/v1/care/tasks/{check_in_task.id}")
    assert own.status_code == 404


def test_a_care_plan_is_suspended_resumed_and_closed(care_plan, provider):
    client = signed_in_client(provider)
    url = f"/api/v1/care/plans/{care_plan.id}"
    resume_active = send(client, "POST", f"{url}/resume", {"reason": ""})
    assert (resume_active.status_code, resume_active.json()["code"]) == (
        409,
        "illegal_care_plan_transition",
    )
    assert send(client, "POST", f"{url}/suspend", {"reason": "In hospital"}).json()["status"] == (
        "suspended"
    )
    assert send(client, "POST", f"{url}/resume", {"reason": ""}).json()["status"] == "active"
    closed = send(client, "POST", f"{url}/close", {"reason": "Stopped the program"})
    assert closed.json()["status"] == "closed"
    assert not CareTask.objects.filter(care_plan=care_plan, status="open").exists()


def test_applying_a_protocol_by_hand_and_listing_the_patients_care_plans(
    admin, provider, patient_bob
):
    freeze_on(date(2026, 2, 2))
    sleep = protocol(admin, None, coaching(), name="Sleep")
    client = signed_in_client(provider)
    response = send(
        client,
        "POST",
        "/api/v1/care/plans",
        {"patient_id": patient_bob.id, "protocol_id": sleep.id, "reason": "Referred"},
    )
    assert response.status_code == 201
    assert (response.json()["protocol_name"], response.json()["started_on"]) == (
        "Sleep",
        "2026-02-02",
    )
    listed = send(client, "GET", f"/api/v1/care/plans?patient_id={patient_bob.id}").json()
    assert [row["protocol_name"] for row in listed] == ["Sleep"]


def test_applying_an_unknown_protocol_names_protocol_id_and_creates_nothing(provider, patient_bob):
    response = send(
        signed_in_client(provider),
        "POST",
        "/api/v1/care/plans",
        {"patient_id": patient_bob.id, "protocol_id": 424242},
    )
    assert (response.status_code, _fields(response)) == (422, [("protocol_id", "not_found")])
    assert not CarePlan.objects.exists()


def test_an_admin_creates_a_protocol_and_adds_an_activity(admin):
    client = signed_in_client(admin)
    created = send(
        client,
        "POST",
        "/api/v1/care/protocols",
        {
            "name": "Hormone health",
            "activities": [
                {
                    "kind": "lab_order",
                    "role": "provider",
                    "repeat": "every",
                    "every": 3,
                    "unit": "months",
                }
            ],
        },
    )
    assert created.status_code == 201
    protocol_id = created.json()["id"]
    added = send(
        client,
        "POST",
        f"/api/v1/care/protocols/{protocol_id}/activities",
        {
            "kind": "coaching_session",
            "role": "coordinator",
            "repeat": "every",
            "every": 2,
            "unit": "weeks",
        },
    )
    assert added.status_code == 201
    detail = send(client, "GET", f"/api/v1/care/protocols/{protocol_id}").json()
    assert [row["kind"] for row in detail["activities"]] == ["lab_order", "coaching_session"]


def test_a_protocol_whose_activity_never_fires_is_refused_and_nothing_is_created(admin):
    response = send(
        signed_in_client(admin),
        "POST",
        "/api/v1/care/protocols",
        {
            "name": "Broken",
            "activities": [
                {
                    "kind": "lab_order",
                    "role": "provider",
                    "repeat": "every",
                    "every": 0,
                    "unit": "months",
                }
            ],
        },
    )
    assert response.status_code == 422
    assert ("activities[0].every", "never_fires") in _fields(response)
    assert not Protocol.objects.exists()


def test_a_provider_cannot_design_protocols(provider):
    response = send(signed_in_client(provider), "POST", "/api/v1/care/protocols", {"name": "Mine"})
    assert response.status_code == 403
    assert not Protocol.objects.exists()


def test_the_gap_list_shows_flagged_tasks_with_their_step(check_in_task, provider, coach):
    care_gaps_escalate(as_of=date(2026, 1, 16))
    response = send(signed_in_client(coach), "GET", "/api/v1/care/gaps")
    assert response.json()["count"] == 2
    assert {(item["kind"], item["gap_step"]) for item in response.json()["items"]} == {
        ("check_in_visit", 1),
        ("coaching_session", 1),
    }


def test_milestone_figures_for_a_range(check_in_task, provider):
    freeze_on(date(2026, 1, 15))
    send(signed_in_client(provider), "POST", f"/api/v1/care/tasks/{check_in_task.id}/complete")
    freeze_on(date(2026, 1, 16))
    response = send(
        signed_in_client(provider), "GET", "/api/v1/care/figures?start=2026-01-01&end=2026-01-31"
    )
    (row,) = response.json()
    # The check-in done on its window's last day; coaching on January 1 (window ended January
    # 15: missed), January 15 and January 29 (generated when the check-in was done: open).
    assert (row["plan_name"], row["due"], row["on_time"], row["missed"], row["open"]) == (
        "Essentials",
        4,
        1,
        1,
        2,
    )


def test_figures_for_a_range_that_ends_before_it_starts_name_end(provider):
    response = send(
        signed_in_client(provider), "GET", "/api/v1/care/figures?start=2026-02-01&end=2026-01-01"
    )
    assert (response.status_code, _fields(response)) == (422, [("end", "before_start")])
