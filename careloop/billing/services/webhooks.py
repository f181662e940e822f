"""Gateway webhooks: each event processed once, in any order, by any number of workers.

The event row (unique by gateway and event id) and its effect commit together, so a replay,
or the same event arriving on four threads at once, finds the row and does nothing.
Out-of-order delivery is tolerated because every effect is a settlement of something Careloop
recorded first: a payment attempt or refund still pending takes the gateway's word once, and
a card's details are only replaced by an event newer than the last one applied.
"""

from datetime import datetime

from django.db import IntegrityError, transaction

from careloop.billing.gateways.base import (
    ChargeResult,
    ChargeStatus,
    RefundStatus,
    WebhookEvent,
)
from careloop.billing.models import (
    AttemptStatus,
    GatewayEvent,
    PaymentAttempt,
    PaymentMethod,
    Refund,
)
from careloop.billing.models import RefundStatus as StoredRefundStatus
from careloop.billing.services.collection import attempt_record_outcome
from careloop.billing.services.refunds import refund_record_outcome
from careloop.core import clock

DUPLICATE = "duplicate"


def gateway_event_process(*, gateway: str, event: WebhookEvent) -> str:
    """Apply one verified event once; returns what it did (for the log and the tests)."""
    try:
        with transaction.atomic():
            row = GatewayEvent.objects.create(
                gateway=gateway,
                event_id=event.event_id,
                type=event.type,
                object_id=event.object_id,
                created=event.created,
                received_at=clock.now(),
            )
            outcome = _apply(event)
            row.outcome = outcome[:200]
            row.save(update_fields=["outcome"])
            return outcome
    except IntegrityError:
        if GatewayEvent.objects.filter(gateway=gateway, event_id=event.event_id).exists():
            return DUPLICATE
        raise


def _apply(event: WebhookEvent) -> str:
    if event.type in ("payment_intent.succeeded", "payment_intent.payment_failed"):
        return _payment(event)
    if event.type in ("refund.updated", "refund.failed", "charge.refund.updated"):
        return _refund(event)
    if event.type in ("payment_method.updated", "payment_method.automatically_updated"):
        return _card_updated(event)
    if event.type == "payment_method.detached":
        return _card_detached(event)
    return "ignored"


def _payment(event: WebhookEvent) -> str:
    metadata = event.data.get("metadata") or {}
    key = metadata.get("careloop_idempotency_key", "") if isinstance(metadata, dict) else ""
    attempt = (
        PaymentAttempt.objects.filter(idempotency_key=key).first()
        if key
        else PaymentAttempt.objects.filter(reference=event.object_id).first()
    )
    if attempt is None:
        return "unknown payment"
    if attempt.status != AttemptStatus.PENDING:
        return "already settled"
    if event.type == "payment_intent.succeeded":
        result = ChargeResult(ChargeStatus.SUCCEEDED, reference=event.object_id)
    else:
        error = event.data.get("last_payment_error") or {}
        code = ""
        message = "The card was declined."
        if isinstance(error, dict):
            code = str(error.get("decline_code") or error.get("code") or "")
            message = str(error.get("message") or message)
        result = ChargeResult(
            ChargeStatus.DECLINED,
            reference=event.object_id,
            failure_code=code,
            failure_message=message,
        )
    attempt_record_outcome(attempt=attempt, result=result)
    return f"payment {result.status}"


def _refund(event: WebhookEvent) -> str:
    refund = Refund.objects.filter(reference=event.object_id).first()
    if refund is None:
        metadata = event.data.get("metadata") or {}
        key = metadata.get("careloop_idempotency_key", "") if isinstance(metadata, dict) else ""
        refund = Refund.objects.filter(idempotency_key=key).first() if key else None
    if refund is None:
        return "unknown refund"
    if refund.status != StoredRefundStatus.PENDING:
        return "already settled"
    status = str(event.data.get("status", ""))
    gateway_status = {
        "succeeded": RefundStatus.SUCCEEDED,
        "failed": RefundStatus.FAILED,
        "canceled": RefundStatus.FAILED,
    }.get(status)
    if gateway_status is None:
        return "refund still pending"
    refund_record_outcome(
        refund=refund,
        status=gateway_status,
        reference=event.object_id,
        message=str(event.data.get("failure_reason", "")),
    )
    return f"refund {gateway_status}"


def _newer(method: PaymentMethod, created: datetime) -> bool:
    return method.gateway_updated_at is None or created > method.gateway_updated_at


def _card_updated(event: WebhookEvent) -> str:
    method = PaymentMethod.objects.select_for_update().filter(token=event.object_id).first()
    if method is None:
        return "unknown card"
    if not _newer(method, event.created):
        return "older than the last update"
    card = event.data.get("card") or {}
    if isinstance(card, dict):
        method.exp_month = int(card.get("exp_month") or method.exp_month)
        method.exp_year = int(card.get("exp_year") or method.exp_year)
        method.last4 = str(card.get("last4") or method.last4)[:4]
    method.gateway_updated_at = event.created
    method.save(update_fields=["exp_month", "exp_year", "last4", "gateway_updated_at"])
    return "card updated"


def _card_detached(event: WebhookEvent) -> str:
    method = PaymentMethod.objects.select_for_update().filter(token=event.object_id).first()
    if method is None:
        return "unknown card"
    if not _newer(method, event.created):
        return "older than the last update"
    method.removed_at = method.removed_at or clock.now()
    method.is_default = False
    method.gateway_updated_at = event.created
    method.save(update_fields=["removed_at", "is_default", "gateway_updated_at"])
    return "card removed"
