from careloop.billing.gateways.base import ChargeStatus
from careloop.testing.localstripe import stripe_gateway_at
from careloop.testing.stripe_replies import payment_intent_reply, scripted_stripe


def test_a_charge_is_one_confirmed_off_session_payment_intent_sent_with_its_idempotency_key():
    reply = payment_intent_reply(payment_intent_id="pi_scripted", status="succeeded")
    with scripted_stripe(reply) as stripe_api:
        result = stripe_gateway_at(stripe_api.api_base).charge(
            customer="cus_scripted",
            token="pm_scripted",
            amount=14900,
            currency="EUR",
            idempotency_key="attempt-7",
            description="Concierge, April 2027",
        )

    assert result.status == ChargeStatus.SUCCEEDED
    assert result.reference == "pi_scripted"
    [request] = stripe_api.requests
    assert (request.method, request.path) == ("POST", "/v1/payment_intents")
    assert request.headers["Idempotency-Key"] == "attempt-7"
    assert request.form == {
        "amount": ["14900"],
        "currency": ["eur"],
        "customer": ["cus_scripted"],
        "payment_method": ["pm_scripted"],
        "confirm": ["true"],
        "off_session": ["true"],
        "description": ["Concierge, April 2027"],
        "metadata[careloop_idempotency_key]": ["attempt-7"],
    }


def test_a_payment_intent_still_processing_is_unknown_with_its_reference():
    reply = payment_intent_reply(payment_intent_id="pi_processing", status="processing")
    with scripted_stripe(reply) as stripe_api:
        result = stripe_gateway_at(stripe_api.api_base).charge(
            customer="cus_scripted",
            token="pm_scripted",
            amount=14900,
            currency="usd",
            idempotency_key="attempt-8",
            description="Concierge, April 2027",
        )

    assert result.status == ChargeStatus.UNKNOWN
    assert result.reference == "pi_processing"
    assert result.failure_code == "processing"
