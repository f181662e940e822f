"""Entitlement ledger writes used by the lifecycle: period grants and closing a membership.

A minimal version of the two functions the lifecycle needs; the full ledger (holds, uses,
rollover, expiry) replaces this module.
"""

from datetime import date

from django.db.models import Q

from careloop.core import clock
from careloop.memberships.lifecycle import COVERING
from careloop.memberships.models import (
    EntitlementEntry,
    EntryKind,
    Membership,
    MembershipStatus,
)
from careloop.memberships.models.catalog import ALLOWANCE_PERIOD_MONTHS, AllowancePeriod
from careloop.memberships.periods import Interval, billing_period, period_containing


def entitlement_grant_period(*, membership: Membership, on: date) -> list[EntitlementEntry]:
    """Grant each open member the allowances of the period containing `on`; idempotent.

    Grants nothing unless the membership covers its members; unlimited benefits need no grant.
    """
    if membership.status not in COVERING:
        return []
    members = membership.members.filter(Q(left_on__isnull=True) | Q(left_on__gt=on)).filter(
        joined_on__lte=on
    )
    granted = []
    for benefit in membership.plan.benefits.select_related("service"):
        if benefit.allowance is None or benefit.allowance == 0:
            continue
        months = ALLOWANCE_PERIOD_MONTHS.get(AllowancePeriod(benefit.allowance_period))
        if months is None:
            period = billing_period(
                start_date=membership.start_date,
                anchor=membership.anchor_date,
                anchor_day=membership.anchor_day,
                interval=Interval(membership.interval),
                day=on,
            )
        else:
            period = period_containing(
                anchor=membership.anchor_date,
                anchor_day=membership.anchor_day,
                months=months,
                day=on,
            )
        for member in members:
            entry, created = EntitlementEntry.objects.get_or_create(
                membership=membership,
                patient_id=member.patient_id,
                service=benefit.service,
                period_start=period.start,
                kind=EntryKind.GRANT,
                defaults={
                    "benefit": benefit,
                    "quantity": benefit.allowance,
                    "period_end": period.end,
                    "occurred_on": on,
                    "recorded_at": clock.now(),
                },
            )
            if created:
                granted.append(entry)
    return granted


def entitlement_close_membership(*, membership: Membership, on: date) -> None:
    """Release every hold of the membership that no use or release has settled yet."""
    open_holds = EntitlementEntry.objects.filter(
        membership=membership, kind=EntryKind.HOLD, settled_by__isnull=True
    )
    for hold in open_holds:
        EntitlementEntry.objects.create(
            membership=membership,
            patient_id=hold.patient_id,
            service_id=hold.service_id,
            benefit_id=hold.benefit_id,
            kind=EntryKind.RELEASE,
            quantity=hold.quantity,
            period_start=hold.period_start,
            period_end=hold.period_end,
            occurred_on=on,
            source_type=hold.source_type,
            source_id=hold.source_id,
            settles=hold,
            note=f"Coverage closed ({MembershipStatus(membership.status).label.lower()})",
            recorded_at=clock.now(),
        )
