"""The Stripe webhook endpoint: no session or token; the signature is the authentication."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema

from careloop.api.billing.common import webhooks_router
from careloop.billing.errors import WebhookNotVerified
from careloop.billing.gateways import gateway_for
from careloop.billing.gateways.base import WebhookRejected
from careloop.billing.services.webhooks import gateway_event_process

STRIPE_EVENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A Stripe event exactly as Stripe posts it (the raw bytes are signed)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class WebhookOut(Schema):
    event_id: str
    type: str
    outcome: str = Field(
        description="What Careloop did, e.g. 'payment succeeded', 'card updated', 'ignored'; "
        "'duplicate' for an event it had already processed"
    )


@webhooks_router.post(
    "/stripe",
    response=WebhookOut,
    auth=None,
    summary="Receive a Stripe event",
    description=(
        "Public: Stripe authenticates with the Stripe-Signature header, an HMAC of the body "
        "with the endpoint's secret (STRIPE_WEBHOOK_SECRET). A missing or wrong signature, or "
        "a timestamp more than 5 minutes from Careloop's clock, is a 400 problem "
        "(webhook_rejected) and nothing is done. Otherwise 200 with what was done: each event "
        "id takes effect once, so a replay answers 'duplicate'."
    ),
    openapi_extra=STRIPE_EVENT_BODY,
)
def stripe_webhook(request: HttpRequest) -> WebhookOut:
    try:
        event = gateway_for("stripe").webhook_parse(payload=request.body, headers=request.headers)
    except WebhookRejected as error:
        raise WebhookNotVerified(str(error)) from error
    outcome = gateway_event_process(gateway="stripe", event=event)
    return WebhookOut(event_id=event.event_id, type=event.type, outcome=outcome)
