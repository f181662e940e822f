"""The Stripe gateway pointed at localstripe, and customers with a saved card."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from careloop.billing.gateways.stripe import StripeGateway
from careloop.testing.localstripe import LocalStripe, browser_save_card, stripe_gateway_at

VISA = "4242424242424242"


@pytest.fixture
def stripe_gateway(localstripe: LocalStripe) -> StripeGateway:
    return stripe_gateway_at(localstripe.api_base)


@dataclass(frozen=True)
class Payer:
    customer: str
    token: str


@pytest.fixture
def payer_with_card(
    stripe_gateway: StripeGateway, localstripe: LocalStripe
) -> Callable[..., Payer]:
    """Make a Stripe customer and save a card for it as the browser would."""

    def make(number: str = VISA, account_id: int = 1) -> Payer:
        customer = stripe_gateway.customer_create(
            account_id=account_id, name="Ann Avery", email="ann@example.com"
        )
        session = stripe_gateway.setup_start(customer=customer)
        token = browser_save_card(localstripe, client_secret=session.client_secret, number=number)
        card = stripe_gateway.payment_method_details(customer=customer, token=token)
        return Payer(customer=customer, token=card.token)

    return make
