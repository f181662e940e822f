"""The payment gateway interface: what billing asks of a gateway, as typed values.

Two implementations: the sandbox (careloop.billing.gateways.sandbox; the default, used by the
demo and tests) and Stripe (careloop.billing.gateways.stripe). Billing records a payment
attempt with its idempotency key before it calls `charge`; when the outcome is unknown (a
timeout, a crash) it later calls `charge_lookup` with the same key, and never charges again.
Careloop never sees a card number: a card is saved in the browser, straight to the gateway,
and Careloop keeps only the gateway's token, the brand, the last four digits and the expiry.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class ChargeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"  # the card was refused: a new card or a later retry may work
    FAILED = "failed"  # the gateway could not process it; nothing was charged
    UNKNOWN = "unknown"  # no answer (a timeout): settle with charge_lookup, never charge again


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    reference: str = ""  # the gateway's id for the charge (a PaymentIntent id on Stripe)
    failure_code: str = ""  # e.g. insufficient_funds, expired_card, processing_error, timeout
    failure_message: str = ""


class RefundStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RefundResult:
    status: RefundStatus
    reference: str = ""
    failure_message: str = ""


@dataclass(frozen=True)
class CardDetails:
    """What Careloop keeps of a saved card."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class SetupSession:
    """What the browser needs to save a card straight to the gateway.

    On Stripe, `client_secret` is a SetupIntent's and `publishable_key` the clinic's key; the
    sandbox offers its test cards instead.
    """

    customer: str
    client_secret: str = ""
    publishable_key: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    """A verified gateway event: its id (processed once), type, when the gateway created it
    (to tolerate out-of-order delivery) and the object it is about."""

    event_id: str
    type: str
    created: datetime
    object_id: str
    data: Mapping[str, Any] = field(default_factory=dict)


class GatewayError(Exception):
    """The gateway refused a request that is not a charge (e.g. an unknown token)."""


class WebhookRejected(Exception):
    """A webhook whose signature or timestamp does not verify; nothing is processed."""


class Gateway(Protocol):
    name: str

    def customer_create(self, *, account_id: int, name: str, email: str) -> str:
        """Create the payer at the gateway; returns the gateway's customer id."""
        ...

    def setup_start(self, *, customer: str) -> SetupSession:
        """Begin saving a card for `customer` in the browser."""
        ...

    def payment_method_details(self, *, customer: str, token: str) -> CardDetails:
        """Attach a card saved in the browser to `customer` and describe it; GatewayError
        when the token is unknown or belongs to another customer."""
        ...

    def charge(
        self,
        *,
        customer: str,
        token: str,
        amount: int,
        currency: str,
        idempotency_key: str,
        description: str,
    ) -> ChargeResult:
        """Charge a saved card off-session, once per idempotency key."""
        ...

    def charge_lookup(self, *, customer: str, idempotency_key: str) -> ChargeResult | None:
        """The outcome of an earlier charge with this key, without charging; None when the
        gateway never received it."""
        ...

    def refund(self, *, charge_reference: str, amount: int, idempotency_key: str) -> RefundResult:
        """Refund part or all of a succeeded charge, once per idempotency key."""
        ...

    def webhook_parse(self, *, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify a webhook's signature and age (at most 5 minutes) and parse it; raises
        WebhookRejected otherwise."""
        ...
