import pytest

from careloop.billing.gateways.base import GatewayError


def test_a_card_attached_to_another_customer_is_refused_and_stays_with_its_owner(
    stripe_gateway, payer_with_card
):
    owner = payer_with_card(account_id=1)
    other_customer = stripe_gateway.customer_create(
        account_id=2, name="Bob Baker", email="bob@example.com"
    )

    with pytest.raises(GatewayError, match="belongs to another customer"):
        stripe_gateway.payment_method_details(customer=other_customer, token=owner.token)

    card = stripe_gateway.client.v1.payment_methods.retrieve(owner.token)
    assert card.customer == owner.customer
