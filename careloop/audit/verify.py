"""Walk the audit chain and report every place it was changed.

The walk streams rows in sequence order, a batch at a time (keyset pagination on the unique
sequence index), as plain tuples: a million events need a few megabytes, not a million model
instances. Each entry's hash is recomputed from its stored fields and stored previous hash, so
an edit shows at the edited entry only; a broken link shows where the chain was cut or
reordered; the head row catches a cut tail.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from django.db import connection

from careloop.audit.chain import GENESIS_HASH, EntryHasher, canonical_fields
from careloop.audit.models import AuditEvent, AuditHead

DEFAULT_BATCH_SIZE = 10_000
DEFAULT_PROBLEM_LIMIT = 1_000

_COLUMNS = (
    "sequence",
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
    "previous_hash",
    "entry_hash",
)

_Row = tuple[
    int,
    datetime,
    int | None,
    str,
    str,
    str,
    str,
    int | None,
    str,
    str,
    str | None,
    dict[str, Any],
    str,
    str,
]


class ProblemKind(StrEnum):
    HASH_MISMATCH = "hash_mismatch"
    SEQUENCE_GAP = "sequence_gap"
    LINK_MISMATCH = "link_mismatch"
    TRUNCATED_TAIL = "truncated_tail"
    HEAD_MISMATCH = "head_mismatch"
    ANCHOR_MISMATCH = "anchor_mismatch"


@dataclass(frozen=True)
class Anchor:
    """An event's sequence and hash as an earlier run printed them, kept outside the database."""

    sequence: int
    entry_hash: str


@dataclass(frozen=True)
class ChainProblem:
    kind: ProblemKind
    sequence: int
    explanation: str

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind.value}: {self.explanation}"


