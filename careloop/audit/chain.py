"""The keyed hash chain behind the audit log."""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

GENESIS_HASH = "0" * 64


def canonical_fields(
    *,
    sequence: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_username: str,
    actor_role: str,
    action: str,
    outcome: str,
    patient_id: int | None,
    object_type: str,
    object_id: str,
    ip_address: str | None,
    detail: dict[str, Any],
) -> str:
    return json.dumps(
        {
            "sequence": sequence,
            "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor_username": actor_username,
            "actor_role": actor_role,
            "action": action,
            "outcome": outcome,
            "patient_id": patient_id,
            "object_type": object_type,
            "object_id": object_id,
            "ip_address": ip_address,
            "detail": detail,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def entry_hash(previous_hash: str, canonical: str, key: str | None = None) -> str:
    secret = (key if key is not None else settings.AUDIT_CHAIN_KEY).encode()
    message = f"{previous_hash}|{canonical}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
