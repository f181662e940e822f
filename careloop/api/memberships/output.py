"""What the membership operations answer: schemas and how a membership becomes one."""

from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from ninja import Field, Schema

from careloop.api.memberships.common import MINOR_UNITS
from careloop.core import clock
from careloop.memberships.models import (
    ChangeKind,
    ChangeStatus,
    Membership,
    MembershipMember,
    MembershipStatus,
    ScheduledChange,
)
from careloop.memberships.periods import Period
from careloop.memberships.selectors.billing import member_amount
from careloop.memberships.selectors.memberships import change_summary, membership_card
from careloop.memberships.services.lifecycle import ChangeOutcome

# --- output ---------------------------------------------------------------------------------


class PeriodOut(Schema):
    start: date
    end: date = Field(description="Exclusive: the first day of the next period")


def period_out(period: Period | None) -> PeriodOut | None:
    return PeriodOut(start=period.start, end=period.end) if period is not None else None


class MemberOut(Schema):
    patient_id: int
    name: str
    role: str = Field(description="primary, adult or child")
    joined_on: date
    left_on: date | None = Field(description="Exclusive; empty while covered")


class MembershipOut(Schema):
    id: int
    plan_id: int
    plan_name: str
    status: str = Field(description="pending, active, past_due, paused, cancelled or ended")
    status_label: str
    interval: str = Field(description="monthly, quarterly or annual")
    price_id: int
    price_version: int
    currency: str
    payer_patient_id: int | None
    sponsor_id: int | None
    payer_name: str
    start_date: date
    anchor_date: date = Field(description="Billing periods step from this date")
    anchor_day: int = Field(description="1-31, clamped to short months")
    paused_on: date | None
    resumes_on: date | None
    cancelled_on: date | None
    cancellation_reason: str | None = Field(description="The reason's code")
    cancellation_note: str
    ended_on: date | None
    members: list[MemberOut] = Field(description="Everyone it covers or covered, as they joined")


class BalanceOut(Schema):
    patient_id: int
    available: int | None = Field(description="Uses left this period; null is unlimited")
    held: int
    used: int
    rolled_over: int


class CardBenefitOut(Schema):
    service_id: int
    service_name: str
    allowance_text: str
    beyond_allowance_text: str
    balances: list[BalanceOut] = Field(description="One per member covered today")


class ScheduledChangeOut(Schema):
    id: int
    kind: str = Field(
        description="plan_change, interval_change, member_add, member_remove, pause, resume, "
        "cancel or price_change"
    )
    kind_label: str
    status: str = Field(description="scheduled, applied or revoked")
    effective_on: date
    notice_on: date | None = Field(description="When the payer was told (price changes)")
    summary: str
    details: dict[str, Any]
    created_at: datetime
    applied_at: datetime | None
    revoked_at: datetime | None


class MembershipDetailOut(MembershipOut):
    warning: str | None = Field(description="Past due, paused, pending or ending, in words")
    covering: bool = Field(description="Whether it covers its members today")
    period_amount: int = Field(description=MINOR_UNITS + " per interval for today's members")
    current_period: PeriodOut | None
    next_renewal: date | None
    benefits: list[CardBenefitOut]
    scheduled_changes: list[ScheduledChangeOut] = Field(description="Still to take effect")


class MembershipPage(Schema):
    items: list[MembershipOut]
    total: int = Field(description="Matches in all, across every page")
    limit: int
    offset: int


class ActionOut(Schema):
    applied: bool = Field(description="True when the action took effect; false when scheduled")
    membership: MembershipDetailOut
    scheduled_change: ScheduledChangeOut | None


class StatusChangeOut(Schema):
    id: int
    action: str
    from_status: str = Field(description="Empty for the enrollment")
    to_status: str
    effective_on: date
    recorded_at: datetime
    actor_id: int | None
    actor_name: str
    reason: str


class LedgerEntryOut(Schema):
    id: int
    patient_id: int
    service_id: int
    service_name: str
    kind: str = Field(
        description="grant, hold, consume, release, reverse, rollover, expire or overage"
    )
    quantity: int
    period: PeriodOut
    occurred_on: date
    source_type: str
    source_id: str
    settles_id: int | None = Field(description="The entry this one settles")
    unit_price: int | None = Field(description=MINOR_UNITS + " per use, for an overage")
    note: str
    recorded_at: datetime


class LedgerPage(Schema):
    items: list[LedgerEntryOut] = Field(description="Newest first")
    total: int
    limit: int
    offset: int


class MemberBalanceOut(Schema):
    patient_id: int
    service_id: int
    service_name: str
    benefit_id: int
    unlimited: bool
    allowance: int | None
    available: int | None = Field(description="Null when unlimited")
    held: int
    used: int
    granted: int
    rolled_over: int
    expired: int
    overage: int = Field(description="Uses beyond the allowance, charged at the member price")
    period: PeriodOut


class BalancesOut(Schema):
    membership_id: int
    on: date
    balances: list[MemberBalanceOut] = Field(description="Per member, then per benefit")


