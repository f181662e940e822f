"""The sandbox gateway answers a charge made again with the same key as the first time.

A new charge is one insert; a key used before is refused by the record's unique key and
answered from the first record, inside a caller's transaction too (a savepoint keeps that
transaction usable).
"""

import pytest
from django.db import transaction

from careloop.billing.gateways.base import ChargeResult, ChargeStatus
from careloop.billing.gateways.sandbox import SandboxGateway
from careloop.billing.models import SandboxRecord

pytestmark = pytest.mark.django_db

PAYS = "pm_sandbox_success_a1b2c3"
DECLINES = "pm_sandbox_insufficient_funds_d4e5f6"


def _charge(token: str, key: str, amount: int = 12_000) -> ChargeResult:
    return SandboxGateway(latency_ms=0).charge(
        customer="cus_sandbox_1",
        token=token,
        amount=amount,
        currency="USD",
        idempotency_key=key,
        description="INV-1",
    )


def test_a_charge_made_again_with_its_key_gets_the_first_answer_and_takes_nothing_more() -> None:
    first = _charge(PAYS, "careloop-key-1")
    again = _charge(PAYS, "careloop-key-1", amount=99_999)

    assert first == again
    assert first.status == ChargeStatus.SUCCEEDED
    assert SandboxRecord.objects.filter(kind="charge").count() == 1
    assert SandboxRecord.objects.get(kind="charge").amount == 12_000


def test_a_declined_charge_made_again_is_declined_again_with_the_same_reference() -> None:
    first = _charge(DECLINES, "careloop-key-2")
    again = _charge(DECLINES, "careloop-key-2")

    assert first.status == ChargeStatus.DECLINED
    assert first.failure_code == "insufficient_funds"
    assert again == first


def test_a_key_used_before_inside_a_transaction_leaves_the_transaction_usable() -> None:
    with transaction.atomic():
        first = _charge(PAYS, "careloop-key-3")
        again = _charge(PAYS, "careloop-key-3")
        other = _charge(PAYS, "careloop-key-4")

    assert again == first
    assert other.reference != first.reference
    assert SandboxRecord.objects.filter(kind="charge").count() == 2


def test_a_timed_out_charge_went_through_and_its_key_finds_it() -> None:
    gateway = SandboxGateway(latency_ms=0)
    answer = gateway.charge(
        customer="cus_sandbox_1",
        token="pm_sandbox_timeout_0a0b0c",
        amount=5_000,
        currency="USD",
        idempotency_key="careloop-key-5",
        description="INV-2",
    )

    found = gateway.charge_lookup(customer="cus_sandbox_1", idempotency_key="careloop-key-5")

    assert answer.status == ChargeStatus.UNKNOWN
    assert found is not None
    assert found.status == ChargeStatus.SUCCEEDED
    assert gateway.charge_lookup(customer="cus_sandbox_1", idempotency_key="never") is None
