"""charge_lookup settles an unknown outcome by the attempt's idempotency key, exactly."""

import pytest

from careloop.billing.gateways.base import ChargeStatus, GatewayError
from careloop.billing.gateways.stripe import gateway as stripe_gateway_module
from careloop.testing.localstripe import stripe_gateway_at
from careloop.testing.stripe_replies import closed_port_address


def _charge(gateway, payer, key):
    return gateway.charge(
        customer=payer.customer,
        token=payer.token,
        amount=5000,
        currency="usd",
        idempotency_key=key,
        description="Essentials, May 2027",
    )


def test_it_finds_a_completed_charge_by_its_key(stripe_gateway, payer_with_card):
    payer = payer_with_card()
    _charge(stripe_gateway, payer, "attempt-before")
    charged = _charge(stripe_gateway, payer, "attempt-wanted")
    _charge(stripe_gateway, payer, "attempt-after")

    found = stripe_gateway.charge_lookup(customer=payer.customer, idempotency_key="attempt-wanted")

    assert found is not None
    assert found.status == ChargeStatus.SUCCEEDED
    assert found.reference == charged.reference


def test_it_returns_none_for_a_key_never_used(stripe_gateway, payer_with_card):
    payer = payer_with_card()
    _charge(stripe_gateway, payer, "attempt-used")

    assert stripe_gateway.charge_lookup(customer=payer.customer, idempotency_key="never") is None


def test_it_finds_a_declined_charge_as_declined_with_its_code(stripe_gateway, payer_with_card):
    payer = payer_with_card(number="4000000000000341")
    _charge(stripe_gateway, payer, "attempt-declined")

    found = stripe_gateway.charge_lookup(
        customer=payer.customer, idempotency_key="attempt-declined"
    )

    assert found is not None
    assert found.status == ChargeStatus.DECLINED
    assert found.failure_code == "card_declined"
    assert found.reference.startswith("pi_")


def test_it_looks_only_at_the_customers_own_charges(stripe_gateway, payer_with_card):
    ann = payer_with_card(account_id=1)
    bob = payer_with_card(account_id=2)
    _charge(stripe_gateway, ann, "attempt-of-ann")

    assert (
        stripe_gateway.charge_lookup(customer=bob.customer, idempotency_key="attempt-of-ann")
        is None
    )


def test_it_pages_through_all_of_the_customers_charges(
    stripe_gateway, payer_with_card, monkeypatch
):
    monkeypatch.setattr(stripe_gateway_module, "LOOKUP_PAGE_SIZE", 2)
    payer = payer_with_card()
    results = [_charge(stripe_gateway, payer, f"attempt-{number}") for number in range(5)]

    found = [
        stripe_gateway.charge_lookup(customer=payer.customer, idempotency_key=f"attempt-{number}")
        for number in range(5)
    ]

    assert [item.reference for item in found if item] == [item.reference for item in results]


def test_it_raises_rather_than_answer_none_when_stripe_cannot_be_asked():
    gateway = stripe_gateway_at(closed_port_address())

    with pytest.raises(GatewayError, match="could not be asked"):
        gateway.charge_lookup(customer="cus_any", idempotency_key="attempt-1")
