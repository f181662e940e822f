from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import connection, transaction
from django.utils.ipv6 import clean_ipv6_address

from careloop.accounts.models import User
from careloop.audit.chain import GENESIS_HASH, canonical_fields, entry_hash
from careloop.audit.context import current_ip
from careloop.audit.models import AuditEvent, AuditHead, Outcome
from careloop.core import clock
from careloop.core.bulk import rows_insert


@dataclass(frozen=True)
class AuditEntry:
    """One event for `audit_record_many`: what `audit_record` takes, as a value."""

    action: str
    actor: User | None
    outcome: str = Outcome.SUCCESS
    patient_id: int | None = None
    object_type: str = ""
    object_id: str | int = ""
    detail: dict[str, Any] | None = None


class _Recorded:
    """An event recorded while `audit_held` holds the chain: when and from where, and, as its
    transaction's on-commit callback (which does nothing), the mark Django drops when a
    savepoint the event was recorded in rolls back."""

    def __init__(self, entry: AuditEntry, occurred_at: datetime, ip_address: str | None) -> None:
        self.entry = entry
        self.occurred_at = occurred_at
        self.ip_address = ip_address

    def __call__(self) -> None:
        pass


_held: ContextVar[list[_Recorded] | None] = ContextVar("audit_held", default=None)


def audit_record(
    *,
    action: str,
    actor: User | None,
    outcome: str = Outcome.SUCCESS,
    patient_id: int | None = None,
    object_type: str = "",
    object_id: str | int = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event to the audit chain (or hold it, inside `audit_held`).

    Runs inside the caller's transaction when there is one, so a change and its audit row
    commit or roll back together. Detail must never hold clinical content: field names, not
    values.
    """
    entry = AuditEntry(action, actor, outcome, patient_id, object_type, object_id, detail)
    audit_record_many([entry])


def audit_record_many(entries: Sequence[AuditEntry]) -> list[AuditEvent]:
    """Append events to the audit chain as one segment: one lock of the chain's head, one
    insert, one update of the head, for work that records many events at once (a billing
    batch). The events are chained in the order given, exactly as one `audit_record` each
    would chain them, and commit or roll back with the caller's transaction. Inside
    `audit_held` they are held for the end of its block instead, and [] is returned."""
    if not entries:
        return []
    now = clock.now()
    address = _stored_address(current_ip.get())
    held = _held.get()
    if held is None:
        return _append([_Recorded(entry, now, address) for entry in entries])
    for entry in entries:
        recorded = _Recorded(entry, now, address)
        transaction.on_commit(recorded)
        held.append(recorded)
    return []


@contextmanager
def audit_held() -> Iterator[None]:
    """Hold the audit events recorded inside the block, and append them to the chain when it
    ends, still inside the caller's transaction, as one segment in the order recorded.

    Appending locks the chain's head until the transaction commits, so every other writer
    of audit events waits meanwhile. Work that holds a transaction open for long (a billing
    batch) appends at its end instead of at its first event, and two workers no longer take
    turns for their whole batches. Events recorded in a savepoint that rolled back are
    dropped, as their changes were; an error leaving the block drops them all, with the
    transaction. Each keeps the time it was recorded at. Must run inside a transaction; a
    block inside another leaves its events to the outer one.
    """
    if _held.get() is not None:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("audit_held must run inside a transaction")
    held: list[_Recorded] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    # Django drops the on-commit callbacks of a savepoint that rolls back: what is left
    # was recorded by work that stands.
    standing = {id(waiting[1]) for waiting in connection.run_on_commit}
    _append([recorded for recorded in held if id(recorded) in standing])


def _append(recorded: list[_Recorded]) -> list[AuditEvent]:
    if not recorded:
        return []
    # No savepoint of its own: inside the caller's transaction the events are part of its
    # change, and an error here leaves that transaction unable to commit, so a change never
    # commits without its audit rows. Outside one, this is the transaction.
    with transaction.atomic(savepoint=False):
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        sequence = head.last_sequence
        previous = head.last_hash or GENESIS_HASH
        events = []
        for item in recorded:
            sequence += 1
            fields = _fields(item, sequence=sequence)
            digest = entry_hash(previous, canonical_fields(**fields))
            events.append(AuditEvent(**fields, previous_hash=previous, entry_hash=digest))
            previous = digest
        rows_insert(events)
        AuditHead.objects.filter(id=head.id).update(last_sequence=sequence, last_hash=previous)
    return events


def _fields(recorded: _Recorded, *, sequence: int) -> dict[str, Any]:
    entry = recorded.entry
    actor = entry.actor
    authenticated = actor is not None and actor.is_authenticated
    return {
        "sequence": sequence,
        "occurred_at": recorded.occurred_at,
        "actor_id": actor.pk if authenticated and actor is not None else None,
        "actor_username": actor.get_username() if authenticated and actor is not None else "",
        "actor_role": actor.role if authenticated and actor is not None else "",
        "action": entry.action,
        "outcome": str(entry.outcome),
        "patient_id": entry.patient_id,
        "object_type": entry.object_type,
        "object_id": str(entry.object_id),
        "ip_address": recorded.ip_address,
        "detail": entry.detail or {},
    }


def _stored_address(address: str | None) -> str | None:
    """The address as the database will return it, so the hash covers what is stored.

    GenericIPAddressField rewrites IPv6 addresses to their compressed form on save; hashing the
    raw form would make an honest entry fail verification. Anything that is not an address is
    dropped rather than stored.
    """
    if not address:
        return None
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return clean_ipv6_address(address) if ":" in address else address
