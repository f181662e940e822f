"""The Stripe webhook endpoint: public, authenticated by its signature, each event once."""

from datetime import date, timedelta

import pytest
from django.test import Client

from careloop.api.tests.billing_builders import billed_membership, billing_state, problem
from careloop.billing.models import EntryKind, GatewayEvent, JournalEntry, PaymentAttempt
from careloop.core import clock
from careloop.memberships.tests.lifecycle_builders import freeze_on, make_plan
from careloop.testing.localstripe import SECRET_KEY
from careloop.testing.stripe_webhooks import TEST_WEBHOOK_SECRET, signed_webhook, stripe_event

pytestmark = pytest.mark.django_db

URL = "/api/v1/billing/webhooks/stripe"


@pytest.fixture
def stripe_settings(settings):
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET
    return settings


@pytest.fixture
def pending(admin, stripe_settings):
    """A first charge the gateway never answered: its attempt waits, pending."""
    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="essentials", rank=1, monthly=10_000)
    billed = billed_membership(admin, plan, card="tok_sandbox_timeout")
    attempt = PaymentAttempt.objects.get(invoice=billed.invoice)
    assert attempt.status == "pending"
    return billed, attempt


def _succeeded(attempt, event_id="evt_paid"):
    return stripe_event(
        event_id=event_id,
        event_type="payment_intent.succeeded",
        created=clock.now() - timedelta(seconds=2),
        data_object={
            "id": "pi_api_webhook",
            "object": "payment_intent",
            "amount": attempt.amount,
            "currency": "usd",
            "status": "succeeded",
            "metadata": {"careloop_idempotency_key": attempt.idempotency_key},
        },
    )


def _post(payload, headers, client=None):
    return (client or Client()).post(
        URL, data=payload, content_type="application/json", headers=headers
    )


def _payments():
    return JournalEntry.objects.filter(kind=EntryKind.PAYMENT).count()


def test_a_signed_event_is_processed_without_a_session_or_a_token(pending):
    billed, attempt = pending
    payload, headers = signed_webhook(_succeeded(attempt), TEST_WEBHOOK_SECRET, at=clock.now())

    response = _post(payload, headers, Client(enforce_csrf_checks=True))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "event_id": "evt_paid",
        "type": "payment_intent.succeeded",
        "outcome": "payment succeeded",
    }
    attempt.refresh_from_db()
    billed.invoice.refresh_from_db()
    assert (attempt.status, billed.invoice.status, billed.invoice.amount_paid) == (
        "succeeded",
        "paid",
        10_000,
    )


def test_a_replayed_event_answers_duplicate_and_takes_effect_once(pending):
    attempt = pending[1]
    payload, headers = signed_webhook(_succeeded(attempt), TEST_WEBHOOK_SECRET, at=clock.now())
    assert _post(payload, headers).json()["outcome"] == "payment succeeded"

    replays = [_post(payload, headers) for _ in range(3)]

    assert [(r.status_code, r.json()["outcome"]) for r in replays] == [(200, "duplicate")] * 3
    assert _payments() == 1
    assert GatewayEvent.objects.count() == 1


def test_an_event_signed_more_than_five_minutes_ago_is_a_400_and_does_nothing(pending):
    attempt = pending[1]
    payload, headers = signed_webhook(
        _succeeded(attempt), TEST_WEBHOOK_SECRET, at=clock.now() - timedelta(seconds=301)
    )
    before = billing_state()

    body = problem(_post(payload, headers), 400, code="webhook_rejected")

    assert "301 seconds old" in body["detail"]
    assert billing_state() == before


@pytest.mark.parametrize("secret", ["whsec_someone_else", ""])
def test_an_event_signed_with_another_secret_is_a_400_and_does_nothing(pending, secret):
    attempt = pending[1]
    payload, headers = signed_webhook(_succeeded(attempt), secret, at=clock.now())
    before = billing_state()

    body = problem(_post(payload, headers), 400, code="webhook_rejected")

    assert "does not match" in body["detail"]
    assert billing_state() == before


def test_an_unsigned_event_is_a_400(pending):
    payload, _ = signed_webhook(_succeeded(pending[1]), TEST_WEBHOOK_SECRET, at=clock.now())
    before = billing_state()

    problem(_post(payload, {}), 400, code="webhook_rejected")

    assert billing_state() == before


def test_without_a_configured_secret_every_event_is_refused(pending, stripe_settings):
    stripe_settings.STRIPE_WEBHOOK_SECRET = ""
    payload, headers = signed_webhook(_succeeded(pending[1]), "", at=clock.now())
    before = billing_state()

    body = problem(_post(payload, headers), 400, code="webhook_rejected")

    assert "No webhook secret is configured" in body["detail"]
    assert billing_state() == before
