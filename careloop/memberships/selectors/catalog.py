"""Reads of the catalog: plans with their member counts, price history, benefits, settings."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from careloop.memberships.models import (
    Benefit,
    CancellationReason,
    Membership,
    MembershipSettings,
    MembershipStatus,
    Plan,
    PlanPrice,
    RosterEntry,
    Service,
    Sponsor,
)
from careloop.memberships.periods import Interval

# Memberships that still hold a plan: everything but ended ones.
_HELD = ~Q(memberships__status=MembershipStatus.ENDED)


def membership_settings() -> MembershipSettings:
    """The clinic's one settings row, created with defaults on first use."""
    row = MembershipSettings.objects.order_by("id").first()
    if row is None:
        row, _ = MembershipSettings.objects.get_or_create(id=1)
    return row


def price_in_use(price: PlanPrice) -> bool:
    """Whether any membership, of any status, was sold at this price version."""
    return Membership.objects.filter(price=price).exists()


def plans_with_counts() -> QuerySet[Plan]:
    """Every plan, each annotated with `membership_count` (memberships not ended)."""
    return Plan.objects.annotate(
        membership_count=Count("memberships", filter=_HELD, distinct=True)
    ).order_by("kind", "-status", "rank", "name")


@dataclass(frozen=True)
class IntervalPrices:
    """One billing interval of a plan: its current version and every earlier one."""

    interval: Interval
    current: PlanPrice | None
    history: list[PlanPrice]
    membership_counts: dict[int, int]


def plan_price_table(plan: Plan) -> list[IntervalPrices]:
    """For each billing interval, the current price and its version history, newest first."""
    prices = list(PlanPrice.objects.filter(plan=plan).order_by("interval", "-version"))
    counts = dict(
        Membership.objects.filter(price__in=prices)
        .values_list("price_id")
        .annotate(count=Count("id"))
        .values_list("price_id", "count")
    )
    table = []
    for interval in Interval:
        versions = [price for price in prices if price.interval == interval]
        current = next((price for price in versions if price.current), None)
        table.append(
            IntervalPrices(
                interval=interval,
                current=current,
                history=versions,
                membership_counts={price.id: counts.get(price.id, 0) for price in versions},
            )
        )
    return table


def plan_benefits(plan: Plan) -> list[Benefit]:
    return list(Benefit.objects.filter(plan=plan).select_related("service"))


def services_list(*, active_only: bool = False) -> QuerySet[Service]:
    services = Service.objects.order_by("name")
    return services.filter(active=True) if active_only else services


def cancellation_reasons(*, active_only: bool = False) -> QuerySet[CancellationReason]:
    reasons = CancellationReason.objects.order_by("label")
    return reasons.filter(active=True) if active_only else reasons


def sponsors_with_counts() -> QuerySet[Sponsor]:
    """Every sponsor with `open_roster_count`: roster entries not terminated."""
    return Sponsor.objects.annotate(
        open_roster_count=Count("roster", filter=Q(roster__terminated_on__isnull=True))
    ).order_by("-active", "name")


def sponsor_roster(sponsor: Sponsor) -> list[RosterEntry]:
    """The sponsor's roster, open entries first, then by family and given name."""
    return list(
        RosterEntry.objects.filter(sponsor=sponsor)
        .select_related("patient")
        .order_by(
            "terminated_on",
            "patient__search_family",
            "patient__search_given",
            "effective_on",
        )
    )
