from datetime import UTC, datetime
from itertools import pairwise

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from careloop.audit.models import AuditEvent, AuditHead
from careloop.audit.services import AuditEntry, audit_record, audit_record_many
from careloop.audit.verify import audit_verify
from careloop.core import clock

pytestmark = pytest.mark.django_db


def _entries(actor, count: int) -> list[AuditEntry]:
    return [
        AuditEntry(
            action="billing.invoice_issue",
            actor=actor if number % 2 else None,
            patient_id=number,
            object_type="invoice",
            object_id=number,
            detail={"number": number},
        )
        for number in range(1, count + 1)
    ]


def test_a_segment_is_chained_in_order_and_verifies(admin):
    audit_record(action="patient.view", actor=admin, patient_id=1)

    with clock.frozen_at(datetime(2026, 5, 1, 2, 0, tzinfo=UTC)):
        events = audit_record_many(_entries(admin, 5))

    assert [event.sequence for event in events] == [2, 3, 4, 5, 6]
    stored = list(AuditEvent.objects.order_by("sequence"))
    assert [event.object_id for event in stored] == ["", "1", "2", "3", "4", "5"]
    for before, after in pairwise(stored):
        assert after.previous_hash == before.entry_hash
    assert [event.actor_id for event in stored[1:]] == [admin.pk, None, admin.pk, None, admin.pk]
    head = AuditHead.objects.get()
    assert (head.last_sequence, head.last_hash) == (6, stored[-1].entry_hash)
    report = audit_verify()
    assert (report.intact, report.events_checked) == (True, 6), report.problems


class _Undo(Exception):
    pass


def _hashes_rolled_back(write) -> list[str]:
    """The chain's hashes after `write` on an empty log; the writes are then rolled back."""
    hashes: list[str] = []
    try:
        with transaction.atomic(), clock.frozen_at(datetime(2026, 5, 1, 2, 0, tzinfo=UTC)):
            write()
            hashes = list(
                AuditEvent.objects.order_by("sequence").values_list("entry_hash", flat=True)
            )
            raise _Undo
    except _Undo:
        pass
    return hashes


def test_a_segment_hashes_as_one_record_each_would(admin):
    entries = _entries(admin, 3)

    def one_by_one() -> None:
        for entry in entries:
            audit_record(
                action=entry.action,
                actor=entry.actor,
                patient_id=entry.patient_id,
                object_type=entry.object_type,
                object_id=entry.object_id,
                detail=entry.detail,
            )

    separately = _hashes_rolled_back(one_by_one)
    together = _hashes_rolled_back(lambda: audit_record_many(entries))

    assert len(separately) == 3
    assert together == separately


def test_a_segment_takes_one_insert_whatever_its_length(admin):
    audit_record(action="patient.view", actor=admin)
    with CaptureQueriesContext(connection) as queries:
        audit_record_many(_entries(admin, 50))

    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert AuditEvent.objects.count() == 51


def test_a_segment_rolls_back_with_its_transaction(admin):
    def failing_batch() -> None:
        with transaction.atomic():
            audit_record_many(_entries(admin, 4))
            raise RuntimeError("the batch failed")

    with pytest.raises(RuntimeError):
        failing_batch()

    assert AuditEvent.objects.count() == 0
    audit_record(action="patient.view", actor=admin)
    assert AuditEvent.objects.get().sequence == 1
    assert audit_verify().intact


def test_nothing_to_record_touches_nothing(admin):
    with CaptureQueriesContext(connection) as queries:
        assert audit_record_many([]) == []
    assert queries.captured_queries == []
