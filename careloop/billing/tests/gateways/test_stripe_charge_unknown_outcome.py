"""A charge whose outcome Stripe did not give is UNKNOWN, never FAILED: it may have happened."""

import pytest

from careloop.billing.gateways.base import ChargeStatus
from careloop.testing.localstripe import stripe_gateway_at
from careloop.testing.stripe_replies import (
    api_error_reply,
    closed_port_address,
    invalid_request_reply,
    scripted_stripe,
)


def _charge(gateway):
    return gateway.charge(
        customer="cus_any",
        token="pm_any",
        amount=14900,
        currency="usd",
        idempotency_key="attempt-1",
        description="Active Care, March 2027",
    )


def test_a_charge_that_cannot_reach_stripe_is_unknown_not_failed():
    result = _charge(stripe_gateway_at(closed_port_address()))

    assert result.status == ChargeStatus.UNKNOWN
    assert result.failure_code == "connection_error"


def test_a_charge_that_gets_no_answer_within_the_timeout_is_unknown():
    with scripted_stripe(None) as stripe_api:
        result = _charge(stripe_gateway_at(stripe_api.api_base, timeout_seconds=0.5))

    assert result.status == ChargeStatus.UNKNOWN
    assert result.failure_code == "timeout"
    assert len(stripe_api.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_charge_answered_with_a_server_error_is_unknown(status):
    with scripted_stripe(api_error_reply(status)) as stripe_api:
        result = _charge(stripe_gateway_at(stripe_api.api_base))

    assert result.status == ChargeStatus.UNKNOWN
    assert len(stripe_api.requests) == 1


def test_a_charge_stripe_refuses_as_invalid_has_failed():
    reply = invalid_request_reply(
        code="resource_missing", message="No such PaymentMethod: 'pm_any'", param="payment_method"
    )
    with scripted_stripe(reply) as stripe_api:
        result = _charge(stripe_gateway_at(stripe_api.api_base))

    assert result.status == ChargeStatus.FAILED
    assert result.failure_code == "resource_missing"
    assert "No such PaymentMethod" in result.failure_message
