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
    authenticated = actor is not None and actor.is_authenticated
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        sequence = head.last_sequence + 1
        previous = head.last_hash or GENESIS_HASH
        fields: dict[str, Any] = {
            "sequence": sequence,
            "occurred_at": clock.now(),
            "actor_id": actor.pk if authenticated and actor is not None else None,
            "actor_username": actor.get_username() if authenticated and actor is not None else "",
            "actor_role": actor.role if authenticated and actor is not None else "",
            "action": action,
            "outcome": str(outcome),
            "patient_id": patient_id,
            "object_type": object_type,
            "object_id": str(object_id),
            "ip_address": _stored_address(current_ip.get()),
            "detail": detail or {},
        }
        digest = entry_hash(previous, canonical_fields(**fields))
        event = AuditEvent.objects.create(**fields, previous_hash=previous, entry_hash=digest)
        AuditHead.objects.filter(id=head.id).update(last_sequence=sequence, last_hash=digest)
    return event


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
