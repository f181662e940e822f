"""Lifecycle actions: one operation each, under /memberships/{membership_id}/actions/."""

from collections.abc import Callable
from datetime import date

from django.http import HttpRequest
from ninja import Field, Schema

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.api.memberships.common import (
    AT_PERIOD_END,
    EFFECTIVE_ON,
    api_field_names,
    membership_for_staff,
    memberships_router,
    staff_patient,
)
from careloop.api.memberships.output import ActionOut, action_out
from careloop.api.patients import needs
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import (
    MemberRole,
    Membership,
    PlanPrice,
)
from careloop.memberships.periods import Interval
from careloop.memberships.services import lifecycle
from careloop.memberships.services.lifecycle import ChangeOutcome

# --- lifecycle actions ----------------------------------------------------------------------


class WhenIn(Schema):
    effective_on: date | None = Field(None, description=EFFECTIVE_ON)
    at_period_end: bool = Field(False, description=AT_PERIOD_END)


class PlanChangeIn(WhenIn):
    plan_id: int


class IntervalChangeIn(WhenIn):
    interval: Interval


class MemberAddIn(WhenIn):
    patient_id: int = Field(description="A patient in the payer's household (or the roster)")
    role: MemberRole = Field(description="adult or child")


class MemberRemoveIn(WhenIn):
    patient_id: int


class PauseIn(WhenIn):
    resumes_on: date | None = Field(
        None, description="Empty: the plan's longest pause (or until resumed, without a limit)"
    )


class CancelIn(WhenIn):
    reason_id: int | None = Field(None, description="A reason from the clinic's list (required)")
    note: str = ""


class RecordedIn(Schema):
    effective_on: date | None = Field(
        None, description="Today when empty; an earlier date is backdating (admins only)"
    )


class PriceChangeIn(Schema):
    price_id: int = Field(description="Another price version of the plan, same interval")
    effective_on: date = Field(
        description="The new price starts with the first billing period on or after this date"
    )
    notice_on: date = Field(description="When the payer was told; not after the change")


def _action(
    request: HttpRequest,
    membership_id: int,
    capability: Capability,
    name: str,
    run: Callable[[User, Membership], ChangeOutcome],
) -> ActionOut:
    user, membership = membership_for_staff(
        request, membership_id, capability, f"membership.{name}_request"
    )
    with api_field_names():
        return action_out(run(user, membership))


def _action_route(
    path: str, summary: str, capability: Capability, description: str = ""
) -> Callable[[Callable[..., ActionOut]], Callable[..., ActionOut]]:
    return memberships_router.post(
        f"/{{membership_id}}/actions/{path}",
        response=ActionOut,
        summary=summary,
        description=description
        or "409 when the membership's status does not allow it; 422 names each field that "
        "breaks a rule.",
        openapi_extra=needs(capability),
    )


