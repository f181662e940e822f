"""Declines come back as DECLINED with the bank's decline code, or Stripe's error code.

localstripe declines a saved card only with card_declined, so the codes banks give
(insufficient_funds, expired_card) come from Stripe's documented error bodies played by a
scripted server on 127.0.0.1, through the same SDK and HTTP path.
"""

import pytest

from careloop.billing.gateways.base import ChargeStatus
from careloop.testing.localstripe import stripe_gateway_at
from careloop.testing.stripe_replies import card_declined_reply, scripted_stripe

CHARGE_DECLINED_CARD = "4000000000000341"
AUTHENTICATION_REQUIRED_CARD = "4000002500003155"


def _charge(gateway, customer, payment_method):
    return gateway.charge(
        customer=customer,
        token=payment_method,
        amount=14900,
        currency="usd",
        idempotency_key="attempt-1",
        description="Active Care, March 2027",
    )


def test_a_saved_card_the_bank_declines_is_declined_with_card_declined(
    stripe_gateway, payer_with_card
):
    payer = payer_with_card(number=CHARGE_DECLINED_CARD)

    result = _charge(stripe_gateway, payer.customer, payer.token)

    assert result.status == ChargeStatus.DECLINED
    assert result.failure_code == "card_declined"
    assert result.failure_message == "Your card was declined."


@pytest.mark.parametrize(
    ("code", "decline_code", "message"),
    [
        ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
        ("expired_card", "expired_card", "Your card has expired."),
    ],
)
def test_a_decline_is_reported_with_the_banks_decline_code(code, decline_code, message):
    reply = card_declined_reply(
        code=code, decline_code=decline_code, message=message, payment_intent_id="pi_declined"
    )
    with scripted_stripe(reply) as stripe_api:
        result = _charge(stripe_gateway_at(stripe_api.api_base), "cus_scripted", "pm_scripted")

    assert result.status == ChargeStatus.DECLINED
    assert result.failure_code == decline_code
    assert result.failure_message == message
    assert result.reference == "pi_declined"


def test_a_card_whose_bank_asks_for_authentication_is_declined_as_authentication_required(
    stripe_gateway, payer_with_card
):
    payer = payer_with_card(number=AUTHENTICATION_REQUIRED_CARD)

    result = _charge(stripe_gateway, payer.customer, payer.token)

    assert result.status == ChargeStatus.DECLINED
    assert result.failure_code == "authentication_required"
    payment_intent = stripe_gateway.client.v1.payment_intents.retrieve(result.reference)
    assert payment_intent.status == "requires_action"
