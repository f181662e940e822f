from careloop.billing.gateways.base import ChargeResult, ChargeStatus


def test_an_off_session_charge_of_a_saved_card_succeeds_and_carries_its_key(
    stripe_gateway, payer_with_card
):
    payer = payer_with_card()

    result = stripe_gateway.charge(
        customer=payer.customer,
        token=payer.token,
        amount=14900,
        currency="USD",
        idempotency_key="attempt-1",
        description="Active Care, March 2027",
    )

    assert result.status == ChargeStatus.SUCCEEDED
    assert result == ChargeResult(status=ChargeStatus.SUCCEEDED, reference=result.reference)
    payment_intent = stripe_gateway.client.v1.payment_intents.retrieve(result.reference)
    assert payment_intent.amount == 14900
    assert payment_intent.currency == "usd"
    assert payment_intent.customer == payer.customer
    assert payment_intent.payment_method == payer.token
    assert payment_intent.description == "Active Care, March 2027"
    assert payment_intent.metadata["careloop_idempotency_key"] == "attempt-1"
    assert payment_intent.status == "succeeded"
