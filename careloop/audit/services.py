from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
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


def audit_record(
    *,
    action: str,
    actor: User | None,
    outcome: str = Outcome.SUCCESS,
    patient_id: int | None = None,
    object_type: str = "",
    object_id: str | int = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit chain.

    Runs inside the caller's transaction when there is one, so a change and its audit row
    commit or roll back together. Detail must never hold clinical content: field names, not
    values.
    """
    entry = AuditEntry(action, actor, outcome, patient_id, object_type, object_id, detail)
    (event,) = audit_record_many([entry])
    return event


def audit_record_many(entries: Sequence[AuditEntry]) -> list[AuditEvent]:
    """Append events to the audit chain as one segment: one lock of the chain's head, one
    insert, one update of the head, for work that records many events at once (a billing
    batch). The events are chained in the order given, exactly as one `audit_record` each
    would chain them, and commit or roll back with the caller's transaction."""
    if not entries:
        return []
    now = clock.now()
    address = _stored_address(current_ip.get())
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        sequence = head.last_sequence
        previous = head.last_hash or GENESIS_HASH
        events = []
        for entry in entries:
            sequence += 1
            fields = _fields(entry, sequence=sequence, occurred_at=now, ip_address=address)
            digest = entry_hash(previous, canonical_fields(**fields))
            events.append(AuditEvent(**fields, previous_hash=previous, entry_hash=digest))
            previous = digest
        rows_insert(events)
        AuditHead.objects.filter(id=head.id).update(last_sequence=sequence, last_hash=previous)
    return events


def _fields(
    entry: AuditEntry, *, sequence: int, occurred_at: datetime, ip_address: str | None
) -> dict[str, Any]:
    actor = entry.actor
    authenticated = actor is not None and actor.is_authenticated
    return {
        "sequence": sequence,
        "occurred_at": occurred_at,
        "actor_id": actor.pk if authenticated and actor is not None else None,
        "actor_username": actor.get_username() if authenticated and actor is not None else "",
        "actor_role": actor.role if authenticated and actor is not None else "",
        "action": entry.action,
        "outcome": str(entry.outcome),
        "patient_id": entry.patient_id,
        "object_type": entry.object_type,
        "object_id": str(entry.object_id),
        "ip_address": ip_address,
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
