"""Entitlement balances, derived from the ledger with aggregate queries; nothing is stored.

For one member, one service and one allowance period:

    granted      GRANT entries
    rolled_over  ROLLOVER entries (unused uses carried in from earlier periods)
    expired      EXPIRE entries (rolled-over uses whose time ran out)
    held         HOLD entries not yet settled by a use or a release
    used         uses (CONSUME) minus their reversals
    overage      uses beyond the allowance (OVERAGE) minus their reversals
    rolled_out   unused uses carried into the next period (ROLLOVER entries settling this
                 period's grant or rollovers)
    available    granted + rolled_over - expired - rolled_out - held - used (None when unlimited)
"""

from dataclasses import dataclass
from datetime import date
from functools import cache

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from careloop.core.errors import NotFound
from careloop.memberships.models import (
    Benefit,
    EntitlementEntry,
    EntryKind,
    Membership,
    MembershipMember,
    Service,
)
from careloop.memberships.models.catalog import ALLOWANCE_PERIOD_MONTHS, AllowancePeriod
from careloop.memberships.periods import Period, month_boundary, period_containing
from careloop.patients.models import Patient

# A per-term allowance has no end while the membership lasts. A fixed, far end (rather than
# `ended_on`, which changes when a membership is cancelled or reactivated) keeps the period of
# a term grant stable, so its unique grant row stays the same row.
TERM_YEARS = 100


@dataclass(frozen=True)
class Balance:
    available: int | None
    held: int
    used: int
    granted: int
    rolled_over: int
    expired: int
    overage: int
    period: Period
    # Unused uses carried into the next period: they left this period's balance.
    rolled_out: int = 0

    @property
    def unlimited(self) -> bool:
        return self.available is None


@dataclass(frozen=True)
class MemberBalance:
    """One member's balance of one benefit, for the membership card."""

    patient_id: int
    benefit: Benefit
    balance: Balance


def allowance_period(*, membership: Membership, benefit: Benefit, day: date) -> Period:
    """The allowance period of `benefit` containing `day`, stepped from the membership's anchor.

    Days before the anchor date (the stub when billing is on a clinic-wide day) form one period
    from the start date to the anchor date, as the stub billing period does.
    """
    if benefit.allowance_period == AllowancePeriod.TERM:
        start = membership.start_date
        return Period(start, month_boundary(start, start.day, TERM_YEARS * 12))
    if membership.start_date <= day < membership.anchor_date:
        return Period(membership.start_date, membership.anchor_date)
    return period_containing(
        anchor=membership.anchor_date,
        anchor_day=membership.anchor_day,
        months=ALLOWANCE_PERIOD_MONTHS[AllowancePeriod(benefit.allowance_period)],
        day=day,
    )


def _total(condition: Q) -> Coalesce:
    return Coalesce(
        Sum(Case(When(condition, then="quantity"), default=Value(0), output_field=IntegerField())),
        Value(0),
    )


TOTALS = {
    "granted": _total(Q(kind=EntryKind.GRANT)),
    "rolled_over": _total(Q(kind=EntryKind.ROLLOVER)),
    "expired": _total(Q(kind=EntryKind.EXPIRE)),
    "holds": _total(Q(kind=EntryKind.HOLD)),
    "releases": _total(Q(kind=EntryKind.RELEASE)),
    "settled_holds": _total(Q(kind=EntryKind.CONSUME, settles__isnull=False)),
    "consumed": _total(Q(kind=EntryKind.CONSUME)),
    "reversed_uses": _total(Q(kind=EntryKind.REVERSE, settles__kind=EntryKind.CONSUME)),
    "overages": _total(Q(kind=EntryKind.OVERAGE)),
    "reversed_overages": _total(Q(kind=EntryKind.REVERSE, settles__kind=EntryKind.OVERAGE)),
    "rolled_out": Coalesce(
        Sum(
            Case(
                When(settled_by__kind=EntryKind.ROLLOVER, then="settled_by__quantity"),
                default=Value(0),
                output_field=IntegerField(),
            )
        ),
        Value(0),
    ),
}


def _balance_from(totals: dict[str, int], *, unlimited: bool, period: Period) -> Balance:
    held = totals["holds"] - totals["releases"] - totals["settled_holds"]
    used = totals["consumed"] - totals["reversed_uses"]
    available = (
        None
        if unlimited
        else totals["granted"]
        + totals["rolled_over"]
        - totals["expired"]
        - totals["rolled_out"]
        - held
        - used
    )
    return Balance(
        available=available,
        held=held,
        used=used,
        granted=totals["granted"],
        rolled_over=totals["rolled_over"],
        expired=totals["expired"],
        overage=totals["overages"] - totals["reversed_overages"],
        period=period,
        rolled_out=totals["rolled_out"],
    )


