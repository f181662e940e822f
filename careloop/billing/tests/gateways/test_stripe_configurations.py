import stripe

from careloop.billing.gateways.base import ChargeStatus
from careloop.billing.gateways.stripe import StripeGateway
from careloop.testing.localstripe import stripe_gateway_at
from careloop.testing.stripe_replies import closed_port_address


def test_two_gateways_with_different_configurations_work_side_by_side(
    stripe_gateway, payer_with_card
):
    payer = payer_with_card()
    unreachable = stripe_gateway_at(closed_port_address())

    unanswered = unreachable.charge(
        customer=payer.customer,
        token=payer.token,
        amount=100,
        currency="usd",
        idempotency_key="attempt-unreachable",
        description="Essentials",
    )
    charged = stripe_gateway.charge(
        customer=payer.customer,
        token=payer.token,
        amount=100,
        currency="usd",
        idempotency_key="attempt-reachable",
        description="Essentials",
    )

    assert unanswered.status == ChargeStatus.UNKNOWN
    assert charged.status == ChargeStatus.SUCCEEDED
    assert stripe.api_key is None
    assert stripe.api_base == "https://api.stripe.com"


def test_the_gateway_is_configured_from_the_settings(settings, localstripe):
    settings.STRIPE_SECRET_KEY = localstripe.secret_key
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_from_settings"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_from_settings"
    settings.STRIPE_API_BASE = localstripe.api_base
    settings.STRIPE_TIMEOUT_SECONDS = 7

    gateway = StripeGateway.from_settings()

    customer = gateway.customer_create(account_id=9, name="Ann Avery", email="a@x.example")
    assert customer.startswith("cus_")
    assert gateway.setup_start(customer=customer).publishable_key == "pk_test_from_settings"
    assert gateway.webhook_secret == "whsec_from_settings"
