"""What billing reads from memberships: the whole interface, as typed values.

Billing (a separate app) never reads membership tables directly; it calls these functions:

- `membership_billing_terms(membership=..., on=day)` -> `BillingTerms`: the plan (code,
  name, whether it renews), the price version the membership pays (amounts per interval in
  minor units: primary, each additional adult, each child, the child age limit, the
  enrollment fee), the interval and its length in months, the anchor (`anchor_date`,
  `anchor_day`: periods step from the anchor date on the anchor day, clamped in short
  months; a later anchor than the start date makes [start, anchor) a stub period), the
  billing period containing `on`, the household on that day (each member's name, role, age
  at the period start, joined/left dates for proration and the amount the member adds), the
  period amount before proration, the sponsor's share of it, the status and whether it
  covers, the pause and cancellation dates, and the scheduled changes with their typed
  details (careloop.memberships.changes), so billing can prorate an upgrade or stop renewing
  at a scheduled cancellation.
- `membership_overage_uses(membership=..., period=...)` -> `list[OverageUse]`: uses beyond
  the allowance in that period that were not reversed, each with its unit price, to charge.
- `memberships_billing_terms(days={id: day})` and `memberships_overage_uses(periods={id:
  period})`: the same for many memberships at once, in a few queries (a billing run's batch).
- `memberships_with_overage_uses(until=day)` -> the ids of memberships with such uses, for
  billing's sweep when the clinic bills overage at once.

Proration, rounding and invoices belong to billing: these values are per whole interval.
"""

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.db.models import Q, QuerySet

from careloop.core import clock
from careloop.memberships.changes import ChangeDetails, details_for
from careloop.memberships.lifecycle import COVERING
from careloop.memberships.models import (
    ChangeKind,
    ChangeStatus,
    EntitlementEntry,
    EntryKind,
    MemberRole,
    Membership,
    MembershipMember,
    MembershipStatus,
    PastDueCoverage,
    PlanPrice,
    ScheduledChange,
    SponsorShare,
)
from careloop.memberships.periods import INTERVAL_MONTHS, Interval, Period, billing_period
from careloop.memberships.services.enrollment import membership_settings
from careloop.patients.models import age_on, full_name


@dataclass(frozen=True)
class BillingPrice:
    price_id: int
    version: int
    currency: str
    primary_amount: int
    additional_adult_amount: int
    child_amount: int
    child_age_limit: int
    enrollment_fee: int


@dataclass(frozen=True)
class BillingMember:
    patient_id: int
    name: str
    role: MemberRole
    age_at_period_start: int
    joined_on: date
    left_on: date | None
    amount: int


@dataclass(frozen=True)
class SponsorShareTerms:
    sponsor_id: int
    sponsor_name: str
    share: SponsorShare
    fixed_amount_per_member_per_month: int | None
    amount: int


@dataclass(frozen=True)
class BillingScheduledChange:
    id: int
    kind: ChangeKind
    effective_on: date
    notice_on: date | None
    details: ChangeDetails


@dataclass(frozen=True)
class BillingTerms:
    membership_id: int
    status: MembershipStatus
    covering: bool
    plan_id: int
    plan_code: str
    plan_name: str
    plan_renews: bool
    interval: Interval
    interval_months: int
    start_date: date
    anchor_date: date
    anchor_day: int
    current_period: Period
    price: BillingPrice
    members: tuple[BillingMember, ...]
    period_amount: int
    payer_patient_id: int | None
    sponsor: SponsorShareTerms | None
    payer_amount: int
    pause_fee_per_month: int
    paused_on: date | None
    resumes_on: date | None
    cancelled_on: date | None
    ended_on: date | None
    scheduled_changes: tuple[BillingScheduledChange, ...]


@dataclass(frozen=True)
class OverageUse:
    entry_id: int
    patient_id: int
    service_id: int
    service_name: str
    occurred_on: date
    quantity: int
    unit_price: int
    amount: int
    source_type: str
    source_id: str


def member_amount(price: PlanPrice, role: str) -> int:
    """What one member adds per interval: the primary pays the plan amount."""
    if role == MemberRole.PRIMARY:
        return price.amount
    if role == MemberRole.CHILD:
        return price.child_amount
    return price.additional_adult_amount


