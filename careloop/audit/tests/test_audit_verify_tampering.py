import pytest

from careloop.audit.chain import canonical_fields, entry_hash
from careloop.audit.models import AuditEvent, AuditHead
from careloop.audit.tests.chains import swap_columns, write_chain
from careloop.audit.verify import Anchor, ProblemKind, audit_verify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tamperable_log")]

CONTENT = [
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_role",
    "action",
    "outcome",
    "patient_id",
    "object_type",
    "object_id",
    "ip_address",
    "detail",
]


def _found(**options):
    report = audit_verify(**options)
    return {(problem.kind, problem.sequence) for problem in report.problems}


def test_it_reports_an_edited_row_at_its_sequence(admin):
    write_chain(admin)
    AuditEvent.objects.filter(sequence=3).update(action="patient.export")
    assert _found() == {(ProblemKind.HASH_MISMATCH, 3)}


def test_it_reports_an_edited_detail(admin):
    write_chain(admin)
    AuditEvent.objects.filter(sequence=2).update(detail={"fields": ["email"]})
    assert _found() == {(ProblemKind.HASH_MISMATCH, 2)}


def test_it_reports_a_deleted_row_as_a_gap(admin):
    write_chain(admin)
    AuditEvent.objects.filter(sequence=3).delete()
    report = audit_verify()
    assert [(problem.kind, problem.sequence) for problem in report.problems] == [
        (ProblemKind.SEQUENCE_GAP, 3)
    ]
    assert "event #3 is missing" in report.problems[0].explanation
    assert report.events_checked == 4


def test_it_reports_several_deleted_rows_as_one_gap(admin):
    write_chain(admin, 8)
    AuditEvent.objects.filter(sequence__in=[3, 4, 5]).delete()
    report = audit_verify(batch_size=2)
    assert [(problem.kind, problem.sequence) for problem in report.problems] == [
        (ProblemKind.SEQUENCE_GAP, 3)
    ]
    assert "events #3 to #5 are missing" in report.problems[0].explanation


def test_it_reports_two_events_that_traded_places(admin):
    write_chain(admin)
    # Each row takes the other's whole entry, hashes included, but keeps its sequence number.
    swap_columns(3, 4, [*CONTENT, "previous_hash", "entry_hash"])
    assert _found() == {
        (ProblemKind.LINK_MISMATCH, 3),
        (ProblemKind.HASH_MISMATCH, 3),
        (ProblemKind.LINK_MISMATCH, 4),
        (ProblemKind.HASH_MISMATCH, 4),
        (ProblemKind.LINK_MISMATCH, 5),
    }


def test_it_reports_two_rows_whose_contents_were_swapped(admin):
    write_chain(admin)
    swap_columns(2, 4, CONTENT)
    assert _found() == {(ProblemKind.HASH_MISMATCH, 2), (ProblemKind.HASH_MISMATCH, 4)}


def test_it_reports_a_cut_tail(admin):
    write_chain(admin)
    AuditEvent.objects.filter(sequence__gte=4).delete()
    report = audit_verify()
    assert [(problem.kind, problem.sequence) for problem in report.problems] == [
        (ProblemKind.TRUNCATED_TAIL, 4)
    ]
    assert "the head records event #5 but the log ends at #3" in report.problems[0].explanation


def test_it_reports_a_log_emptied_behind_its_head(admin):
    write_chain(admin, 3)
    AuditEvent.objects.all().delete()
    assert _found() == {(ProblemKind.TRUNCATED_TAIL, 1)}


def test_it_reports_an_edited_head_hash(admin):
    write_chain(admin)
    AuditHead.objects.update(last_hash="f" * 64)
    assert _found() == {(ProblemKind.HEAD_MISMATCH, 5)}


def test_it_reports_events_beyond_a_rolled_back_head(admin):
    events = write_chain(admin)
    AuditHead.objects.update(last_sequence=3, last_hash=events[2].entry_hash)
    assert _found() == {(ProblemKind.HEAD_MISMATCH, 4)}


def test_it_reports_a_missing_head_row(admin):
    write_chain(admin)
    AuditHead.objects.all().delete()
    assert _found() == {(ProblemKind.HEAD_MISMATCH, 5)}


def test_it_reports_an_event_forged_without_the_key(admin):
    events = write_chain(admin)
    last = events[-1]
    fields = {
        "sequence": 6,
        "occurred_at": last.occurred_at,
        "actor_id": admin.id,
        "actor_username": admin.username,
        "actor_role": admin.role,
        "action": "patient.view",
        "outcome": "success",
        "patient_id": 2,
        "object_type": "",
        "object_id": "2",
        "ip_address": None,
        "detail": {},
    }
    forged = entry_hash(last.entry_hash, canonical_fields(**fields), key="a guessed key")
    AuditEvent.objects.create(**fields, previous_hash=last.entry_hash, entry_hash=forged)
    AuditHead.objects.update(last_sequence=6, last_hash=forged)
    assert _found() == {(ProblemKind.HASH_MISMATCH, 6)}


def test_a_different_key_fails_every_entry_and_the_list_is_capped(admin):
    write_chain(admin)
    report = audit_verify(key="not the audit key", problem_limit=2)
    assert [problem.sequence for problem in report.problems] == [1, 2]
    assert {problem.kind for problem in report.problems} == {ProblemKind.HASH_MISMATCH}
    assert (report.problem_count, report.problems_not_listed) == (5, 3)


def test_starting_part_way_still_checks_the_link_into_the_first_event(admin):
    write_chain(admin)
    AuditEvent.objects.filter(sequence=3).update(previous_hash="e" * 64)
    assert (ProblemKind.LINK_MISMATCH, 3) in _found(from_sequence=3)


def test_an_anchor_whose_event_was_rewritten_with_the_key_is_reported(admin):
    events = write_chain(admin, 3)
    anchor = Anchor(sequence=2, entry_hash=events[1].entry_hash)
    assert audit_verify(anchor=anchor).intact
    AuditEvent.objects.filter(sequence=2).update(entry_hash="d" * 64)
    assert (ProblemKind.ANCHOR_MISMATCH, 2) in _found(anchor=anchor)
