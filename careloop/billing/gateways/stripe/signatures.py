"""Stripe's webhook signature scheme, checked against Careloop's clock.

The header reads `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`; each v1 is the HMAC-SHA256, keyed
by the endpoint's secret, of "<t>.<raw body>". Any matching v1 is accepted (Stripe signs with
the old and new secret while a secret is being rolled). The SDK's own verifier reads
time.time() and refuses only old timestamps; this one takes "now" from careloop.core.clock,
so a frozen test clock and an "as of" run agree with it, and refuses timestamps too far in
the future as well.
"""

import hashlib
import hmac
from datetime import datetime

from careloop.billing.gateways.base import WebhookRejected

TOLERANCE_SECONDS = 300


def signature_verify(
    *,
    payload: bytes,
    header: str | None,
    secret: str,
    now: datetime,
    tolerance_seconds: int = TOLERANCE_SECONDS,
) -> None:
    """Raise WebhookRejected unless `header` signs `payload` with `secret` within the
    tolerance of `now`."""
    if not secret:
        # An empty key signs as well as any other: anyone could forge events for it.
        raise WebhookRejected("No webhook secret is configured (STRIPE_WEBHOOK_SECRET).")
    if not header:
        raise WebhookRejected("The Stripe-Signature header is missing.")
    timestamp, signatures = _header_parse(header)
    expected = hmac.new(
        secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + payload, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise WebhookRejected(
            "The Stripe-Signature header does not match the body and the webhook secret."
        )
    age = now.timestamp() - timestamp
    if abs(age) > tolerance_seconds:
        raise WebhookRejected(
            f"The Stripe-Signature timestamp is {abs(age):.0f} seconds "
            f"{'old' if age > 0 else 'in the future'}; at most {tolerance_seconds} are accepted."
        )


def _header_parse(header: str) -> tuple[int, list[str]]:
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            timestamps.append(value)
        elif name == "v1" and value:
            signatures.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        raise WebhookRejected("The Stripe-Signature header has no valid timestamp (t=).")
    if not signatures:
        raise WebhookRejected("The Stripe-Signature header has no v1 signature.")
    return int(timestamps[0]), signatures
