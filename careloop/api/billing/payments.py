"""Payments (each charge attempted on a payer's card, whatever its outcome) and refunds."""

from django.http import HttpRequest
from ninja import Field, Schema, Status

from careloop.accounts.policy import Capability
from careloop.api.billing.common import (
    Limit,
    Offset,
    body_field_names,
    payments_router,
    refunds_router,
    unknown,
)
from careloop.api.billing.output import (
    PaymentOut,
    PaymentPage,
    RefundOut,
    RefundPage,
    payment_out,
    refund_out,
)
from careloop.api.memberships.common import request_user, staff_user
from careloop.api.patients import needs
from careloop.audit.services import audit_record
from careloop.billing.access import access_payment
from careloop.billing.models import AttemptStatus, PaymentAttempt, Refund
from careloop.billing.services.refunds import refund_create
from careloop.core.errors import NotFound


@payments_router.get(
    "",
    response=PaymentPage,
    summary="List payments",
    description="Newest first; filter by outcome, payer (billing account) or invoice.",
    openapi_extra=needs(Capability.BILLING_VIEW),
)
def payment_list(
    request: HttpRequest,
    status: AttemptStatus | None = None,
    account_id: int | None = None,
    invoice_id: int | None = None,
    limit: Limit = 25,
    offset: Offset = 0,
) -> PaymentPage:
    user = staff_user(request, Capability.BILLING_VIEW)
    matches = PaymentAttempt.objects.order_by("-created_at", "-id")
    if status is not None:
        matches = matches.filter(status=status)
    if account_id is not None:
        matches = matches.filter(account_id=account_id)
    if invoice_id is not None:
        matches = matches.filter(invoice_id=invoice_id)
    page = list(
        matches.select_related("account", "invoice", "payment_method")[offset : offset + limit]
    )
    audit_record(
        action="payment.list",
        actor=user,
        object_type="payment",
        detail={
            "patient_ids": sorted(
                {a.account.patient_id for a in page if a.account.patient_id is not None}
            )
        },
    )
    return PaymentPage(
        items=[payment_out(attempt) for attempt in page],
        total=matches.count(),
        limit=limit,
        offset=offset,
    )


@payments_router.get(
    "/{payment_id}",
    response=PaymentOut,
    summary="One payment",
    openapi_extra=needs(Capability.BILLING_VIEW),
)
def payment_get(request: HttpRequest, payment_id: int) -> PaymentOut:
    return payment_out(access_payment(request_user(request), payment_id))


class RefundIn(Schema):
    payment_id: int = Field(description="A payment that succeeded")
    amount: int = Field(
        description="Minor units (cents), above zero and at most what the payment can still "
        "refund (its `refundable`)"
    )
    reason: str = Field(description="Why, for the record (required)")


@refunds_router.post(
    "",
    response={201: RefundOut},
    summary="Refund part or all of a payment to the card it came from",
    description=(
        "422 names the field: `amount` above "
        "zero and at most what the payment can still refund (more_than_paid), `payment_id` a "
        "payment that went through, `reason` required. A refund the gateway refuses is "
        "recorded with status `failed`."
    ),
    openapi_extra=needs(Capability.BILLING_REFUND),
)
def refund_create_one(request: HttpRequest, payload: RefundIn) -> Status[RefundOut]:
    user = request_user(request)
    try:
        attempt = access_payment(
            user, payload.payment_id, Capability.BILLING_REFUND, action="payment.refund_request"
        )
    except NotFound:
        if user.is_patient:
            raise
        raise unknown("payment_id", "payment", payload.payment_id) from None
    with body_field_names({"payment": "payment_id"}):
        refund = refund_create(
            actor=user, attempt=attempt, amount=payload.amount, reason=payload.reason
        )
    return Status(201, refund_out(refund))


@refunds_router.get(
    "",
    response=RefundPage,
    summary="List refunds",
    description="Newest first; filter by payment or payer (billing account).",
    openapi_extra=needs(Capability.BILLING_VIEW),
)
def refund_list(
    request: HttpRequest,
    payment_id: int | None = None,
    account_id: int | None = None,
    limit: Limit = 25,
    offset: Offset = 0,
) -> RefundPage:
    user = staff_user(request, Capability.BILLING_VIEW)
    matches = Refund.objects.order_by("-created_at", "-id")
    if payment_id is not None:
        matches = matches.filter(attempt_id=payment_id)
    if account_id is not None:
        matches = matches.filter(attempt__account_id=account_id)
    page = list(matches.select_related("attempt", "attempt__account")[offset : offset + limit])
    audit_record(
        action="refund.list",
        actor=user,
        object_type="refund",
        detail={
            "patient_ids": sorted(
                {
                    refund.attempt.account.patient_id
                    for refund in page
                    if refund.attempt.account.patient_id is not None
                }
            )
        },
    )
    return RefundPage(
        items=[refund_out(refund) for refund in page],
        total=matches.count(),
        limit=limit,
        offset=offset,
    )
