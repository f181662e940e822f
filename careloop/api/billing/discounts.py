"""Discount codes: list, create, deactivate, and redeem one on a membership."""

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Schema, Status

from careloop.accounts.policy import Capability
from careloop.api.billing.common import (
    MINOR_UNITS,
    Limit,
    Offset,
    billing_memberships_router,
    body_field_names,
    discounts_router,
)
from careloop.api.billing.output import DiscountOut, DiscountPage, discount_out
from careloop.api.memberships.common import membership_for_staff, staff_user
from careloop.api.patients import needs
from careloop.billing.models import Discount, DiscountDuration, DiscountKind
from careloop.billing.services.discounts import (
    discount_create,
    discount_deactivate,
    discount_redeem,
    normalize_code,
)
from careloop.core.errors import FieldError, NotFound, ValidationFailed
from careloop.memberships.models import Plan


@discounts_router.get(
    "",
    response=DiscountPage,
    summary="List discount codes and introductory prices",
    description="By name; `active` filters codes still offered, `code` finds one code.",
    openapi_extra=needs(Capability.BILLING_VIEW),
)
def discount_list(
    request: HttpRequest,
    active: bool | None = None,
    code: str | None = None,
    limit: Limit = 25,
    offset: Offset = 0,
) -> DiscountPage:
    staff_user(request, Capability.BILLING_VIEW)
    matches = Discount.objects.order_by("name", "id")
    if active is not None:
        matches = matches.filter(active=active)
    if code is not None:
        matches = matches.filter(code=normalize_code(code))
    return DiscountPage(
        items=[discount_out(discount) for discount in matches[offset : offset + limit]],
        total=matches.count(),
        limit=limit,
        offset=offset,
    )


class DiscountIn(Schema):
    code: str | None = Field(
        None,
        description="Letters, digits, dashes and underscores; stored in capitals; unique. "
        "Empty only for a plan's introductory price.",
    )
    name: str = Field(description="What staff and the invoice line call it")
    kind: DiscountKind = Field(description="percent or amount")
    percent_off: int | None = Field(None, description="1-100, for `percent`")
    amount_off: int | None = Field(None, description=MINOR_UNITS + ", above zero, for `amount`")
    duration: DiscountDuration = Field(
        description="once (the first period invoice), periods (that many) or forever"
    )
    periods: int | None = Field(None, description="At least 1, for `periods`")
    expires_on: date | None = Field(None, description="The last day it can be redeemed")
    max_redemptions: int | None = Field(None, description="Empty: no limit")
    plan_ids: list[int] = Field(
        default_factory=list, description="The plans it applies to; empty: every plan"
    )
    introductory_for_plan_id: int | None = Field(
        None,
        description="Make it this plan's introductory price: new enrollments get it "
        "automatically, a plan change never does",
    )


def _plans(ids: list[int], field: str) -> list[Plan]:
    found = {plan.pk: plan for plan in Plan.objects.filter(pk__in=ids)}
    missing = [plan_id for plan_id in ids if plan_id not in found]
    if missing:
        raise ValidationFailed(
            [
                FieldError(field, f"There is no plan with id {plan_id}.", "not_found")
                for plan_id in missing
            ]
        )
    return [found[plan_id] for plan_id in ids]


@discounts_router.post(
    "",
    response={201: DiscountOut},
    summary="Create a discount code",
    description=(
        "422 names each field that breaks a rule: a code in use (duplicate), a percentage "
        "outside 1-100, an amount not above zero, a number of periods below 1, an expiry day "
        "already passed, an unknown plan."
    ),
    openapi_extra=needs(Capability.BILLING_MANAGE),
)
def discount_create_one(request: HttpRequest, payload: DiscountIn) -> Status[DiscountOut]:
    user = staff_user(request, Capability.BILLING_MANAGE)
    plans = _plans(payload.plan_ids, "plan_ids")
    introductory_for = None
    if payload.introductory_for_plan_id is not None:
        [introductory_for] = _plans([payload.introductory_for_plan_id], "introductory_for_plan_id")
    with body_field_names({"plans": "plan_ids", "introductory_for": "introductory_for_plan_id"}):
        discount = discount_create(
            actor=user,
            name=payload.name,
            kind=payload.kind,
            duration=payload.duration,
            code=payload.code,
            percent_off=payload.percent_off,
            amount_off=payload.amount_off,
            periods=payload.periods,
            expires_on=payload.expires_on,
            max_redemptions=payload.max_redemptions,
            plans=plans,
            introductory_for=introductory_for,
        )
    return Status(201, discount_out(discount))


@discounts_router.post(
    "/{discount_id}/deactivate",
    response=DiscountOut,
    summary="Stop offering a discount code",
    description=(
        "It can no longer be redeemed; memberships that carry it keep it for the periods it "
        "was granted for. Deactivating it again changes nothing."
    ),
    openapi_extra=needs(Capability.BILLING_MANAGE),
)
def discount_deactivate_one(request: HttpRequest, discount_id: int) -> DiscountOut:
    user = staff_user(request, Capability.BILLING_MANAGE)
    discount = Discount.objects.filter(pk=discount_id).first()
    if discount is None:
        raise NotFound("No such discount.")
    return discount_out(discount_deactivate(actor=user, discount=discount))


class RedeemIn(Schema):
    code: str = Field(description="A discount code, in any case")


class RedemptionOut(Schema):
    id: int
    membership_id: int
    discount: DiscountOut
    redeemed_at: datetime


@billing_memberships_router.post(
    "/{membership_id}/discounts",
    response={201: RedemptionOut},
    tags=["discounts"],
    summary="Redeem a discount code on a membership",
    description=(
        "The discount applies from the membership's next period invoice. 422 names `code`: "
        "unknown, no longer offered (inactive), expired, used up, not for this plan "
        "(wrong_plan) or already on this membership (already_redeemed)."
    ),
    openapi_extra=needs(Capability.BILLING_COLLECT),
)
def discount_redeem_one(
    request: HttpRequest, membership_id: int, payload: RedeemIn
) -> Status[RedemptionOut]:
    user, membership = membership_for_staff(
        request, membership_id, Capability.BILLING_COLLECT, "billing.discount_redeem_request"
    )
    redemption = discount_redeem(actor=user, membership=membership, code=payload.code)
    return Status(
        201,
        RedemptionOut(
            id=redemption.pk,
            membership_id=membership.pk,
            discount=discount_out(redemption.discount),
            redeemed_at=redemption.redeemed_at,
        ),
    )