def period_entries(
    *, membership: Membership, patient_id: int, service_id: int, period: Period
) -> QuerySet[EntitlementEntry]:
    return EntitlementEntry.objects.filter(
        membership=membership,
        patient_id=patient_id,
        service_id=service_id,
        period_start=period.start,
    )


@cache
def _balance_sql() -> str:
    """The balance aggregate as one plain statement, written out once.

    The ORM spends longer compiling the eleven conditional sums than the database spends
    running them (coverage checks sit on every booking screen), so the hot path sends this
    text; TOTALS above is the same sum for grouped reads. Both are checked against a sum
    recomputed from raw entries in the property tests.
    """
    table = EntitlementEntry._meta.db_table

    def total(condition: str, value: str = "entry.quantity") -> str:
        return f"COALESCE(SUM(CASE WHEN {condition} THEN {value} ELSE 0 END), 0)"

    columns = [
        total("entry.kind = 'grant'"),
        total("entry.kind = 'rollover'"),
        total("entry.kind = 'expire'"),
        total("entry.kind = 'hold'"),
        total("entry.kind = 'release'"),
        total("entry.kind = 'consume' AND entry.settles_id IS NOT NULL"),
        total("entry.kind = 'consume'"),
        total("entry.kind = 'reverse' AND settled.kind = 'consume'"),
        total("entry.kind = 'overage'"),
        total("entry.kind = 'reverse' AND settled.kind = 'overage'"),
        total("follower.kind = 'rollover'", "follower.quantity"),
    ]
    # Only the model's own table name and fixed text are interpolated; values are parameters.
    return (
        f"SELECT {', '.join(columns)} FROM {table} entry"  # noqa: S608
        f" LEFT JOIN {table} settled ON settled.id = entry.settles_id"
        f" LEFT JOIN {table} follower ON follower.settles_id = entry.id"
        " WHERE entry.membership_id = %s AND entry.patient_id = %s"
        " AND entry.service_id = %s AND entry.period_start = %s"
    )


def benefit_balance(
    *, membership: Membership, patient_id: int, benefit: Benefit, period: Period
) -> Balance:
    """The balance of one benefit in one period: one aggregate query."""
    start = connection.ops.adapt_datefield_value(period.start)
    with connection.cursor() as cursor:
        cursor.execute(_balance_sql(), [membership.pk, patient_id, benefit.service_id, start])
        row = cursor.fetchone()
    totals = dict(zip(TOTALS, (int(value) for value in row), strict=True))
    return _balance_from(totals, unlimited=benefit.allowance is None, period=period)


def balance(*, membership: Membership, patient: Patient, service: Service, on: date) -> Balance:
    """The member's balance of `service` in the allowance period containing `on`."""
    benefit = (
        Benefit.objects.filter(plan_id=membership.plan_id, service=service)
        .select_related("service")
        .first()
    )
    if benefit is None:
        raise NotFound(f"{membership.plan.name} does not include {service.name.lower()}.")
    period = allowance_period(membership=membership, benefit=benefit, day=on)
    return benefit_balance(
        membership=membership, patient_id=patient.id, benefit=benefit, period=period
    )


def member_balances(*, membership: Membership, on: date) -> list[MemberBalance]:
    """Every benefit's balance for every member covered on `on`, in one aggregate query.

    Ordered by member (as they joined) and then by the plan's benefit order.
    """
    benefits = list(
        Benefit.objects.filter(plan_id=membership.plan_id)
        .select_related("service")
        .order_by("service__name")
    )
    members = list(
        MembershipMember.objects.filter(membership=membership, joined_on__lte=on)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=on))
        .order_by("joined_on", "id")
        .values_list("patient_id", flat=True)
    )
    if not benefits or not members:
        return []
    periods = {
        benefit.id: allowance_period(membership=membership, benefit=benefit, day=on)
        for benefit in benefits
    }
    wanted = Q()
    for benefit in benefits:
        wanted |= Q(service_id=benefit.service_id, period_start=periods[benefit.id].start)
    rows = (
        EntitlementEntry.objects.filter(membership=membership, patient_id__in=members)
        .filter(wanted)
        .order_by()
        .values("patient_id", "service_id", "period_start")
        .annotate(**TOTALS)
    )
    found = {(row["patient_id"], row["service_id"], row["period_start"]): row for row in rows}
    empty = dict.fromkeys(TOTALS, 0)
    balances = []
    for patient_id in members:
        for benefit in benefits:
            period = periods[benefit.id]
            totals = found.get((patient_id, benefit.service_id, period.start), empty)
            balances.append(
                MemberBalance(
                    patient_id=patient_id,
                    benefit=benefit,
                    balance=_balance_from(
                        totals, unlimited=benefit.allowance is None, period=period
                    ),
                )
            )
    return balances
