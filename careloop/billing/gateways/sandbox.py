"""The sandbox gateway: deterministic test cards, optional latency, no network.

It is the default gateway (the demo and the tests). The browser picks one of the test cards
below instead of typing a number; each card always has the same outcome. Charges, refunds and
customers are remembered in SandboxRecord so another process can look them up, as it could
ask a real gateway.
"""

import secrets
import time
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from careloop.billing.gateways.base import (
    CardDetails,
    ChargeResult,
    ChargeStatus,
    GatewayError,
    RefundResult,
    RefundStatus,
    SetupSession,
    WebhookEvent,
    WebhookRejected,
)
from careloop.billing.models import SandboxRecord
from careloop.core import clock


@dataclass(frozen=True)
class TestCard:
    token: str
    label: str
    brand: str
    last4: str
    outcome: str
    expires_this_month: bool = False


TEST_CARDS = [
    TestCard("tok_sandbox_success", "Visa ending 4242: pays", "visa", "4242", "success"),
    TestCard(
        "tok_sandbox_insufficient_funds",
        "Visa ending 9995: declined, insufficient funds",
        "visa",
        "9995",
        "insufficient_funds",
    ),
    TestCard(
        "tok_sandbox_expired",
        "Mastercard ending 0069: declined, expired card",
        "mastercard",
        "0069",
        "expired_card",
    ),
    TestCard(
        "tok_sandbox_processing_error",
        "Visa ending 0119: processing error",
        "visa",
        "0119",
        "processing_error",
    ),
    TestCard(
        "tok_sandbox_timeout",
        "Amex ending 0005: times out, but the charge goes through",
        "amex",
        "0005",
        "timeout",
    ),
    TestCard(
        "tok_sandbox_expiring",
        "Visa ending 1881: pays, expires this month",
        "visa",
        "1881",
        "success",
        expires_this_month=True,
    ),
]
CARDS_BY_TOKEN = {card.token: card for card in TEST_CARDS}
CARDS_BY_OUTCOME = {card.outcome: card for card in TEST_CARDS if not card.expires_this_month}

DECLINES = {
    "insufficient_funds": "The card was declined: insufficient funds.",
    "expired_card": "The card was declined: it has expired.",
}


def _reference(prefix: str) -> str:
    return f"{prefix}_sandbox_{secrets.token_hex(8)}"


def _outcome_of(token: str) -> str:
    # Saved tokens read pm_sandbox_<outcome>_<random>.
    if not token.startswith("pm_sandbox_"):
        raise GatewayError("The sandbox knows no such card.")
    return token.removeprefix("pm_sandbox_").rsplit("_", 1)[0]


def _remember(**fields: object) -> SandboxRecord:
    """Record a charge, refund or customer. Billing calls a gateway outside its own
    transactions, so the row commits at once, as a real gateway's record would; inside a
    transaction (the demo's seeding, tests) it takes a savepoint, so that a key refused as
    already used leaves that transaction usable."""
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        return SandboxRecord.objects.create(created_at=clock.now(), **fields)


class SandboxGateway:
    name = "sandbox"

    def __init__(self, latency_ms: int | None = None) -> None:
        self.latency_ms = settings.SANDBOX_LATENCY_MS if latency_ms is None else latency_ms

    def _wait(self) -> None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)

    def customer_create(self, *, account_id: int, name: str, email: str) -> str:
        return _reference("cus")

    def setup_start(self, *, customer: str) -> SetupSession:
        return SetupSession(customer=customer)

    def payment_method_details(self, *, customer: str, token: str) -> CardDetails:
        card = CARDS_BY_TOKEN.get(token)
        if card is None:
            raise GatewayError("Choose one of the sandbox test cards.")
        today = clock.today()
        if card.expires_this_month:
            month, year = today.month, today.year
        else:
            month, year = 12, today.year + 3
        return CardDetails(
            token=f"pm_sandbox_{card.outcome}_{secrets.token_hex(6)}",
            brand=card.brand,
            last4=card.last4,
            exp_month=month,
            exp_year=year,
        )

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
        self._wait()
        outcome = _outcome_of(token)
        reference = _reference("ch")
        # A key used before is refused by its unique constraint, and answered as the first
        # time: one statement for a new charge, most of a billing run.
        try:
            _remember(
                kind="charge",
                reference=reference,
                idempotency_key=idempotency_key,
                customer=customer,
                token=token,
                amount=amount,
                outcome=outcome,
            )
        except IntegrityError:
            found = self.charge_lookup(customer=customer, idempotency_key=idempotency_key)
            if found is None:
                raise
            return found
        if outcome == "timeout":
            return ChargeResult(ChargeStatus.UNKNOWN, failure_code="timeout")
        return _result(reference, outcome)

    def charge_lookup(self, *, customer: str, idempotency_key: str) -> ChargeResult | None:
        record = SandboxRecord.objects.filter(
            kind="charge", idempotency_key=idempotency_key
        ).first()
        if record is None:
            return None
        return _result(record.reference, record.outcome)

    def refund(self, *, charge_reference: str, amount: int, idempotency_key: str) -> RefundResult:
        self._wait()
        earlier = SandboxRecord.objects.filter(
            kind="refund", idempotency_key=idempotency_key
        ).first()
        if earlier is not None:
            return RefundResult(RefundStatus.SUCCEEDED, reference=earlier.reference)
        charge = SandboxRecord.objects.filter(kind="charge", reference=charge_reference).first()
        if charge is None or charge.outcome not in ("success", "timeout"):
            return RefundResult(RefundStatus.FAILED, failure_message="No such succeeded charge.")
        refunded = sum(
            SandboxRecord.objects.filter(kind="refund", token=charge_reference).values_list(
                "amount", flat=True
            )
        )
        if refunded + amount > charge.amount:
            return RefundResult(
                RefundStatus.FAILED, failure_message="The refund is more than the charge."
            )
        reference = _reference("re")
        _remember(
            kind="refund",
            reference=reference,
            idempotency_key=idempotency_key,
            token=charge_reference,
            amount=amount,
            outcome="success",
        )
        return RefundResult(RefundStatus.SUCCEEDED, reference=reference)

    def webhook_parse(self, *, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        raise WebhookRejected("The sandbox gateway sends no webhooks.")


def _result(reference: str, outcome: str) -> ChargeResult:
    if outcome in ("success", "timeout"):
        return ChargeResult(ChargeStatus.SUCCEEDED, reference=reference)
    if outcome in DECLINES:
        return ChargeResult(
            ChargeStatus.DECLINED,
            reference=reference,
            failure_code=outcome,
            failure_message=DECLINES[outcome],
        )
    return ChargeResult(
        ChargeStatus.FAILED,
        reference=reference,
        failure_code="processing_error",
        failure_message="The gateway could not process the charge; nothing was taken.",
    )


def card_expires_before(exp_month: int, exp_year: int, day: date) -> bool:
    """A card is good through the last day of its expiry month."""
    return (exp_year, exp_month) < (day.year, day.month)