def membership_billing_terms(*, membership: Membership, on: date | None = None) -> BillingTerms:
    """The membership's billing terms for the billing period containing `on` (today)."""
    day = clock.today() if on is None else on
    membership = Membership.objects.select_related("plan", "price", "sponsor").get(pk=membership.pk)
    period = _period(membership, day)
    rows = _member_rows(
        MembershipMember.objects.filter(membership=membership, joined_on__lt=period.end).filter(
            Q(left_on__isnull=True) | Q(left_on__gt=period.start)
        )
    )
    changes = membership.scheduled_changes.filter(status=ChangeStatus.SCHEDULED).order_by(
        "effective_on", "id"
    )
    return _terms(membership, day, period, rows, list(changes), _past_due_keeps())


def memberships_billing_terms(*, days: dict[int, date]) -> dict[int, BillingTerms]:
    """`membership_billing_terms` for many memberships at once, each on its own day (by
    membership id): the same terms, read in at most seven queries whatever the number (a
    billing run's batch)."""
    # The few plans, prices and sponsors a batch shares are read once each (prefetch), not
    # once per membership (a join), and of each member only what the terms say.
    memberships = list(
        Membership.objects.prefetch_related("plan", "price", "sponsor").filter(pk__in=list(days))
    )
    periods = {m.pk: _period(m, days[m.pk]) for m in memberships}
    rows: dict[int, list[_MemberRow]] = {m.pk: [] for m in memberships}
    for row in _member_rows(MembershipMember.objects.filter(membership_id__in=list(periods))):
        period = periods[row.membership_id]
        if row.joined_on < period.end and (row.left_on is None or row.left_on > period.start):
            rows[row.membership_id].append(row)
    changes: dict[int, list[ScheduledChange]] = {m.pk: [] for m in memberships}
    for change in ScheduledChange.objects.filter(
        membership_id__in=list(periods), status=ChangeStatus.SCHEDULED
    ).order_by("effective_on", "id"):
        changes[change.membership_id].append(change)
    keeps = _past_due_keeps()
    return {
        m.pk: _terms(m, days[m.pk], periods[m.pk], rows[m.pk], changes[m.pk], keeps)
        for m in memberships
    }


class _MemberRow(NamedTuple):
    """What the terms read of a coverage row and its patient."""

    membership_id: int
    patient_id: int
    role: str
    joined_on: date
    left_on: date | None
    given_name: str
    family_name: str
    date_of_birth: date


def _member_rows(rows: QuerySet[MembershipMember]) -> list[_MemberRow]:
    """The coverage rows as plain values, in id order: a batch reads hundreds, and model
    instances of them and their patients cost more than the rest of the terms."""
    return [
        _MemberRow(*values)
        for values in rows.order_by("id").values_list(
            "membership_id",
            "patient_id",
            "role",
            "joined_on",
            "left_on",
            "patient__legal_given_name",
            "patient__legal_family_name",
            "patient__date_of_birth",
        )
    ]


def _period(membership: Membership, day: date) -> Period:
    return billing_period(
        start_date=membership.start_date,
        anchor=membership.anchor_date,
        anchor_day=membership.anchor_day,
        interval=Interval(membership.interval),
        day=max(day, membership.start_date),
    )


def _past_due_keeps() -> bool:
    return membership_settings().past_due_coverage == PastDueCoverage.KEEP


