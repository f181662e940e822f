"""A customer is made at Stripe, a card is saved in the browser, and Careloop keeps only
its token, brand, last four digits and expiry."""

import dataclasses

import pytest

from careloop.billing.gateways.base import CardDetails, GatewayError


def test_a_customer_is_made_with_its_careloop_account_in_metadata(stripe_gateway):
    customer = stripe_gateway.customer_create(
        account_id=42, name="Ann Avery", email="ann@example.com"
    )

    at_stripe = stripe_gateway.client.v1.customers.retrieve(customer)
    assert customer.startswith("cus_")
    assert at_stripe.metadata["careloop_account"] == "42"
    assert at_stripe.email == "ann@example.com"
    assert at_stripe.name == "Ann Avery"


def test_saving_a_card_starts_an_off_session_setup_intent_for_the_customer(
    stripe_gateway, localstripe
):
    customer = stripe_gateway.customer_create(account_id=1, name="Ann Avery", email="a@x.example")

    session = stripe_gateway.setup_start(customer=customer)

    setup_intent_id = session.client_secret.split("_secret_")[0]
    setup_intent = stripe_gateway.client.v1.setup_intents.retrieve(setup_intent_id)
    assert session.customer == customer
    assert session.publishable_key == localstripe.publishable_key
    assert setup_intent.customer == customer
    assert setup_intent.usage == "off_session"


def test_a_card_saved_in_the_browser_is_attached_and_described_by_brand_last_four_and_expiry(
    stripe_gateway, localstripe
):
    from careloop.testing.localstripe import browser_save_card

    customer = stripe_gateway.customer_create(account_id=1, name="Ann Avery", email="a@x.example")
    session = stripe_gateway.setup_start(customer=customer)
    token = browser_save_card(
        localstripe,
        client_secret=session.client_secret,
        number="4242424242424242",
        exp_month=9,
        exp_year=2031,
    )

    card = stripe_gateway.payment_method_details(customer=customer, token=token)

    assert card == CardDetails(token=token, brand="visa", last4="4242", exp_month=9, exp_year=2031)
    assert [item.name for item in dataclasses.fields(card)] == [
        "token",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
    ]
    assert stripe_gateway.client.v1.payment_methods.retrieve(token).customer == customer


def test_describing_a_card_already_attached_to_the_customer_gives_the_same_details(
    stripe_gateway, payer_with_card
):
    payer = payer_with_card()

    again = stripe_gateway.payment_method_details(customer=payer.customer, token=payer.token)

    assert again.token == payer.token
    assert again.last4 == "4242"


def test_an_unknown_token_is_refused(stripe_gateway):
    customer = stripe_gateway.customer_create(account_id=1, name="Ann Avery", email="a@x.example")

    with pytest.raises(GatewayError, match="does not know the card pm_unknown"):
        stripe_gateway.payment_method_details(customer=customer, token="pm_unknown")


def test_a_card_the_bank_declines_when_it_is_attached_is_refused(stripe_gateway):
    customer = stripe_gateway.customer_create(account_id=1, name="Ann Avery", email="a@x.example")
    insufficient_funds_card = stripe_gateway.client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4000000000009995", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )

    with pytest.raises(GatewayError, match=r"declined when it was saved.*card_declined"):
        stripe_gateway.payment_method_details(customer=customer, token=insufficient_funds_card.id)

    assert (
        stripe_gateway.client.v1.payment_methods.retrieve(insufficient_funds_card.id).customer
        is None
    )
