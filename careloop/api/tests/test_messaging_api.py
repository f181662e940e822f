"""Secure messaging through the API: a patient starts a thread with a file, the care team
answers beside an internal note the patient never sees, inboxes and read marks, claim, assign,
reassign, close and reopen, routing rules, reply templates and the SLA figures. Bad input
(an empty message, a closed thread, someone else's thread, a bad file, a rule pointing
nowhere) is a problem naming the field and the rule, and stores nothing."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from careloop.accounts.roles import Role
from careloop.api.tests.sending import send
from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.messaging.models import Attachment, RoutingRule, Thread, Topic
from careloop.messaging.services.assignment import thread_close
from careloop.messaging.tests.messaging_builders import (
    care_team_routes,
    concierge,
    essentials,
    member,
    primary_provider,
    snapshot,
    start,
    team,
)
from careloop.patients.services import household_create
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1/messaging"
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def attachment_folder(settings, tmp_path):
    settings.MESSAGING_ATTACHMENT_DIR = tmp_path / "attachments"
    return settings.MESSAGING_ATTACHMENT_DIR


@pytest.fixture
def ann(admin, provider, patient_ann):
    """Ann, a Concierge member (4 business hours) whose primary provider is `provider`."""
    care_team_routes(admin)
    member(admin, concierge(), patient_ann)
    primary_provider(admin, patient_ann, provider)
    return patient_ann


@pytest.fixture
def ann_thread(ann) -> Thread:
    return start(ann)


def pdf(name="lab-report.pdf", data=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(folder):
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def unchanged_since(before) -> bool:
    """Nothing messaging writes changed; the audit log's record of the attempt (a successful
    access check before the refusal) is the one row a refused request adds by design."""
    after = snapshot()
    return {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }


def _fields(response) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


def test_a_concierge_patient_starts_a_thread_with_a_file_and_it_reaches_their_provider(
    ann, provider
):
    response = signed_in_client(ann.user).post(
        f"{BASE}/threads",
        {"topic": "clinical_question", "body": "My report is attached.", "attachments": [pdf()]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["topic"], body["assignee_id"], body["team_name"]) == (
        "clinical_question",
        provider.id,
        "Clinical",
    )
    (message,) = body["messages"]
    assert message["attachments"][0]["file_name"] == "lab-report.pdf"
    # Concierge's target is 4 business hours: 09:00 on a Monday is due at 13:00.
    assert body["waiting"]["target_business_hours"] == 4
    assert body["history"] is None, "a patient does not see the thread's staff history"


def test_the_patient_sees_the_reply_but_never_the_internal_note(ann_thread, ann, provider):
    staff = signed_in_client(provider)
    url = f"{BASE}/threads/{ann_thread.id}"
    note = send(staff, "POST", f"{url}/notes", {"body": "Check her last TSH first."})
    reply = staff.post(f"{url}/messages", {"body": "Yes, with food is fine."})
    assert (note.status_code, reply.status_code) == (201, 201)
    assert note.json()["kind"] == "note"

    seen_by_patient = send(signed_in_client(ann.user), "GET", url).json()
    assert [m["body"] for m in seen_by_patient["messages"]] == [
        "Is it fine to take my dose with food?",
        "Yes, with food is fine.",
    ]
    seen_by_staff = send(staff, "GET", url).json()
    assert [m["kind"] for m in seen_by_staff["messages"]] == ["message", "note", "message"]
    assert seen_by_staff["waiting"] is None, "the reply answered the patient's message"


def test_markup_in_a_body_comes_back_as_the_same_plain_text(ann_thread, ann):
    client = signed_in_client(ann.user)
    client.post(f"{BASE}/threads/{ann_thread.id}/messages", {"body": "<script>x()</script>"})
    messages = send(client, "GET", f"{BASE}/threads/{ann_thread.id}").json()["messages"]
    assert messages[-1]["body"] == "<script>x()</script>"


def test_a_patient_lists_only_their_own_threads(ann_thread, patient_bob):
    assert send(signed_in_client(patient_bob.user), "GET", f"{BASE}/threads").json()["count"] == 0
    own = send(signed_in_client(ann_thread.patient.user), "GET", f"{BASE}/threads").json()
    assert [item["id"] for item in own["items"]] == [ann_thread.id]


def test_another_patients_thread_is_not_found_and_nothing_is_stored(ann_thread, patient_bob):
    client = signed_in_client(patient_bob.user)
    before = snapshot()
    url = f"{BASE}/threads/{ann_thread.id}"
    assert send(client, "GET", url).status_code == 404
    refused = client.post(f"{url}/messages", {"body": "Hello?", "attachments": [pdf()]})
    assert refused.status_code == 404
    assert refused["Content-Type"].startswith("application/problem+json")
    assert snapshot() == before
    assert not Attachment.objects.exists()


def test_a_member_shares_a_thread_with_the_head_who_reads_it_but_cannot_write(
    ann_thread, patient_bob, front_desk, provider
):
    household_create(
        actor=front_desk, name="Baker home", head=patient_bob, members=[ann_thread.patient]
    )
    head = signed_in_client(patient_bob.user)
    url = f"{BASE}/threads/{ann_thread.id}"
    assert send(head, "GET", url).status_code == 404

    shared = send(
        signed_in_client(ann_thread.patient.user), "POST", f"{url}/sharing", {"shared": True}
    )

    assert shared.status_code == 200
    assert shared.json()["shared_with_household"] is True
    listed = send(head, "GET", f"{BASE}/threads?shared=true").json()
    assert [item["id"] for item in listed["items"]] == [ann_thread.id]
    assert send(head, "GET", f"{BASE}/threads").json()["count"] == 0
    assert send(head, "GET", url).status_code == 200
    before = snapshot()
    refused = head.post(f"{url}/messages", {"body": "Hello from Bob"})
    assert refused.status_code == 403
    assert send(head, "POST", f"{url}/sharing", {"shared": False}).status_code == 404
    assert (
        send(signed_in_client(provider), "POST", f"{url}/sharing", {"shared": False}).status_code
        == 403
    )
    assert unchanged_since(before)


def test_sharing_without_a_household_names_the_field_and_changes_nothing(ann_thread):
    before = snapshot()
    refused = send(
        signed_in_client(ann_thread.patient.user),
        "POST",
        f"{BASE}/threads/{ann_thread.id}/sharing",
        {"shared": True},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "shared_with_household"
    assert unchanged_since(before)


def test_staff_of_another_team_are_refused_and_nothing_is_stored(ann_thread, front_desk):
    before = snapshot()
    refused = signed_in_client(front_desk).post(
        f"{BASE}/threads/{ann_thread.id}/messages", {"body": "Hello"}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert snapshot() == before


def test_an_empty_message_names_the_body_and_stores_nothing(ann_thread, ann):
    before = snapshot()
    refused = signed_in_client(ann.user).post(
        f"{BASE}/threads/{ann_thread.id}/messages", {"body": "   "}
    )
    assert refused.status_code == 422
    assert _fields(refused) == [("body", "required")]
    assert unchanged_since(before)


def test_writing_to_a_closed_thread_is_a_conflict_and_stores_nothing(
    ann_thread, ann, provider, attachment_folder
):
    thread_close(actor=provider, thread=ann_thread)
    before = snapshot()
    refused = signed_in_client(ann.user).post(
        f"{BASE}/threads/{ann_thread.id}/messages",
        {"body": "One more thing", "attachments": [pdf()]},
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "thread_closed"
    assert unchanged_since(before)
    assert stored_files(attachment_folder) == []


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (
            pdf(name="run.exe", data=b"MZ\x90\x00", content_type="application/x-msdownload"),
            "type_not_allowed",
        ),
        (pdf(name="fake.pdf", data=b"just some text"), "content_mismatch"),
        (pdf(name="empty.pdf", data=b""), "empty"),
    ],
)
def test_a_bad_attachment_names_the_file_and_stores_nothing(
    ann_thread, ann, attachment_folder, upload, code
):
    upload.seek(0)
    before = snapshot()
    refused = signed_in_client(ann.user).post(
        f"{BASE}/threads/{ann_thread.id}/messages", {"body": "Here", "attachments": [upload]}
    )
    assert refused.status_code == 422
    assert _fields(refused) == [("attachments[0]", code)]
    assert unchanged_since(before)
    assert stored_files(attachment_folder) == []


def test_an_oversized_attachment_is_refused_as_too_large(ann_thread, ann, settings):
    settings.MESSAGING_ATTACHMENT_MAX_BYTES = 100
    refused = signed_in_client(ann.user).post(
        f"{BASE}/threads/{ann_thread.id}/messages",
        {"body": "Big", "attachments": [pdf(data=PDF + b"x" * 500)]},
    )
    assert _fields(refused) == [("attachments[0]", "too_large")]


def test_a_patient_whose_plan_has_no_messaging_is_told_why(admin, provider, patient_bob):
    care_team_routes(admin)
    member(admin, essentials(), patient_bob)
    refused = signed_in_client(patient_bob.user).post(
        f"{BASE}/threads", {"topic": "clinical_question", "body": "Hello"}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "plan_without_messaging"
    assert not Thread.objects.exists()


def test_a_download_is_served_as_an_attachment_and_audited(ann, provider, patient_bob):
    created = signed_in_client(ann.user).post(
        f"{BASE}/threads",
        {"topic": "clinical_question", "body": "Report", "attachments": [pdf()]},
    )
    url = created.json()["messages"][0]["attachments"][0]["download"]
    response = signed_in_client(provider).get(url)
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Disposition"] == 'attachment; filename="lab-report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert signed_in_client(patient_bob.user).get(url).status_code == 404
    outcomes = AuditEvent.objects.filter(action="message.attachment_open").values_list(
        "outcome", flat=True
    )
    assert sorted(outcomes) == ["denied", "success"]


def test_the_inboxes_list_open_threads_with_unread_until_read(ann_thread, provider):
    client = signed_in_client(provider)
    mine = send(client, "GET", f"{BASE}/threads?inbox=mine").json()
    assert (mine["count"], mine["items"][0]["unread"]) == (1, True)
    read = send(client, "POST", f"{BASE}/threads/{ann_thread.id}/read", {})
    assert read.json()["moved"] is True
    assert send(client, "GET", f"{BASE}/threads?inbox=mine").json()["items"][0]["unread"] is False
    assert send(client, "GET", f"{BASE}/threads?inbox=unassigned").json()["count"] == 0
    assert send(client, "GET", f"{BASE}/threads?inbox=overdue").json()["count"] == 0
    clock.freeze(ann_thread.created_at + timedelta(hours=5))
    client = signed_in_client(provider)
    overdue = send(client, "GET", f"{BASE}/threads?inbox=overdue").json()
    assert [item["id"] for item in overdue["items"]] == [ann_thread.id]


def test_staff_list_one_patients_threads_and_the_read_is_audited(ann_thread, ann, provider):
    listed = send(signed_in_client(provider), "GET", f"{BASE}/threads?patient_id={ann.id}")
    assert [item["id"] for item in listed.json()["items"]] == [ann_thread.id]
    assert AuditEvent.objects.filter(action="message.thread_list", patient_id=ann.id).exists()


def test_claim_assign_reassign_close_and_reopen_record_the_history(
    admin, provider, coach, patient_ann
):
    pool = team(admin, "Coaches", Role.COORDINATOR)
    RoutingRule.objects.all().delete()
    send(
        signed_in_client(admin),
        "PUT",
        f"{BASE}/routing-rules/other",
        {"target": "team", "team_id": pool.id},
    )
    member(admin, concierge(), patient_ann)
    thread = start(patient_ann, topic=Topic.OTHER)
    client = signed_in_client(coach)
    url = f"{BASE}/threads/{thread.id}"
    assert send(client, "POST", f"{url}/claim").json()["assignee_id"] == coach.id
    refused = send(client, "POST", f"{url}/reassign", {"assignee_id": provider.id, "reason": ""})
    assert _fields(refused) == [("reason", "required")]
    moved = send(
        client, "POST", f"{url}/reassign", {"assignee_id": None, "reason": "Out this afternoon"}
    )
    assert moved.json()["assignee_id"] is None
    assigned = send(signed_in_client(provider), "POST", f"{url}/assign", {"assignee_id": coach.id})
    assert assigned.json()["assignee_id"] == coach.id
    closed = send(client, "POST", f"{url}/close", {"reason": "Answered by phone"})
    assert closed.json()["status"] == "closed"
    again = send(client, "POST", f"{url}/close", {})
    assert (again.status_code, again.json()["code"]) == (409, "illegal_thread_transition")
    reopened = send(client, "POST", f"{url}/reopen", {})
    assert [change["action"] for change in reopened.json()["history"]] == [
        "open",
        "claim",
        "reassign",
        "assign",
        "close",
        "reopen",
    ]
    assert reopened.json()["history"][2]["reason"] == "Out this afternoon"


def test_a_patient_cannot_claim_or_close_their_own_thread(ann_thread, ann):
    before = snapshot()
    client = signed_in_client(ann.user)
    for action in ("claim", "close"):
        assert (
            send(client, "POST", f"{BASE}/threads/{ann_thread.id}/{action}", {}).status_code == 404
        )
    assert snapshot() == before


def test_an_admin_sets_and_removes_a_routing_rule(admin, provider):
    clinical = care_team_routes(admin)
    client = signed_in_client(admin)
    saved = send(
        client,
        "PUT",
        f"{BASE}/routing-rules/lab_results",
        {"target": "team", "team_id": clinical.id},
    )
    assert (saved.status_code, saved.json()["team_name"]) == (200, "Clinical")
    topics = [rule["topic"] for rule in send(client, "GET", f"{BASE}/routing-rules").json()]
    assert topics == ["clinical_question", "lab_results"]
    assert send(client, "DELETE", f"{BASE}/routing-rules/lab_results").status_code == 204
    assert not RoutingRule.objects.filter(topic="lab_results").exists()


def test_a_rule_pointing_nowhere_is_refused_naming_the_team_and_stores_nothing(admin, provider):
    care_team_routes(admin)
    billing_team = team(admin, "Billing", Role.BILLING)  # no billing staff exist
    before = snapshot()
    client = signed_in_client(admin)
    nobody = send(
        client,
        "PUT",
        f"{BASE}/routing-rules/billing",
        {"target": "team", "team_id": billing_team.id},
    )
    assert (nobody.status_code, _fields(nobody)) == (422, [("team_id", "empty_team")])
    missing = send(
        client, "PUT", f"{BASE}/routing-rules/billing", {"target": "team", "team_id": None}
    )
    assert _fields(missing) == [("team_id", "required")]
    assert snapshot() == before


def test_only_admins_change_routing_rules(admin, provider):
    clinical = care_team_routes(admin)
    before = snapshot()
    refused = send(
        signed_in_client(provider),
        "PUT",
        f"{BASE}/routing-rules/billing",
        {"target": "team", "team_id": clinical.id},
    )
    assert refused.status_code == 403
    assert snapshot() == before


def test_reply_templates_are_created_changed_listed_and_retired(admin, provider):
    client = signed_in_client(admin)
    created = send(
        client,
        "POST",
        f"{BASE}/reply-templates",
        {"name": "Refill received", "body": "We have your refill request.", "topic": "refill"},
    )
    assert created.status_code == 201
    url = f"{BASE}/reply-templates/{created.json()['id']}"
    changed = send(
        client, "PUT", url, {"name": "Refill received", "body": "Refill request received."}
    )
    assert (changed.json()["body"], changed.json()["topic"]) == ("Refill request received.", "")
    listed = send(signed_in_client(provider), "GET", f"{BASE}/reply-templates?topic=refill")
    assert [t["name"] for t in listed.json()] == ["Refill received"]
    assert send(client, "DELETE", url).json()["active"] is False
    assert send(signed_in_client(provider), "GET", f"{BASE}/reply-templates").json() == []
    blank = send(client, "POST", f"{BASE}/reply-templates", {"name": "", "body": ""})
    assert _fields(blank) == [("name", "required"), ("body", "required")]


def test_the_figures_count_answers_within_target_per_plan_and_person(ann_thread, provider):
    signed_in_client(provider).post(f"{BASE}/threads/{ann_thread.id}/messages", {"body": "Yes."})
    clock.freeze(clock.now() + timedelta(minutes=1))
    today = clock.today().isoformat()
    figures = send(
        signed_in_client(provider), "GET", f"{BASE}/figures?start={today}&end={today}"
    ).json()
    (plan,) = figures["by_plan"]
    assert (plan["label"], plan["messages"], plan["within_target"], plan["breaches"]) == (
        "Concierge",
        1,
        1,
        0,
    )
    assert plan["share_within_target"] == 1.0
    (person,) = figures["by_person"]
    assert (person["key"], person["answered"]) == (provider.id, 1)


def test_the_figures_refuse_a_range_that_ends_before_it_starts(provider):
    refused = send(
        signed_in_client(provider), "GET", f"{BASE}/figures?start=2026-03-02&end=2026-03-01"
    )
    assert _fields(refused) == [("end", "before_start")]


def test_the_front_desk_may_not_read_the_figures(front_desk):
    refused = send(
        signed_in_client(front_desk), "GET", f"{BASE}/figures?start=2026-03-01&end=2026-03-02"
    )
    assert refused.status_code == 403


def test_an_unknown_staff_member_for_assignment_names_the_field(ann_thread, provider):
    make_user(role=Role.PATIENT, username="not_staff")
    refused = send(
        signed_in_client(provider),
        "POST",
        f"{BASE}/threads/{ann_thread.id}/reassign",
        {"assignee_id": 999_999, "reason": "Cover"},
    )
    assert _fields(refused) == [("assignee_id", "not_found")]