class CoverageOut(Schema):
    outcome: str = Field(description="covered, member_price, not_covered or not_a_member")
    covered: bool
    reason: str = Field(description="The answer in words, as front desk reads it aloud")
    price: int = Field(description=MINOR_UNITS + " this one use costs")
    currency: str
    patient_id: int
    service_id: int
    on: date
    membership_id: int | None
    membership_status: str
    plan_name: str
    benefit_id: int | None
    period: PeriodOut | None = Field(description="The allowance period of that date")
    allowance: int | None
    unlimited: bool
    left_after_use: int | None = Field(description="Null when unlimited or not covered")


def member_rows(membership: Membership) -> list[MembershipMember]:
    cached = getattr(membership, "all_members", None)
    if cached is not None:
        return list(cached)
    return list(membership.members.select_related("patient").order_by("joined_on", "id"))


def payer_name(membership: Membership) -> str:
    if membership.payer_patient is not None:
        return membership.payer_patient.full_name
    return membership.sponsor.name if membership.sponsor is not None else ""


def summary_fields(membership: Membership) -> dict[str, Any]:
    status = MembershipStatus(membership.status)
    reason = membership.cancellation_reason
    return {
        "id": membership.pk,
        "plan_id": membership.plan_id,
        "plan_name": membership.plan.name,
        "status": status.value,
        "status_label": str(status.label),
        "interval": membership.interval,
        "price_id": membership.price_id,
        "price_version": membership.price.version,
        "currency": membership.plan.currency,
        "payer_patient_id": membership.payer_patient_id,
        "sponsor_id": membership.sponsor_id,
        "payer_name": payer_name(membership),
        "start_date": membership.start_date,
        "anchor_date": membership.anchor_date,
        "anchor_day": membership.anchor_day,
        "paused_on": membership.paused_on,
        "resumes_on": membership.resumes_on,
        "cancelled_on": membership.cancelled_on,
        "cancellation_reason": reason.code if reason is not None else None,
        "cancellation_note": membership.cancellation_note,
        "ended_on": membership.ended_on,
        "members": [
            MemberOut(
                patient_id=member.patient_id,
                name=member.patient.full_name,
                role=member.role,
                joined_on=member.joined_on,
                left_on=member.left_on,
            )
            for member in member_rows(membership)
        ],
    }


def membership_out(membership: Membership) -> MembershipOut:
    return MembershipOut(**summary_fields(membership))


def change_out(change: ScheduledChange) -> ScheduledChangeOut:
    return ScheduledChangeOut(
        id=change.pk,
        kind=change.kind,
        kind_label=str(ChangeKind(change.kind).label),
        status=change.status,
        effective_on=change.effective_on,
        notice_on=change.notice_on,
        summary=change_summary(change),
        details=change.details,
        created_at=change.created_at,
        applied_at=change.applied_at,
        revoked_at=change.revoked_at,
    )


def detail_out(membership: Membership) -> MembershipDetailOut:
    membership = (
        Membership.objects.select_related(
            "plan", "price", "payer_patient", "sponsor", "cancellation_reason"
        )
        .filter(pk=membership.pk)
        .get()
    )
    card = membership_card(membership=membership)
    today = clock.today()
    current = [
        member
        for member in member_rows(membership)
        if member.joined_on <= today and (member.left_on is None or member.left_on > today)
    ]
    scheduled = membership.scheduled_changes.filter(status=ChangeStatus.SCHEDULED).order_by(
        "effective_on", "id"
    )
    return MembershipDetailOut(
        **summary_fields(membership),
        warning=card.warning,
        covering=card.covering,
        period_amount=sum(member_amount(membership.price, member.role) for member in current),
        current_period=period_out(card.current_period),
        next_renewal=card.next_renewal,
        benefits=[
            CardBenefitOut(
                service_id=benefit.service_id,
                service_name=benefit.service_name,
                allowance_text=benefit.allowance_text,
                beyond_allowance_text=benefit.beyond_allowance_text,
                balances=[
                    BalanceOut(
                        patient_id=balance.patient_id,
                        available=balance.available,
                        held=balance.held,
                        used=balance.used,
                        rolled_over=balance.rolled_over,
                    )
                    for balance in benefit.balances
                ],
            )
            for benefit in card.benefits
        ],
        scheduled_changes=[change_out(change) for change in scheduled],
    )


def action_out(outcome: ChangeOutcome) -> ActionOut:
    scheduled = outcome.scheduled
    return ActionOut(
        applied=outcome.applied,
        membership=detail_out(outcome.membership),
        scheduled_change=change_out(scheduled) if scheduled is not None else None,
    )


def with_members(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    return memberships.select_related(
        "plan", "price", "payer_patient", "sponsor", "cancellation_reason"
    ).prefetch_related(
        Prefetch(
            "members",
            queryset=MembershipMember.objects.select_related("patient").order_by("joined_on", "id"),
            to_attr="all_members",
        )
    )
