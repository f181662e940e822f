"""Previews: what a membership action would bill, computed without changing anything.

Each action of /memberships/{id}/actions/ that bills has a preview here taking the same body.
The change runs for real inside a transaction that is rolled back, so the preview is exactly
what confirming will bill; nothing is saved, charged or sent. An action the membership's
status does not allow (a cancelled membership, say) is refused as the action itself would be.
"""

from collections.abc import Callable

from django.http import HttpRequest

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.api.billing.common import billing_memberships_router
from careloop.api.billing.output import PreviewOut, preview_out
from careloop.api.memberships.actions import (
    CancelIn,
    IntervalChangeIn,
    MemberAddIn,
    MemberRemoveIn,
    PauseIn,
    PlanChangeIn,
    WhenIn,
)
from careloop.api.memberships.common import api_field_names, membership_for_staff, staff_patient
from careloop.api.patients import needs
from careloop.billing.services.previews import billing_preview
from careloop.memberships.models import Membership
from careloop.memberships.services import lifecycle
from careloop.memberships.services.lifecycle import ChangeOutcome

DESCRIPTION = (
    "Takes the body of the membership action of the same name. Answers the invoices and lines "
    "it would issue, what the payer's card would be charged when it takes effect, and the "
    "payer's credit afterwards. 409 when the membership's status does not allow the action "
    "(a cancelled membership: illegal_transition); 422 names each field that breaks a rule."
)


def _membership(request: HttpRequest, membership_id: int, name: str) -> tuple[User, Membership]:
    return membership_for_staff(
        request, membership_id, Capability.BILLING_VIEW, f"billing.preview_{name}_request"
    )


def _preview(user: User, membership: Membership, change: Callable[[], ChangeOutcome]) -> PreviewOut:
    with api_field_names():
        return preview_out(billing_preview(actor=user, membership=membership, change=change))


def _preview_route(
    action: str, summary: str
) -> Callable[[Callable[..., PreviewOut]], Callable[..., PreviewOut]]:
    return billing_memberships_router.post(
        f"/{{membership_id}}/previews/{action}",
        response=PreviewOut,
        summary=summary,
        description=DESCRIPTION,
        openapi_extra=needs(Capability.BILLING_VIEW),
    )


@_preview_route("upgrade", "Preview an upgrade")
def preview_upgrade(request: HttpRequest, membership_id: int, payload: PlanChangeIn) -> PreviewOut:
    user, membership = _membership(request, membership_id, "upgrade")
    return _preview(
        user,
        membership,
        lambda: lifecycle.membership_upgrade(
            actor=user,
            membership=membership,
            plan=payload.plan_id,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_preview_route("downgrade", "Preview a downgrade")
def preview_downgrade(
    request: HttpRequest, membership_id: int, payload: PlanChangeIn
) -> PreviewOut:
    user, membership = _membership(request, membership_id, "downgrade")
    return _preview(
        user,
        membership,
        lambda: lifecycle.membership_downgrade(
            actor=user,
            membership=membership,
            plan=payload.plan_id,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_preview_route("change-interval", "Preview billing by another interval")
def preview_change_interval(
    request: HttpRequest, membership_id: int, payload: IntervalChangeIn
) -> PreviewOut:
    user, membership = _membership(request, membership_id, "change_interval")
    return _preview(
        user,
        membership,
        lambda: lifecycle.membership_change_interval(
            actor=user,
            membership=membership,
            interval=payload.interval,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_preview_route("add-member", "Preview covering one more household member")
def preview_add_member(
    request: HttpRequest, membership_id: int, payload: MemberAddIn
) -> PreviewOut:
    user, membership = _membership(request, membership_id, "add_member")
    patient = staff_patient(
        user, payload.patient_id, field="patient_id", capability=Capability.BILLING_VIEW
    )
    return _preview(
        user,
        membership,
        lambda: lifecycle.membership_add_member(
            actor=user,
            membership=membership,
            patient=patient,
            role=payload.role,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_preview_route("remove-member", "Preview no longer covering one member")
def preview_remove_member(
    request: HttpRequest, membership_id: int, payload: MemberRemoveIn
) -> PreviewOut:
    user, membership = _membership(request, membership_id, "remove_member")
    patient = staff_patient(
        user, payload.patient_id, field="patient_id", capability=Capability.BILLING_VIEW
    )
    return _preview(
        user,
        membership,
        lambda: lifecycle.membership_remove_member(
            actor=user,
            membership=membership,
            patient=patient,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_preview_route("pause", "Preview a pause")
def preview_pause(request: HttpRequest, membership_id: int, payload: PauseIn) -> PreviewOut:
    user, membership = _membership(request, membership_id, "pause")
    return _preview(
        user,
        membership,
        lambda: lifecycle.membership_pause(
            actor=user,
            membership=membership,
            resumes_on=payload.resumes_on,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_preview_route("resume", "Preview resuming a paused membership")
def preview_resume(request: HttpRequest, membership_id: int, payload: WhenIn) -> PreviewOut:
    user, membership = _membership(request, membership_id, "resume")
    return _preview(
        user,
        membership,
        lambda: lifecycle.membership_resume(
            actor=user,
            membership=membership,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_preview_route("cancel", "Preview a cancellation")
def preview_cancel(request: HttpRequest, membership_id: int, payload: CancelIn) -> PreviewOut:
    user, membership = _membership(request, membership_id, "cancel")
    return _preview(
        user,
        membership,
        lambda: lifecycle.membership_cancel(
            actor=user,
            membership=membership,
            reason=payload.reason_id,
            note=payload.note,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )
