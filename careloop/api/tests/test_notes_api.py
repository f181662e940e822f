"""Structured notes through the API: templates, a draft saved, signed and amended, and the
role rules: the front desk and billing read no note, coaches write only coaching notes, only
the author signs, patients are told nothing exists. Refusals change nothing."""

import pytest

from careloop.accounts.roles import Role
from careloop.api.tests.sending import send
from careloop.audit.models import AuditEvent
from careloop.care.models import ClinicalNote, NoteStatus
from careloop.care.services.notes import note_start
from careloop.care.tests.note_builders import FILLED, SOAP, VITALS, progress_template
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1/care"


@pytest.fixture
def template(admin):
    return progress_template(admin)


def _fields(response) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


def test_an_admin_designs_a_template_and_writers_list_it(admin, provider):
    created = send(
        signed_in_client(admin),
        "POST",
        f"{BASE}/note-templates",
        {"name": "Metabolic follow-up", "kind": "progress", "sections": SOAP, "fields": VITALS},
    )
    assert created.status_code == 201
    assert created.json()["sections"] == SOAP

    listed = send(signed_in_client(provider), "GET", f"{BASE}/note-templates")
    assert [row["name"] for row in listed.json()] == ["Metabolic follow-up"]
    assert listed.json()[0]["fields"][0] == {
        "key": "weight",
        "label": "Weight",
        "kind": "number",
        "unit": "kg",
        "low": 20.0,
        "high": 350.0,
    }


def test_a_bad_template_names_its_fields(admin):
    response = send(
        signed_in_client(admin),
        "POST",
        f"{BASE}/note-templates",
        {"name": "", "kind": "letter", "sections": ["history"]},
    )
    assert response.status_code == 422
    assert set(_fields(response)) == {
        ("name", "required"),
        ("kind", "unknown"),
        ("sections", "unknown_section"),
    }


def test_a_provider_writes_signs_and_amends_a_note(provider, template, patient_ann):
    client = signed_in_client(provider)
    created = send(
        client, "POST", f"{BASE}/notes", {"patient_id": patient_ann.id, "template_id": template.id}
    )
    assert created.status_code == 201
    note_id = created.json()["id"]

    saved = send(
        client, "PATCH", f"{BASE}/notes/{note_id}", {"sections": FILLED, "values": {"weight": 81}}
    )
    assert saved.status_code == 200
    assert saved.json()["values"] == {"weight": "81"}

    signed = send(client, "POST", f"{BASE}/notes/{note_id}/sign")
    assert (signed.status_code, signed.json()["status"]) == (200, "signed")

    edit = send(client, "PATCH", f"{BASE}/notes/{note_id}", {"sections": {"plan": "Changed"}})
    assert (edit.status_code, edit.json()["code"]) == (409, "note_signed")

    amended = send(client, "POST", f"{BASE}/notes/{note_id}/addenda", {"text": "Called back."})
    assert amended.status_code == 201
    assert [a["text"] for a in amended.json()["addenda"]] == ["Called back."]

    listed = send(client, "GET", f"{BASE}/notes?patient_id={patient_ann.id}")
    assert [row["id"] for row in listed.json()] == [note_id]
    assert listed.json()[0]["sections"] == FILLED


def test_bad_values_are_named_and_change_nothing(provider, template, patient_ann):
    note = note_start(actor=provider, patient=patient_ann, template=template)

    response = send(
        signed_in_client(provider),
        "PATCH",
        f"{BASE}/notes/{note.id}",
        {"sections": FILLED, "values": {"weight": "lots", "pulse": 60}},
    )

    assert response.status_code == 422
    assert set(_fields(response)) == {
        ("values.weight", "invalid"),
        ("values.pulse", "unknown_field"),
    }
    note.refresh_from_db()
    assert (note.sections, note.values) == ({}, {})


@pytest.mark.parametrize("role_fixture", ["front_desk", "billing"])
def test_the_desk_and_billing_neither_read_nor_write_notes(
    request, role_fixture, provider, template, patient_ann
):
    note = note_start(actor=provider, patient=patient_ann, template=template)
    client = signed_in_client(request.getfixturevalue(role_fixture))

    assert send(client, "GET", f"{BASE}/notes/{note.id}").status_code == 403
    assert send(client, "GET", f"{BASE}/notes?patient_id={patient_ann.id}").status_code == 403
    refused = send(
        client, "POST", f"{BASE}/notes", {"patient_id": patient_ann.id, "template_id": template.id}
    )
    assert refused.status_code == 403
    assert ClinicalNote.objects.count() == 1


def test_signing_a_colleagues_draft_is_refused(provider, template, patient_ann):
    note = note_start(actor=provider, patient=patient_ann, template=template)
    colleague = make_user(role=Role.PROVIDER)

    response = send(signed_in_client(colleague), "POST", f"{BASE}/notes/{note.id}/sign")

    assert response.status_code == 403
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT


def test_a_coach_cannot_start_a_progress_note(coach, template, patient_ann):
    response = send(
        signed_in_client(coach),
        "POST",
        f"{BASE}/notes",
        {"patient_id": patient_ann.id, "template_id": template.id},
    )
    assert response.status_code == 403
    assert ClinicalNote.objects.count() == 0


def test_reading_a_note_is_audited(provider, coach, template, patient_ann):
    note = note_start(actor=provider, patient=patient_ann, template=template)

    response = send(signed_in_client(coach), "GET", f"{BASE}/notes/{note.id}")

    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="care.note_read", actor_id=coach.id).count() == 1