def _terms(
    membership: Membership,
    day: date,
    period: Period,
    rows: list[_MemberRow],
    scheduled: list[ScheduledChange],
    past_due_keeps: bool,
) -> BillingTerms:
    """The terms from the rows read (the members covered in `period`, in id order, and the
    scheduled changes in the order they take effect)."""
    interval = Interval(membership.interval)
    price = membership.price
    members = tuple(
        BillingMember(
            patient_id=row.patient_id,
            name=full_name(row.given_name, row.family_name),
            role=MemberRole(row.role),
            age_at_period_start=age_on(row.date_of_birth, period.start),
            joined_on=row.joined_on,
            left_on=row.left_on,
            amount=member_amount(price, row.role),
        )
        for row in rows
    )
    covering_on_day = [
        member
        for member in members
        if member.joined_on <= day and (member.left_on is None or member.left_on > day)
    ]
    period_amount = sum(member.amount for member in covering_on_day)
    sponsor_terms = None
    sponsor_amount = 0
    sponsor = membership.sponsor
    if sponsor is not None:
        if sponsor.share == SponsorShare.ALL or sponsor.fixed_share_amount is None:
            sponsor_amount = period_amount
        else:
            per_member = sponsor.fixed_share_amount * INTERVAL_MONTHS[interval]
            sponsor_amount = min(period_amount, per_member * len(covering_on_day))
        sponsor_terms = SponsorShareTerms(
            sponsor_id=sponsor.pk,
            sponsor_name=sponsor.name,
            share=SponsorShare(sponsor.share),
            fixed_amount_per_member_per_month=sponsor.fixed_share_amount,
            amount=sponsor_amount,
        )
    status = MembershipStatus(membership.status)
    covering = status in COVERING and (status != MembershipStatus.PAST_DUE or past_due_keeps)
    changes = tuple(
        BillingScheduledChange(
            id=change.pk,
            kind=ChangeKind(change.kind),
            effective_on=change.effective_on,
            notice_on=change.notice_on,
            details=details_for(change),
        )
        for change in scheduled
    )
    return BillingTerms(
        membership_id=membership.pk,
        status=status,
        covering=covering,
        plan_id=membership.plan_id,
        plan_code=membership.plan.code,
        plan_name=membership.plan.name,
        plan_renews=membership.plan.renews,
        interval=interval,
        interval_months=INTERVAL_MONTHS[interval],
        start_date=membership.start_date,
        anchor_date=membership.anchor_date,
        anchor_day=membership.anchor_day,
        current_period=period,
        price=BillingPrice(
            price_id=price.pk,
            version=price.version,
            currency=membership.plan.currency,
            primary_amount=price.amount,
            additional_adult_amount=price.additional_adult_amount,
            child_amount=price.child_amount,
            child_age_limit=price.child_age_limit,
            enrollment_fee=membership.plan.enrollment_fee,
        ),
        members=members,
        period_amount=period_amount,
        payer_patient_id=membership.payer_patient_id,
        sponsor=sponsor_terms,
        payer_amount=period_amount - sponsor_amount,
        pause_fee_per_month=membership.plan.pause_fee_per_month,
        paused_on=membership.paused_on,
        resumes_on=membership.resumes_on,
        cancelled_on=membership.cancelled_on,
        ended_on=membership.ended_on,
        scheduled_changes=changes,
    )


def membership_overage_uses(*, membership: Membership, period: Period) -> list[OverageUse]:
    """Uses beyond the allowance that happened in `period` and were not reversed."""
    return memberships_overage_uses(periods={membership.pk: period})[membership.pk]


def memberships_overage_uses(*, periods: dict[int, Period]) -> dict[int, list[OverageUse]]:
    """`membership_overage_uses` for many memberships at once, each over its own period (by
    membership id), in one query."""
    found: dict[int, list[OverageUse]] = {membership_id: [] for membership_id in periods}
    if not periods:
        return found
    entries = (
        EntitlementEntry.objects.filter(
            membership_id__in=list(periods),
            kind=EntryKind.OVERAGE,
            occurred_on__gte=min(period.start for period in periods.values()),
            occurred_on__lt=max(period.end for period in periods.values()),
        )
        .exclude(settled_by__kind=EntryKind.REVERSE)
        .select_related("service")
        .order_by("occurred_on", "id")
    )
    for entry in entries:
        period = periods[entry.membership_id]
        if not period.start <= entry.occurred_on < period.end:
            continue
        found[entry.membership_id].append(
            OverageUse(
                entry_id=entry.pk,
                patient_id=entry.patient_id,
                service_id=entry.service_id,
                service_name=entry.service.name,
                occurred_on=entry.occurred_on,
                quantity=entry.quantity,
                unit_price=entry.unit_price or 0,
                amount=entry.quantity * (entry.unit_price or 0),
                source_type=entry.source_type,
                source_id=entry.source_id,
            )
        )
    return found


def memberships_with_overage_uses(*, until: date) -> list[int]:
    """The ids of memberships with a use beyond the allowance on or before `until` that was
    not reversed, billed or not (billing knows which it has charged)."""
    return list(
        EntitlementEntry.objects.filter(kind=EntryKind.OVERAGE, occurred_on__lte=until)
        .exclude(settled_by__kind=EntryKind.REVERSE)
        .order_by("membership_id")
        .values_list("membership_id", flat=True)
        .distinct()
    )
