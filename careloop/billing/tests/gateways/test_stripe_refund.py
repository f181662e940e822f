from careloop.billing.gateways.base import RefundStatus
from careloop.testing.localstripe import stripe_gateway_at
from careloop.testing.stripe_replies import closed_port_address


def test_a_charge_is_refunded_in_part_then_in_full(stripe_gateway, payer_with_card):
    payer = payer_with_card()
    charged = stripe_gateway.charge(
        customer=payer.customer,
        token=payer.token,
        amount=10000,
        currency="usd",
        idempotency_key="attempt-1",
        description="Concierge, June 2027",
    )

    partial = stripe_gateway.refund(
        charge_reference=charged.reference, amount=2500, idempotency_key="refund-1"
    )
    charge_after_partial = _latest_charge(stripe_gateway, charged.reference)
    rest = stripe_gateway.refund(
        charge_reference=charged.reference, amount=7500, idempotency_key="refund-2"
    )
    charge_after_rest = _latest_charge(stripe_gateway, charged.reference)

    assert partial.status == RefundStatus.SUCCEEDED
    assert rest.status == RefundStatus.SUCCEEDED
    assert partial.reference.startswith("re_")
    assert rest.reference not in ("", partial.reference)
    assert (charge_after_partial.amount_refunded, charge_after_partial.refunded) == (2500, False)
    assert (charge_after_rest.amount_refunded, charge_after_rest.refunded) == (10000, True)
    refund = stripe_gateway.client.v1.refunds.retrieve(partial.reference)
    assert refund.metadata["careloop_idempotency_key"] == "refund-1"
    assert refund.payment_intent == charged.reference


def test_refunding_a_charge_stripe_does_not_know_fails_with_stripes_reason(stripe_gateway):
    result = stripe_gateway.refund(
        charge_reference="pi_unknown", amount=100, idempotency_key="refund-1"
    )

    assert result.status == RefundStatus.FAILED
    assert result.failure_message


def test_a_refund_without_an_answer_is_unknown():
    gateway = stripe_gateway_at(closed_port_address())

    result = gateway.refund(charge_reference="pi_any", amount=100, idempotency_key="refund-1")

    assert result.status == RefundStatus.UNKNOWN


def _latest_charge(gateway, payment_intent_id):
    payment_intent = gateway.client.v1.payment_intents.retrieve(payment_intent_id)
    latest = payment_intent.latest_charge
    charge_id = latest if isinstance(latest, str) else latest.id
    return gateway.client.v1.charges.retrieve(charge_id)
