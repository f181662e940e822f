"""With the Stripe gateway the chart starts a SetupIntent for the browser and saves the card
Stripe returns; Careloop never sees the number. Runs against localstripe."""

from collections.abc import Iterator

import pytest
from django.test import override_settings
from django.urls import reverse

from careloop.billing.models import BillingAccount, PaymentMethod
from careloop.testing.factories import make_patient
from careloop.testing.localstripe import LocalStripe, browser_save_card, run_localstripe
from careloop.web.staff.billing.tests.builders import client_for, page

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def localstripe() -> Iterator[LocalStripe]:
    with run_localstripe() as server:
        yield server


@pytest.fixture
def stripe_clinic(localstripe):
    with override_settings(
        PAYMENT_GATEWAY="stripe",
        STRIPE_SECRET_KEY=localstripe.secret_key,
        STRIPE_PUBLISHABLE_KEY=localstripe.publishable_key,
        STRIPE_API_BASE=localstripe.api_base,
    ):
        yield localstripe


def test_staff_start_a_setup_intent_and_save_the_card_the_browser_saved(stripe_clinic, front_desk):
    patient = make_patient(given="Sam", family="Stripe")
    chart = page(front_desk, "staff:patient_chart", patient.id)
    assert "Start saving a card" in chart
    assert "Sandbox test card" not in chart
    client = client_for(front_desk)
    form = client.post(reverse("staff:billing_card_setup", args=[patient.id])).content.decode()
    secret = form.split('data-client-secret="')[1].split('"')[0]
    assert secret.startswith("seti_")
    assert f'data-publishable-key="{stripe_clinic.publishable_key}"' in form
    assert BillingAccount.objects.get(patient=patient).gateway_customer.startswith("cus_")
    token = browser_save_card(stripe_clinic, client_secret=secret, number="4242424242424242")
    client.post(reverse("staff:billing_card_add", args=[patient.id]), {"token": token})
    card = PaymentMethod.objects.get(account__patient=patient)
    assert (card.brand, card.last4, card.token) == ("visa", "4242", token)
