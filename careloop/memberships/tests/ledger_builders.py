"""Builders for ledger tests: catalog rows and memberships made straight with the ORM.

The ledger is tested on its own, so these skip the enrollment service on purpose.
"""

import itertools
from datetime import date
from typing import Any

from careloop.core import clock
from careloop.memberships.models import (
    Benefit,
    MemberRole,
    Membership,
    MembershipMember,
    MembershipSettings,
    MembershipStatus,
    Plan,
    PlanKind,
    PlanPrice,
    PlanStatus,
    Service,
    ServiceKind,
)
from careloop.patients.models import Patient

_numbers = itertools.count(1)


def make_service(
    *,
    name: str = "Provider visit",
    kind: ServiceKind = ServiceKind.PROVIDER_VISIT,
    price: int = 15000,
) -> Service:
    number = next(_numbers)
    return Service.objects.create(
        code=f"{kind.value.replace('_', '-')}-{number}",
        name=name,
        kind=kind,
        a_la_carte_price=price,
    )


def make_plan(*, name: str = "Active Care", kind: PlanKind = PlanKind.TIER) -> Plan:
    number = next(_numbers)
    now = clock.now()
    plan = Plan.objects.create(
        code=f"plan-{number}",
        name=name,
        kind=kind,
        status=PlanStatus.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    PlanPrice.objects.create(plan=plan, interval="monthly", version=1, amount=9900, created_at=now)
    return plan


def add_benefit(plan: Plan, service: Service, **fields: Any) -> Benefit:
    fields.setdefault("allowance", 2)
    return Benefit.objects.create(plan=plan, service=service, **fields)


def make_membership(
    *,
    plan: Plan,
    members: list[Patient],
    start_date: date = date(2027, 1, 1),
    anchor_date: date | None = None,
    anchor_day: int | None = None,
    status: MembershipStatus = MembershipStatus.ACTIVE,
) -> Membership:
    anchor = anchor_date or start_date
    now = clock.now()
    membership = Membership.objects.create(
        plan=plan,
        price=plan.prices.get(interval="monthly", current=True),
        interval="monthly",
        payer_patient=members[0],
        status=status,
        start_date=start_date,
        anchor_date=anchor,
        anchor_day=anchor_day or anchor.day,
        created_at=now,
        updated_at=now,
    )
    for index, patient in enumerate(members):
        MembershipMember.objects.create(
            membership=membership,
            patient=patient,
            role=MemberRole.PRIMARY if index == 0 else MemberRole.ADULT,
            plan=plan,
            plan_kind=plan.kind,
            joined_on=start_date,
        )
    return membership


def set_status(membership: Membership, status: MembershipStatus) -> None:
    Membership.objects.filter(pk=membership.pk).update(status=status)
    membership.refresh_from_db()


def set_past_due_coverage(policy: str) -> None:
    MembershipSettings.objects.update_or_create(id=1, defaults={"past_due_coverage": policy})
