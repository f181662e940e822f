"""The keyed hash chain behind the audit log.

An entry's hash is HMAC-SHA256, keyed by CARELOOP_AUDIT_KEY, over the previous entry's hash and
the canonical JSON of the entry's fields (keys sorted, no spaces, ASCII only). Appending and
verifying share these two functions, so they cannot disagree about the format.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from typing import Any

from django.conf import settings

GENESIS_HASH = "0" * 64

# The JSON object json.dumps(fields, sort_keys=True, separators=(",", ":")) would produce,
# written out by hand because verifying a million entries spends most of its time here and
# formatting this template is about three times faster. test_chain_format checks the two agree.
_CANONICAL = (
    '{"action":%s,"actor_id":%s,"actor_role":%s,"actor_username":%s,"detail":%s,'
    '"ip_address":%s,"object_id":%s,"object_type":%s,"occurred_at":%s,"outcome":%s,'
    '"patient_id":%s,"sequence":%d}'
)


def _json_text(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


def _json_integer(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _json_detail(detail: dict[str, Any]) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":")) if detail else "{}"


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
    return _CANONICAL % (
        encode_basestring_ascii(action),
        _json_integer(actor_id),
        encode_basestring_ascii(actor_role),
        encode_basestring_ascii(actor_username),
        _json_detail(detail),
        _json_text(ip_address),
        encode_basestring_ascii(object_id),
        encode_basestring_ascii(object_type),
        encode_basestring_ascii(occurred_at.astimezone(UTC).isoformat(timespec="microseconds")),
        encode_basestring_ascii(outcome),
        _json_integer(patient_id),
        sequence,
    )


def chain_key(key: str | None = None) -> bytes:
    return (key if key is not None else settings.AUDIT_CHAIN_KEY).encode()


def entry_hash(previous_hash: str, canonical: str, key: str | None = None) -> str:
    message = f"{previous_hash}|{canonical}".encode()
    return hmac.digest(chain_key(key), message, "sha256").hex()


class EntryHasher:
    """entry_hash with the key prepared once, for walking many entries."""

    def __init__(self, key: str | None = None) -> None:
        self._keyed = hmac.new(chain_key(key), digestmod=hashlib.sha256)

    def __call__(self, previous_hash: str, canonical: str) -> str:
        keyed = self._keyed.copy()
        keyed.update(f"{previous_hash}|{canonical}".encode())
        return keyed.hexdigest()
