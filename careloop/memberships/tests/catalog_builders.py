"""Builders for catalog tests: a service, a plan with a price, and a membership made directly."""

from datetime import date
from typing import Any

from careloop.accounts.models import User
from careloop.core import clock
from careloop.memberships.models import (
    Membership,
    MembershipStatus,
    Plan,
    PlanPrice,
    Service,
    ServiceKind,
)
from careloop.memberships.services.catalog import plan_create, plan_price_set, service_create
from careloop.patients.models import Patient


def a_service(actor: User, code: str = "provider-visit", **fields: Any) -> Service:
    values: dict[str, Any] = {
        "code": code,
        "name": code.replace("-", " ").capitalize(),
        "kind": ServiceKind.PROVIDER_VISIT,
        "a_la_carte_price": 15000,
    } | fields
    return service_create(actor=actor, **values)


def a_plan(
    actor: User, code: str = "essentials", *, price: int | None = 9900, **fields: Any
) -> Plan:
    values: dict[str, Any] = {"code": code, "name": code.replace("-", " ").title()} | fields
    plan = plan_create(actor=actor, **values)
    if price is not None:
        plan_price_set(actor=actor, plan=plan, interval="monthly", amount=price)
    return plan


def a_membership(plan: Plan, patient: Patient, price: PlanPrice | None = None) -> Membership:
    """A membership written straight to the database, as enrollment would leave it."""
    now = clock.now()
    chosen = price or plan.prices.get(interval="monthly", current=True)
    return Membership.objects.create(
        plan=plan,
        price=chosen,
        interval=chosen.interval,
        payer_patient=patient,
        status=MembershipStatus.ACTIVE,
        start_date=date(2025, 1, 15),
        anchor_date=date(2025, 1, 15),
        anchor_day=15,
        created_at=now,
        updated_at=now,
    )
