import pytest

from careloop.audit.chain import GENESIS_HASH, canonical_fields, entry_hash
from careloop.audit.models import AuditEvent, AuditHead
from careloop.audit.services import audit_record

pytestmark = pytest.mark.django_db


def _recomputed_hash(event: AuditEvent) -> str:
    fields = canonical_fields(
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_username=event.actor_username,
        actor_role=event.actor_role,
        action=event.action,
        outcome=event.outcome,
        patient_id=event.patient_id,
        object_type=event.object_type,
        object_id=event.object_id,
        ip_address=event.ip_address,
        detail=event.detail,
    )
    return entry_hash(event.previous_hash, fields)


def test_events_form_a_gap_free_chain(admin, patient_ann):
    audit_record(action="patient.view", actor=admin, patient_id=patient_ann.id)
    audit_record(action="patient.update", actor=admin, patient_id=patient_ann.id)
    first, second = AuditEvent.objects.order_by("sequence")
    assert (first.sequence, second.sequence) == (1, 2)
    assert first.previous_hash == GENESIS_HASH
    assert second.previous_hash == first.entry_hash


def test_each_hash_covers_the_stored_fields(admin, patient_ann):
    audit_record(action="patient.view", actor=admin, patient_id=patient_ann.id, detail={"a": 1})
    stored = AuditEvent.objects.get()
    assert _recomputed_hash(stored) == stored.entry_hash


def test_the_head_tracks_the_last_event(admin):
    audit_record(action="auth.sign_in", actor=admin)
    event = AuditEvent.objects.get()
    head = AuditHead.objects.get()
    assert (head.last_sequence, head.last_hash) == (event.sequence, event.entry_hash)


def test_it_records_who_acted_and_in_which_role(provider):
    audit_record(action="patient.view", actor=provider, patient_id=7)
    event = AuditEvent.objects.get()
    assert (event.actor_id, event.actor_username, event.actor_role) == (
        provider.id,
        "provider_pat",
        "provider",
    )
