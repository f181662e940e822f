"""Stripe webhooks signed as Stripe signs them, for tests of receiving and processing them.

The signature comes from the SDK's own signer (`WebhookSignature.generate_signature_header`),
not from Careloop's verifier, so a test checks one implementation against the other.
"""

import json
from datetime import datetime
from typing import Any

from stripe import WebhookSignature

# The webhook secret of the gateways the tests build (careloop.testing.localstripe).
TEST_WEBHOOK_SECRET = "whsec_careloop_test"  # noqa: S105 (a test value)


def stripe_event(
    *,
    event_id: str,
    event_type: str,
    created: datetime,
    data_object: dict[str, Any],
) -> dict[str, Any]:
    """An event as Stripe delivers it to a webhook endpoint."""
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(created.timestamp()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": data_object},
    }


def signed_webhook(
    event: dict[str, Any], secret: str, at: datetime
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of `event` as Stripe would post it at `at`, signed with `secret`."""
    payload = json.dumps(event, indent=2)
    header = WebhookSignature.generate_signature_header(
        payload, secret, timestamp=int(at.timestamp())
    )
    return payload.encode("utf-8"), {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": header,
    }
