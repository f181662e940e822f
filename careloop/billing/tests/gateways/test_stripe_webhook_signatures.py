"""Webhooks are accepted only when signed with the endpoint's secret within 5 minutes of
Careloop's clock."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from careloop.billing.gateways.base import WebhookEvent, WebhookRejected
from careloop.core import clock
from careloop.testing.localstripe import stripe_gateway_at
from careloop.testing.stripe_webhooks import TEST_WEBHOOK_SECRET, signed_webhook, stripe_event

NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
CREATED = datetime(2027, 3, 1, 9, 29, 58, tzinfo=UTC)
PAYMENT_INTENT = {
    "id": "pi_webhook",
    "object": "payment_intent",
    "amount": 14900,
    "currency": "usd",
    "status": "succeeded",
    "metadata": {"careloop_idempotency_key": "attempt-1"},
}


@pytest.fixture
def gateway():
    clock.freeze(NOW)
    # Verifying and parsing make no request; the address is never used.
    return stripe_gateway_at("http://127.0.0.1:9")


def _event():
    return stripe_event(
        event_id="evt_1",
        event_type="payment_intent.succeeded",
        created=CREATED,
        data_object=PAYMENT_INTENT,
    )


def test_a_webhook_signed_with_the_secret_is_accepted_and_parsed(gateway):
    payload, headers = signed_webhook(_event(), TEST_WEBHOOK_SECRET, at=NOW)

    event = gateway.webhook_parse(payload=payload, headers=headers)

    assert event == WebhookEvent(
        event_id="evt_1",
        type="payment_intent.succeeded",
        created=CREATED,
        object_id="pi_webhook",
        data=PAYMENT_INTENT,
    )
    assert type(event.data) is dict
    assert type(event.data["metadata"]) is dict
    assert event.created.tzinfo is not None


def test_a_webhook_signed_with_another_secret_is_rejected(gateway):
    payload, headers = signed_webhook(_event(), "whsec_someone_else", at=NOW)

    with pytest.raises(WebhookRejected, match="does not match"):
        gateway.webhook_parse(payload=payload, headers=headers)


def test_a_webhook_whose_body_was_changed_after_signing_is_rejected(gateway):
    payload, headers = signed_webhook(_event(), TEST_WEBHOOK_SECRET, at=NOW)
    tampered = payload.replace(b"14900", b"99900")

    with pytest.raises(WebhookRejected, match="does not match"):
        gateway.webhook_parse(payload=tampered, headers=headers)


def test_a_webhook_signed_301_seconds_ago_is_rejected(gateway):
    payload, headers = signed_webhook(
        _event(), TEST_WEBHOOK_SECRET, at=NOW - timedelta(seconds=301)
    )

    with pytest.raises(WebhookRejected, match="301 seconds old; at most 300"):
        gateway.webhook_parse(payload=payload, headers=headers)


def test_a_webhook_signed_299_seconds_ago_is_accepted(gateway):
    payload, headers = signed_webhook(
        _event(), TEST_WEBHOOK_SECRET, at=NOW - timedelta(seconds=299)
    )

    assert gateway.webhook_parse(payload=payload, headers=headers).event_id == "evt_1"


def test_a_webhook_signed_301_seconds_in_the_future_is_rejected(gateway):
    payload, headers = signed_webhook(
        _event(), TEST_WEBHOOK_SECRET, at=NOW + timedelta(seconds=301)
    )

    with pytest.raises(WebhookRejected, match="in the future"):
        gateway.webhook_parse(payload=payload, headers=headers)


def test_the_age_is_measured_on_careloops_clock(gateway):
    signed_at = NOW + timedelta(days=30)
    payload, headers = signed_webhook(_event(), TEST_WEBHOOK_SECRET, at=signed_at)
    clock.freeze(signed_at + timedelta(seconds=10))

    assert gateway.webhook_parse(payload=payload, headers=headers).event_id == "evt_1"


def test_a_webhook_without_the_signature_header_is_rejected(gateway):
    payload, headers = signed_webhook(_event(), TEST_WEBHOOK_SECRET, at=NOW)
    del headers["Stripe-Signature"]

    with pytest.raises(WebhookRejected, match="header is missing"):
        gateway.webhook_parse(payload=payload, headers=headers)


@pytest.mark.parametrize(
    "header",
    ["", "v1=abc", "t=soon,v1=abc", "t=1803893400"],
)
def test_a_malformed_signature_header_is_rejected(gateway, header):
    payload, _ = signed_webhook(_event(), TEST_WEBHOOK_SECRET, at=NOW)

    with pytest.raises(WebhookRejected):
        gateway.webhook_parse(payload=payload, headers={"Stripe-Signature": header})


def test_the_header_is_found_whatever_its_case(gateway):
    payload, headers = signed_webhook(_event(), TEST_WEBHOOK_SECRET, at=NOW)

    event = gateway.webhook_parse(
        payload=payload, headers={"stripe-signature": headers["Stripe-Signature"]}
    )

    assert event.event_id == "evt_1"


def test_any_matching_v1_signature_is_accepted_while_a_secret_is_rolled(gateway):
    payload, headers = signed_webhook(_event(), TEST_WEBHOOK_SECRET, at=NOW)
    _, old_secret_headers = signed_webhook(_event(), "whsec_old", at=NOW)
    old_signature = old_secret_headers["Stripe-Signature"].split(",")[1]

    both = f"{headers['Stripe-Signature']},{old_signature}"
    event = gateway.webhook_parse(payload=payload, headers={"Stripe-Signature": both})

    assert event.event_id == "evt_1"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe not utf-8",
        json.dumps({"id": "evt_1", "object": "event"}).encode(),
        json.dumps({"object": "list", "data": []}).encode(),
    ],
)
def test_a_signed_body_that_is_not_a_stripe_event_is_rejected(gateway, body):
    timestamp = int(NOW.timestamp())
    signature = hmac.new(
        TEST_WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()

    with pytest.raises(WebhookRejected, match="not a Stripe event"):
        gateway.webhook_parse(
            payload=body, headers={"Stripe-Signature": f"t={timestamp},v1={signature}"}
        )


def test_without_a_webhook_secret_even_a_webhook_signed_with_an_empty_key_is_rejected():
    # With STRIPE_WEBHOOK_SECRET unset, a signature made with the empty key would match.
    clock.freeze(NOW)
    gateway = stripe_gateway_at("http://127.0.0.1:9")
    gateway.webhook_secret = ""
    payload, headers = signed_webhook(_event(), "", at=NOW)

    with pytest.raises(WebhookRejected, match="No webhook secret is configured"):
        gateway.webhook_parse(payload=payload, headers=headers)