@_action_route("upgrade", "Move to a richer tier", Capability.MEMBERSHIP_CHANGE)
def membership_upgrade(
    request: HttpRequest, membership_id: int, payload: PlanChangeIn
) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "upgrade",
        lambda user, membership: lifecycle.membership_upgrade(
            actor=user,
            membership=membership,
            plan=payload.plan_id,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_action_route(
    "downgrade",
    "Move to a smaller tier",
    Capability.MEMBERSHIP_CHANGE,
    "Takes effect at the start of a period (at_period_end); 403 when a role other than admin "
    "asks for a day inside a period. 409 when the membership's status does not allow it; 422 "
    "names each field that breaks a rule.",
)
def membership_downgrade(
    request: HttpRequest, membership_id: int, payload: PlanChangeIn
) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "downgrade",
        lambda user, membership: lifecycle.membership_downgrade(
            actor=user,
            membership=membership,
            plan=payload.plan_id,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_action_route(
    "change-interval",
    "Bill by another interval",
    Capability.MEMBERSHIP_CHANGE,
    "At the plan's current price for that interval; the anchor moves to the day it takes effect.",
)
def membership_change_interval(
    request: HttpRequest, membership_id: int, payload: IntervalChangeIn
) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "change_interval",
        lambda user, membership: lifecycle.membership_change_interval(
            actor=user,
            membership=membership,
            interval=payload.interval,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_action_route("add-member", "Cover one more household member", Capability.MEMBERSHIP_ENROLL)
def membership_add_member(
    request: HttpRequest, membership_id: int, payload: MemberAddIn
) -> ActionOut:
    def run(user: User, membership: Membership) -> ChangeOutcome:
        patient = staff_patient(
            user, payload.patient_id, field="patient_id", capability=Capability.MEMBERSHIP_ENROLL
        )
        return lifecycle.membership_add_member(
            actor=user,
            membership=membership,
            patient=patient,
            role=payload.role,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        )

    return _action(request, membership_id, Capability.MEMBERSHIP_ENROLL, "add_member", run)


@_action_route(
    "remove-member",
    "Stop covering one member",
    Capability.MEMBERSHIP_CHANGE,
    "Not the primary member, nor the last one (cancel instead). Takes effect at the start of a "
    "period (at_period_end); 403 when a role other than admin asks for a day inside a period.",
)
def membership_remove_member(
    request: HttpRequest, membership_id: int, payload: MemberRemoveIn
) -> ActionOut:
    def run(user: User, membership: Membership) -> ChangeOutcome:
        patient = staff_patient(
            user, payload.patient_id, field="patient_id", capability=Capability.MEMBERSHIP_CHANGE
        )
        return lifecycle.membership_remove_member(
            actor=user,
            membership=membership,
            patient=patient,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        )

    return _action(request, membership_id, Capability.MEMBERSHIP_CHANGE, "remove_member", run)


@_action_route(
    "pause",
    "Pause a membership, as the plan allows",
    Capability.MEMBERSHIP_CHANGE,
    "Nothing is covered while paused. The resume is scheduled on `resumes_on`, or after the "
    "plan's longest pause.",
)
def membership_pause(request: HttpRequest, membership_id: int, payload: PauseIn) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "pause",
        lambda user, membership: lifecycle.membership_pause(
            actor=user,
            membership=membership,
            resumes_on=payload.resumes_on,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_action_route("resume", "Resume a paused membership", Capability.MEMBERSHIP_CHANGE)
def membership_resume(request: HttpRequest, membership_id: int, payload: WhenIn) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "resume",
        lambda user, membership: lifecycle.membership_resume(
            actor=user,
            membership=membership,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_action_route(
    "cancel",
    "Cancel now, on a date, or at the end of the period",
    Capability.MEMBERSHIP_CHANGE,
    "Cancelled at period end, the membership covers its members until then.",
)
def membership_cancel(request: HttpRequest, membership_id: int, payload: CancelIn) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "cancel",
        lambda user, membership: lifecycle.membership_cancel(
            actor=user,
            membership=membership,
            reason=payload.reason_id,
            note=payload.note,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_action_route(
    "reactivate",
    "Reactivate a cancelled membership",
    Capability.MEMBERSHIP_CHANGE,
    "Covers the same members again, unless another membership has taken one meanwhile (409).",
)
def membership_reactivate(
    request: HttpRequest, membership_id: int, payload: RecordedIn
) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "reactivate",
        lambda user, membership: lifecycle.membership_reactivate(
            actor=user, membership=membership, effective_on=payload.effective_on
        ),
    )


@_action_route(
    "activate",
    "Activate a pending membership: a payment method is on file",
    Capability.MEMBERSHIP_CHANGE,
)
def membership_activate(request: HttpRequest, membership_id: int, payload: RecordedIn) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "activate",
        lambda user, membership: lifecycle.membership_activate(
            actor=user, membership=membership, effective_on=payload.effective_on
        ),
    )


@_action_route(
    "change-price",
    "Move a member to another price version of the plan",
    Capability.MEMBERSHIP_PRICE_CHANGE,
    "Existing members keep their price until this is scheduled for them; the new price starts "
    "with the first billing period on or after `effective_on`.",
)
def membership_change_price(
    request: HttpRequest, membership_id: int, payload: PriceChangeIn
) -> ActionOut:
    def run(user: User, membership: Membership) -> ChangeOutcome:
        price = PlanPrice.objects.filter(pk=payload.price_id).first()
        if price is None:
            raise ValidationFailed.single("price_id", "No such price.", "not_found")
        return lifecycle.membership_change_price(
            actor=user,
            membership=membership,
            price=price,
            effective_on=payload.effective_on,
            notice_on=payload.notice_on,
        )

    return _action(request, membership_id, Capability.MEMBERSHIP_PRICE_CHANGE, "change_price", run)