@dataclass
class ChainReport:
    """What a walk found. `problems` holds at most the walk's limit; `problem_count` counts all."""

    events_checked: int = 0
    first_sequence: int | None = None
    last_sequence: int | None = None
    last_hash: str | None = None
    problems: list[ChainProblem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def intact(self) -> bool:
        return self.problem_count == 0

    @property
    def problems_not_listed(self) -> int:
        return self.problem_count - len(self.problems)


class _Collector:
    def __init__(self, report: ChainReport, limit: int | None) -> None:
        self.report = report
        self.limit = limit

    def add(self, kind: ProblemKind, sequence: int, explanation: str) -> None:
        self.report.problem_count += 1
        if self.limit is None or len(self.report.problems) < self.limit:
            self.report.problems.append(ChainProblem(kind, sequence, explanation))


def _instant(value: datetime | str) -> datetime:
    # SQLite hands back the text Django stored ("2026-01-05 14:03:07.123456", UTC);
    # PostgreSQL an aware datetime.
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _detail(value: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {} if value == "{}" else json.loads(value)


def _rows(from_sequence: int, batch_size: int) -> Iterator[_Row]:
    """Rows as the database returns them, converted by hand.

    Django's per-value converters (values_list) cost as much as the hashing itself, so the
    query is built by the ORM but run on a plain cursor; `_instant` and `_detail` do what the
    DateTimeField and JSONField converters would.
    """
    cursor_sequence = from_sequence
    while True:
        query = (
            AuditEvent.objects.filter(sequence__gte=cursor_sequence)
            .order_by("sequence")
            .values_list(*_COLUMNS)[:batch_size]
        )
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            batch = cursor.fetchall()
        for row in batch:
            yield (
                row[0],
                _instant(row[1]),
                row[2],
                row[3],
                row[4],
                row[5],
                row[6],
                row[7],
                row[8],
                row[9],
                row[10],
                _detail(row[11]),
                row[12],
                row[13],
            )
        if len(batch) < batch_size:
            return
        cursor_sequence = batch[-1][0] + 1


def _missing(first: int, last: int) -> str:
    if first == last:
        return f"event #{first} is missing (deleted)"
    return f"events #{first} to #{last} are missing (deleted)"


def audit_verify(
    *,
    from_sequence: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    problem_limit: int | None = DEFAULT_PROBLEM_LIMIT,
    key: str | None = None,
    anchor: Anchor | None = None,
) -> ChainReport:
    """Check the chain from `from_sequence` to its end and against the head row.

    Starting past 1 trusts the link into the first checked event unless the event before it
    is there to compare with. Events appended while the walk runs are checked too if the walk
    reaches them; the head is read before the walk, so a concurrent append is not mistaken for
    a cut tail. An `anchor` must still be in the log with the same hash: with the chain intact,
    that proves nothing up to it was removed, even if the head was rewritten to match.
    """
    if from_sequence < 1:
        raise ValueError("from_sequence starts at 1")
    report = ChainReport()
    problems = _Collector(report, problem_limit)
    hasher = EntryHasher(key)
    head = AuditHead.objects.order_by("id").values_list("last_sequence", "last_hash").first()

    expected_sequence = from_sequence
    expected_previous: str | None = GENESIS_HASH
    if from_sequence > 1:
        expected_previous = (
            AuditEvent.objects.filter(sequence=from_sequence - 1)
            .values_list("entry_hash", flat=True)
            .first()
        )
    hash_at_head: str | None = None
    hash_at_anchor: str | None = None
    head_sequence = head[0] if head is not None else 0

    for row in _rows(from_sequence, batch_size):
        sequence = row[0]
        previous_hash = row[12]
        stored_hash = row[13]
        if sequence > expected_sequence:
            problems.add(
                ProblemKind.SEQUENCE_GAP,
                expected_sequence,
                _missing(expected_sequence, sequence - 1),
            )
        elif expected_previous is not None and previous_hash != expected_previous:
            problems.add(
                ProblemKind.LINK_MISMATCH,
                sequence,
                f"its previous hash does not match the hash of event #{sequence - 1} "
                "(events reordered, or one before it replaced)",
            )
        canonical = canonical_fields(
            sequence=sequence,
            occurred_at=row[1],
            actor_id=row[2],
            actor_username=row[3],
            actor_role=row[4],
            action=row[5],
            outcome=row[6],
            patient_id=row[7],
            object_type=row[8],
            object_id=row[9],
            ip_address=row[10],
            detail=row[11],
        )
        if hasher(previous_hash, canonical) != stored_hash:
            problems.add(
                ProblemKind.HASH_MISMATCH,
                sequence,
                "its stored fields do not match its hash (edited, moved, or written without "
                "the audit key)",
            )
        if sequence == head_sequence:
            hash_at_head = stored_hash
        if anchor is not None and sequence == anchor.sequence:
            hash_at_anchor = stored_hash
        # Chaining on the stored hash, not the recomputed one, confines an edit to its own
        # entry instead of flagging every entry after it.
        expected_previous = stored_hash
        expected_sequence = sequence + 1
        if report.first_sequence is None:
            report.first_sequence = sequence
        report.last_sequence = sequence
        report.last_hash = stored_hash
        report.events_checked += 1

    _check_head(head, report, hash_at_head, from_sequence, problems)
    if anchor is not None and hash_at_anchor != anchor.entry_hash:
        problems.add(
            ProblemKind.ANCHOR_MISMATCH,
            anchor.sequence,
            "the log no longer holds this event"
            if hash_at_anchor is None
            else "its hash differs from the one recorded earlier",
        )
    return report


def _check_head(
    head: tuple[int, str] | None,
    report: ChainReport,
    hash_at_head: str | None,
    from_sequence: int,
    problems: _Collector,
) -> None:
    last = report.last_sequence
    if head is None:
        if last is not None:
            problems.add(
                ProblemKind.HEAD_MISMATCH,
                last,
                "the audit head row is missing, so a cut tail cannot be ruled out",
            )
        return
    head_sequence, head_hash = head
    if head_sequence < from_sequence - 1:
        problems.add(
            ProblemKind.HEAD_MISMATCH,
            head_sequence,
            f"the head records event #{head_sequence}, before the first event checked "
            f"(#{from_sequence})",
        )
    elif last is None or last < head_sequence:
        first_missing = max(last + 1 if last is not None else 1, from_sequence)
        problems.add(
            ProblemKind.TRUNCATED_TAIL,
            first_missing,
            f"the head records event #{head_sequence} but the log ends at "
            f"#{last if last is not None else 0}: {_missing(first_missing, head_sequence)} "
            "from the end",
        )
    elif hash_at_head is not None and hash_at_head != head_hash:
        problems.add(
            ProblemKind.HEAD_MISMATCH,
            head_sequence,
            f"the head's hash does not match the hash of event #{head_sequence}",
        )
    elif last > head_sequence and _head_after_walk() < last:
        problems.add(
            ProblemKind.HEAD_MISMATCH,
            head_sequence + 1,
            f"events #{head_sequence + 1} to #{last} lie beyond the head (appended without "
            "the head, or the head was rolled back)",
        )


def _head_after_walk() -> int:
    """The head's sequence now, to tell a concurrent append from events beyond the head."""
    value = AuditHead.objects.order_by("id").values_list("last_sequence", flat=True).first()
    return value or 0
