"""Reading memberships: who covers a patient on a date, and the chart's membership card."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from careloop.core import clock
from careloop.memberships.changes import (
    Cancel,
    ChangeDetails,
    IntervalChange,
    MemberAdd,
    MemberRemove,
    Pause,
    PlanChange,
    PriceChange,
    Resume,
    details_for,
)
from careloop.memberships.models import (
    CancellationReason,
    ChangeKind,
    ChangeStatus,
    MemberRole,
    Membership,
    MembershipMember,
    MembershipStatus,
    PastDueCoverage,
    Plan,
    PlanPrice,
    ScheduledChange,
)
from careloop.memberships.models.catalog import AllowancePeriod
from careloop.memberships.periods import Interval, Period, billing_period
from careloop.memberships.selectors.balances import member_balances
from careloop.memberships.selectors.billing import member_amount
from careloop.memberships.services.enrollment import membership_settings
from careloop.patients.models import Patient

S = MembershipStatus


def membership_for_patient(*, patient: Patient, on: date | None = None) -> Membership | None:
    """The tier membership whose coverage includes `patient` on `on` (today), if any.

    Whether it covers anything that day depends on its status (paused and pending cover
    nothing; past due follows the clinic's policy); this answers only which tier it is.
    """
    day = clock.today() if on is None else on
    row = (
        MembershipMember.objects.filter(patient=patient, plan_kind="tier", joined_on__lte=day)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=day))
        .select_related("membership__plan", "membership__price")
        .order_by("-joined_on", "-id")
        .first()
    )
    return row.membership if row is not None else None


def money(amount: int, currency: str) -> str:
    """An amount in minor units as staff read it: $120.00, -$6.50, or 120.00 EUR."""
    sign = "-" if amount < 0 else ""
    whole = f"{abs(amount) // 100:,}.{abs(amount) % 100:02d}"
    return f"{sign}${whole}" if currency == "USD" else f"{sign}{whole} {currency}"


@dataclass(frozen=True)
class CardMember:
    patient_id: int
    name: str
    role: MemberRole
    role_label: str
    joined_on: date


@dataclass(frozen=True)
class CardBalance:
    """One member's use of one benefit this allowance period; available None is unlimited."""

    patient_id: int
    available: int | None
    held: int
    used: int
    rolled_over: int


@dataclass(frozen=True)
class CardBenefit:
    service_id: int
    service_name: str
    allowance_text: str
    beyond_allowance_text: str
    balances: tuple[CardBalance, ...]


@dataclass(frozen=True)
class CardChange:
    id: int
    kind: ChangeKind
    kind_label: str
    effective_on: date
    summary: str
    notice_on: date | None


@dataclass(frozen=True)
class MembershipCard:
    """Everything the chart's membership card shows, already worded for staff."""

    membership_id: int
    plan_name: str
    status: MembershipStatus
    status_label: str
    warning: str | None
    covering: bool
    payer_name: str
    sponsored: bool
    members: tuple[CardMember, ...]
    interval_label: str
    price_text: str
    current_period: Period | None
    next_renewal: date | None
    benefits: tuple[CardBenefit, ...]
    scheduled_changes: tuple[CardChange, ...]


def _allowance_text(allowance: int | None, period: str) -> str:
    if allowance is None:
        return "Unlimited"
    if allowance == 0:
        # A benefit with no allowance exists to give members a price for the service.
        return "Member price only"
    per = {
        AllowancePeriod.MONTH: "a month",
        AllowancePeriod.QUARTER: "a quarter",
        AllowancePeriod.YEAR: "a year",
        AllowancePeriod.TERM: "per membership term",
    }[AllowancePeriod(period)]
    return f"{allowance} {per}"


def change_summary(change: ScheduledChange, details: ChangeDetails | None = None) -> str:
    """One line saying what a scheduled change will do, e.g. "Downgrade to Essentials"."""
    details = details or details_for(change)
    if isinstance(details, PlanChange):
        plan = Plan.objects.filter(pk=details.plan_id).first()
        name = plan.name if plan is not None else "another plan"
        return f"{'Upgrade' if details.upgrade else 'Downgrade'} to {name}"
    if isinstance(details, IntervalChange):
        return f"Bill {details.interval.label.lower()} from this date"
    if isinstance(details, MemberAdd | MemberRemove):
        patient = Patient.objects.filter(pk=details.patient_id).first()
        name = patient.full_name if patient is not None else "a patient"
        if isinstance(details, MemberAdd):
            return f"Add {name} as {details.role.label.lower()}"
        return f"Remove {name}"
    if isinstance(details, Pause):
        until = f" until {details.resumes_on.isoformat()}" if details.resumes_on else ""
        return f"Pause{until}"
    if isinstance(details, Resume):
        return "Resume"
    if isinstance(details, Cancel):
        reason = CancellationReason.objects.filter(pk=details.reason_id).first()
        return f"Cancel ({reason.label if reason is not None else 'no reason'})"
    assert isinstance(details, PriceChange)
    price = PlanPrice.objects.select_related("plan").filter(pk=details.price_id).first()
    if price is None:
        return "Price change"
    return f"New price {money(price.amount, price.plan.currency)} (version {price.version})"


def _warning(membership: Membership, changes: list[ScheduledChange], past_due_keeps: bool) -> str:
    status = S(membership.status)
    if status == S.PENDING:
        return "Pending: no payment method on file yet, so nothing is covered."
    if status == S.PAST_DUE:
        if past_due_keeps:
            return "Payment is past due. The clinic keeps covering members meanwhile."
        return "Payment is past due: nothing is covered until it is paid."
    if status == S.PAUSED:
        since = membership.paused_on.isoformat() if membership.paused_on else "recently"
        until = (
            f"resumes on {membership.resumes_on.isoformat()}"
            if membership.resumes_on
            else "until resumed"
        )
        return f"Paused since {since}, {until}. Nothing is covered while paused."
    if status == S.CANCELLED:
        on = membership.cancelled_on.isoformat() if membership.cancelled_on else ""
        reason = membership.cancellation_reason
        return f"Cancelled on {on}{f' ({reason.label})' if reason else ''}; nothing is covered."
    if status == S.ENDED:
        return f"Ended on {membership.ended_on.isoformat() if membership.ended_on else ''}."
    cancel = next((c for c in changes if c.kind == ChangeKind.CANCEL), None)
    if cancel is not None:
        return f"Ending: cancelled from {cancel.effective_on.isoformat()}; covered until then."
    return ""


def membership_card(*, membership: Membership, on: date | None = None) -> MembershipCard:
    """The card for one membership as of `on` (today).

    Each benefit's `balances` (used, held, left, rolled over per member) come from the
    ledger, in one aggregate query (selectors.balances.member_balances).
    """
    day = clock.today() if on is None else on
    membership = (
        Membership.objects.select_related(
            "plan", "price", "payer_patient", "sponsor", "cancellation_reason"
        )
        .filter(pk=membership.pk)
        .get()
    )
    status = S(membership.status)
    past_due_keeps = membership_settings().past_due_coverage == PastDueCoverage.KEEP
    covering = status == S.ACTIVE or (status == S.PAST_DUE and past_due_keeps)
    members = (
        membership.members.filter(joined_on__lte=day)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=day))
        .select_related("patient")
        .order_by("id")
    )
    total = sum(member_amount(membership.price, member.role) for member in members)
    period = None
    next_renewal = None
    if status not in (S.CANCELLED, S.ENDED):
        period = billing_period(
            start_date=membership.start_date,
            anchor=membership.anchor_date,
            anchor_day=membership.anchor_day,
            interval=Interval(membership.interval),
            day=max(day, membership.start_date),
        )
        next_renewal = period.end
    changes = list(
        membership.scheduled_changes.filter(status=ChangeStatus.SCHEDULED).order_by(
            "effective_on", "id"
        )
    )
    if any(change.kind == ChangeKind.CANCEL for change in changes):
        next_renewal = None
    warning = _warning(membership, changes, past_due_keeps) or None
    payer_name = (
        membership.payer_patient.full_name
        if membership.payer_patient is not None
        else membership.sponsor.name
        if membership.sponsor is not None
        else ""
    )
    by_service: dict[int, list[CardBalance]] = {}
    if covering or status == S.PAUSED:
        for entry in member_balances(membership=membership, on=day):
            by_service.setdefault(entry.benefit.service_id, []).append(
                CardBalance(
                    patient_id=entry.patient_id,
                    available=entry.balance.available,
                    held=entry.balance.held,
                    used=entry.balance.used,
                    rolled_over=entry.balance.rolled_over,
                )
            )
    benefits = tuple(
        CardBenefit(
            service_id=benefit.service_id,
            service_name=benefit.service.name,
            allowance_text=_allowance_text(benefit.allowance, benefit.allowance_period),
            beyond_allowance_text=(
                "No limit"
                if benefit.allowance is None
                else f"{money(benefit.beyond_allowance_price(), benefit.service.currency)} "
                "each beyond it"
            ),
            balances=tuple(by_service.get(benefit.service_id, ())),
        )
        for benefit in membership.plan.benefits.select_related("service").order_by("service__name")
    )
    return MembershipCard(
        membership_id=membership.pk,
        plan_name=membership.plan.name,
        status=status,
        status_label=status.label,
        warning=warning,
        covering=covering,
        payer_name=payer_name,
        sponsored=membership.sponsor_id is not None,
        members=tuple(
            CardMember(
                patient_id=member.patient_id,
                name=member.patient.full_name,
                role=MemberRole(member.role),
                role_label=MemberRole(member.role).label,
                joined_on=member.joined_on,
            )
            for member in members
        ),
        interval_label=Interval(membership.interval).label,
        price_text=(
            f"{money(total, membership.plan.currency)} "
            f"{Interval(membership.interval).label.lower()}"
        ),
        current_period=period,
        next_renewal=next_renewal,
        benefits=benefits,
        scheduled_changes=tuple(
            CardChange(
                id=change.pk,
                kind=ChangeKind(change.kind),
                kind_label=ChangeKind(change.kind).label,
                effective_on=change.effective_on,
                summary=change_summary(change),
                notice_on=change.notice_on,
            )
            for change in changes
        ),
    )


def membership_card_for_patient(
    *, patient: Patient, on: date | None = None
) -> MembershipCard | None:
    """The card of the tier covering `patient` on `on` (today); None for a non-member."""
    membership = membership_for_patient(patient=patient, on=on)
    return membership_card(membership=membership, on=on) if membership is not None else None
