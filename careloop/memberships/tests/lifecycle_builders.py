"""Plans, households and memberships for the lifecycle tests (synthetic data only)."""

from datetime import UTC, date, datetime
from typing import Any

from careloop.accounts.models import User
from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.memberships.models import (
    Benefit,
    CancellationReason,
    EntitlementEntry,
    MemberRole,
    Membership,
    MembershipMember,
    Plan,
    PlanPrice,
    ScheduledChange,
    Service,
    StatusChange,
)
from careloop.memberships.periods import Interval
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.memberships.services.lifecycle import ChangeOutcome
from careloop.patients.models import Household, Patient
from careloop.testing.factories import make_patient

NEW_YEAR = datetime(2026, 1, 1, 15, tzinfo=UTC)
MARCH_FIRST = datetime(2026, 3, 1, 15, tzinfo=UTC)


def freeze_on(day: date) -> None:
    clock.freeze(datetime(day.year, day.month, day.day, 15, tzinfo=UTC))


def make_plan(
    *,
    code: str,
    rank: int,
    monthly: int = 10_000,
    quarterly: int | None = 28_000,
    annual: int | None = 100_000,
    status: str = "active",
    pause_allowed: bool = True,
    pause_longest_months: int = 3,
    child_age_limit: int = 18,
    **fields: Any,
) -> Plan:
    now = clock.now()
    plan = Plan.objects.create(
        code=code,
        name=fields.pop("name", code.replace("-", " ").title()),
        rank=rank,
        status=status,
        pause_allowed=pause_allowed,
        pause_longest_months=pause_longest_months,
        created_at=now,
        updated_at=now,
        **fields,
    )
    for interval, amount in (
        (Interval.MONTHLY, monthly),
        (Interval.QUARTERLY, quarterly),
        (Interval.ANNUAL, annual),
    ):
        if amount is not None:
            PlanPrice.objects.create(
                plan=plan,
                interval=interval,
                version=1,
                amount=amount,
                additional_adult_amount=amount // 2,
                child_amount=amount // 4,
                child_age_limit=child_age_limit,
                created_at=now,
            )
    return plan


def new_price_version(plan: Plan, interval: Interval, amount: int) -> PlanPrice:
    old = PlanPrice.objects.get(plan=plan, interval=interval, current=True)
    old.current = False
    old.save(update_fields=["current"])
    return PlanPrice.objects.create(
        plan=plan,
        interval=interval,
        version=old.version + 1,
        amount=amount,
        additional_adult_amount=old.additional_adult_amount,
        child_amount=old.child_amount,
        child_age_limit=old.child_age_limit,
        created_at=clock.now(),
    )


def give_visits(plan: Plan, per_month: int = 2) -> Benefit:
    service, _ = Service.objects.get_or_create(
        code="provider-visit",
        defaults={"name": "Provider visit", "kind": "provider_visit", "a_la_carte_price": 15_000},
    )
    return Benefit.objects.create(plan=plan, service=service, allowance=per_month)


def make_reason(code: str = "moving", label: str = "Moving away") -> CancellationReason:
    return CancellationReason.objects.get_or_create(code=code, defaults={"label": label})[0]


def make_household(head: Patient, *others: Patient) -> Household:
    household = Household.objects.create(
        name=f"{head.legal_family_name} household", head=head, created_at=clock.now()
    )
    Patient.objects.filter(id__in=[head.id, *(p.id for p in others)]).update(household=household)
    head.refresh_from_db()
    for other in others:
        other.refresh_from_db()
    return household


def enroll(
    actor: User,
    plan: Plan,
    payer: Patient,
    *others: tuple[Patient, MemberRole],
    start: date = date(2026, 1, 1),
    active: bool = True,
    interval: Interval = Interval.MONTHLY,
) -> Membership:
    return membership_enroll(
        actor=actor,
        plan=plan,
        interval=interval,
        payer_patient=payer,
        members=[
            MemberSpec(patient=payer, role=MemberRole.PRIMARY),
            *(MemberSpec(patient=patient, role=role) for patient, role in others),
        ],
        start_date=start,
        payment_method_on_file=active,
    )


def family(family_name: str = "Fairbanks") -> tuple[Patient, Patient, Patient]:
    """A household of two adults and a child of ten (on 1 January 2026)."""
    head = make_patient(given="Frances", family=family_name, date_of_birth=date(1985, 4, 2))
    partner = make_patient(given="Felix", family=family_name, date_of_birth=date(1984, 9, 9))
    child = make_patient(given="Fern", family=family_name, date_of_birth=date(2015, 6, 1))
    make_household(head, partner, child)
    return head, partner, child


def scheduled(outcome: ChangeOutcome) -> ScheduledChange:
    """The change an action scheduled (failing the test when it applied at once instead)."""
    assert outcome.scheduled is not None, "the action applied at once"
    return outcome.scheduled


def snapshot() -> dict[str, list[Any]]:
    """Every row the lifecycle writes, to assert that a refused action changed nothing."""
    return {
        "memberships": list(Membership.objects.order_by("id").values()),
        "members": list(MembershipMember.objects.order_by("id").values()),
        "history": list(StatusChange.objects.order_by("id").values()),
        "scheduled": list(ScheduledChange.objects.order_by("id").values()),
        "ledger": list(EntitlementEntry.objects.order_by("id").values()),
        "audit": list(AuditEvent.objects.order_by("sequence").values("sequence")),
    }
