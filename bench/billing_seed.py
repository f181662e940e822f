"""Synthetic memberships due on one day, for the billing-run benchmark (bench/billing_run.py).

Bulk-inserts through the models, deterministic by the random seed: the demo catalog (through
the catalog services), then per membership its patients (a household's head, another adult
and up to two children), the payer's billing account and sandbox card, the membership, its
members, its enrollment in the status history and its billing row with `next_bill_on` on the
run's day. The mix: 80% monthly single memberships, 15% annual, 5% monthly households; 5% of
cards decline (insufficient funds); 2% of memberships have a change scheduled for the run's
day (a plan change, an interval change to annual, a cancellation or a pause). Monthly
memberships started 1 to 24 months before the run's day, annual ones 1 to 3 years before, all
anchored on its day of the month, so the run's day starts a new period for every one.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from bench.patient_search import synthetic_people

if TYPE_CHECKING:
    from careloop.memberships.models import PlanPrice

BATCH = 2_000
MONTHLY_SHARE = 0.80
ANNUAL_SHARE = 0.15  # the rest are monthly households
DECLINING_SHARE = 0.05
SCHEDULED_CHANGE_SHARE = 0.02
# Tier of each membership: Essentials, Active Care, Concierge.
TIER_WEIGHTS = (("essentials", 50), ("active-care", 35), ("concierge", 15))
# What the scheduled changes due on the run's day do.
CHANGE_WEIGHTS = (("plan_change", 35), ("interval_change", 25), ("cancel", 20), ("pause", 20))


@dataclass(frozen=True)
class Seeded:
    memberships: int
    monthly: int
    annual: int
    households: int
    patients: int
    declining_cards: int
    scheduled_changes: int


@dataclass(frozen=True)
class _Shape:
    kind: str  # monthly, annual, household
    tier: str
    declines: bool
    change: str | None
    months_ago: int
    household_size: int


def _shapes(count: int, rng: random.Random) -> list[_Shape]:
    monthly = round(count * MONTHLY_SHARE)
    annual = round(count * ANNUAL_SHARE)
    kinds = ["monthly"] * monthly + ["annual"] * annual + ["household"] * (count - monthly - annual)
    rng.shuffle(kinds)
    declining = set(rng.sample(range(count), round(count * DECLINING_SHARE)))
    monthly_singles = [index for index, kind in enumerate(kinds) if kind == "monthly"]
    changes_due = min(len(monthly_singles), round(count * SCHEDULED_CHANGE_SHARE))
    changing = set(rng.sample(monthly_singles, changes_due))
    tiers = [tier for tier, _ in TIER_WEIGHTS]
    tier_weights = [weight for _, weight in TIER_WEIGHTS]
    changes = [change for change, _ in CHANGE_WEIGHTS]
    change_weights = [weight for _, weight in CHANGE_WEIGHTS]
    shapes = []
    for index, kind in enumerate(kinds):
        shapes.append(
            _Shape(
                kind=kind,
                tier=rng.choices(tiers, tier_weights)[0],
                declines=index in declining,
                change=rng.choices(changes, change_weights)[0] if index in changing else None,
                months_ago=12 * rng.randint(1, 3) if kind == "annual" else rng.randint(1, 24),
                household_size=rng.randint(3, 4) if kind == "household" else 1,
            )
        )
    return shapes


def _months_before(day: date, months: int) -> date:
    from careloop.billing.proration import add_months

    return add_months(day, -months)


def seed_due_memberships(*, count: int, as_of: date, rng: random.Random) -> Seeded:
    """Create `count` memberships whose next period starts on `as_of` (see the module doc)."""
    from django.db import transaction

    from careloop.accounts.models import User
    from careloop.accounts.roles import Role
    from careloop.billing.models import (
        BillingAccount,
        BillingSettings,
        MembershipBilling,
        PaymentMethod,
    )
    from careloop.core.models import ClinicSettings
    from careloop.demo.catalog import demo_catalog_seed
    from careloop.memberships.models import (
        CancellationReason,
        MemberRole,
        Membership,
        MembershipMember,
        MembershipSettings,
        MembershipStatus,
        PlanPrice,
        ScheduledChange,
        StatusChange,
    )
    from careloop.memberships.periods import Interval
    from careloop.patients.models import Household, Patient
    from careloop.patients.search import fold_search_columns

    admin = User.objects.create_user(username="bench.admin", role=Role.ADMIN)
    plans = demo_catalog_seed(admin=admin).plans
    ClinicSettings.objects.get_or_create(id=1)
    MembershipSettings.objects.get_or_create(id=1)
    BillingSettings.objects.get_or_create(id=1)
    prices = {
        (price.plan.code, price.interval): price
        for price in PlanPrice.objects.filter(current=True).select_related("plan")
    }
    ranks = {code: plan.rank for code, plan in plans.items()}
    reason = CancellationReason.objects.get(code="moving-away")
    shapes = _shapes(count, rng)
    people = synthetic_people(sum(shape.household_size for shape in shapes), rng)
    created = datetime(as_of.year - 4, 1, 1, tzinfo=UTC)
    now = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) - timedelta(days=1)

    next_person = 0
    summary = {"monthly": 0, "annual": 0, "household": 0}
    for first in range(0, count, BATCH):
        chunk = shapes[first : first + BATCH]
        with transaction.atomic():
            patients: list[list[Patient]] = []
            for shape in chunk:
                summary[shape.kind] += 1
                members = []
                for position in range(shape.household_size):
                    person = people[next_person]
                    next_person += 1
                    born = person.date_of_birth
                    if position >= 2:  # children in a household
                        born = as_of - timedelta(days=365 * rng.randint(2, 12) + rng.randrange(365))
                    elif born > as_of - timedelta(days=365 * 19):
                        born = as_of - timedelta(days=365 * 30)
                    patient = Patient(
                        legal_given_name=person.given,
                        legal_family_name=person.family,
                        date_of_birth=born,
                        sex_at_birth="unknown",
                        email=person.email,
                        mobile_phone=person.phone,
                        created_at=created,
                        updated_at=created,
                    )
                    fold_search_columns(patient)
                    members.append(patient)
                patients.append(members)
            Patient.objects.bulk_create([p for members in patients for p in members])
            households = Household.objects.bulk_create(
                Household(
                    name=f"{members[0].legal_family_name} household",
                    head=members[0],
                    created_at=created,
                )
                for members in patients
                if len(members) > 1
            )
            heads = iter(households)
            for members in patients:
                if len(members) > 1:
                    household = next(heads)
                    for patient in members:
                        patient.household = household
            Patient.objects.bulk_update(
                [p for members in patients if len(members) > 1 for p in members], ["household"]
            )

            accounts = BillingAccount.objects.bulk_create(
                BillingAccount(
                    patient=members[0],
                    currency="USD",
                    gateway="sandbox",
                    gateway_customer=f"cus_sandbox_bench{number:07d}",
                    created_at=created,
                )
                for number, members in enumerate(patients, start=first)
            )
            PaymentMethod.objects.bulk_create(
                PaymentMethod(
                    account=account,
                    gateway="sandbox",
                    token=(
                        f"pm_sandbox_{'insufficient_funds' if shape.declines else 'success'}"
                        f"_bench{number:07d}"
                    ),
                    brand="visa",
                    last4="9995" if shape.declines else "4242",
                    exp_month=12,
                    exp_year=as_of.year + 3,
                    is_default=True,
                    created_at=created,
                )
                for number, (shape, account) in enumerate(zip(chunk, accounts, strict=True), first)
            )

            memberships = []
            for shape, members in zip(chunk, patients, strict=True):
                interval = Interval.ANNUAL if shape.kind == "annual" else Interval.MONTHLY
                start = _months_before(as_of, shape.months_ago)
                memberships.append(
                    Membership(
                        plan=plans[shape.tier],
                        price=prices[(shape.tier, interval.value)],
                        interval=interval,
                        payer_patient=members[0],
                        status=MembershipStatus.ACTIVE,
                        start_date=start,
                        anchor_date=start,
                        anchor_day=as_of.day,
                        created_at=created,
                        updated_at=created,
                    )
                )
            Membership.objects.bulk_create(memberships)
            MembershipMember.objects.bulk_create(
                MembershipMember(
                    membership=membership,
                    patient=patient,
                    role=(
                        MemberRole.PRIMARY
                        if position == 0
                        else MemberRole.ADULT
                        if position == 1
                        else MemberRole.CHILD
                    ),
                    plan=membership.plan,
                    plan_kind=membership.plan.kind,
                    joined_on=membership.start_date,
                )
                for membership, members in zip(memberships, patients, strict=True)
                for position, patient in enumerate(members)
            )
            StatusChange.objects.bulk_create(
                StatusChange(
                    membership=membership,
                    action="enroll",
                    from_status="",
                    to_status=MembershipStatus.ACTIVE,
                    effective_on=membership.start_date,
                    recorded_at=created,
                )
                for membership in memberships
            )
            MembershipBilling.objects.bulk_create(
                MembershipBilling(
                    membership=membership,
                    account=account,
                    billed_through=as_of,
                    next_bill_on=as_of,
                    updated_at=now,
                )
                for membership, account in zip(memberships, accounts, strict=True)
            )
            ScheduledChange.objects.bulk_create(
                ScheduledChange(
                    membership=membership,
                    kind=shape.change,
                    effective_on=as_of,
                    details=_change_details(shape, prices, ranks, reason.pk, as_of),
                    created_at=now,
                    created_by=admin,
                )
                for shape, membership in zip(chunk, memberships, strict=True)
                if shape.change is not None
            )
    return Seeded(
        memberships=count,
        monthly=summary["monthly"],
        annual=summary["annual"],
        households=summary["household"],
        patients=next_person,
        declining_cards=sum(shape.declines for shape in shapes),
        scheduled_changes=sum(shape.change is not None for shape in shapes),
    )


def _change_details(
    shape: _Shape,
    prices: dict[tuple[str, str], "PlanPrice"],
    ranks: dict[str, int],
    reason_id: int,
    as_of: date,
) -> dict[str, object]:
    """The JSON a scheduled change of this kind carries (careloop.memberships.changes)."""
    from careloop.billing.proration import add_months

    if shape.change == "plan_change":
        target = "active-care" if shape.tier != "active-care" else "essentials"
        price = prices[(target, "monthly")]
        return {
            "plan_id": price.plan_id,
            "price_id": price.pk,
            "upgrade": ranks[target] > ranks[shape.tier],
        }
    if shape.change == "interval_change":
        return {"interval": "annual", "price_id": prices[(shape.tier, "annual")].pk}
    if shape.change == "cancel":
        return {"reason_id": reason_id, "note": ""}
    return {"resumes_on": add_months(as_of, 1).isoformat()}
