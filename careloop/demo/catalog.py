"""The demo clinic's catalog: services, three tiers, an add-on program, cancellation reasons and
two employer sponsors, all made through the catalog and sponsor services.

Idempotent by stable keys: a service, plan or reason whose code exists, or a sponsor whose name
exists, is left as it is.
"""

from dataclasses import dataclass, field
from typing import Any

from careloop.accounts.models import User
from careloop.memberships.models import (
    AllowancePeriod,
    CancellationReason,
    MessagingPriority,
    Plan,
    PlanKind,
    PlanStatus,
    Rollover,
    Service,
    ServiceKind,
    Sponsor,
    SponsorShare,
)
from careloop.memberships.periods import Interval
from careloop.memberships.services.catalog import (
    benefit_set,
    cancellation_reason_create,
    plan_create,
    plan_price_set,
    plan_update,
    service_create,
)
from careloop.memberships.services.sponsors import sponsor_create

ESSENTIALS = "essentials"
ACTIVE_CARE = "active-care"
CONCIERGE = "concierge"
METABOLIC_HEALTH = "metabolic-health"
TIERS = (ESSENTIALS, ACTIVE_CARE, CONCIERGE)

# code, name, kind, a-la-carte price (cents)
SERVICES = (
    ("provider-visit", "Provider visit", ServiceKind.PROVIDER_VISIT, 17_500),
    ("telehealth-visit", "Telehealth visit", ServiceKind.TELEHEALTH_VISIT, 9_500),
    ("coaching-session", "Health coaching session", ServiceKind.COACHING_SESSION, 8_500),
    ("lab-panel", "Comprehensive lab panel", ServiceKind.LAB_PANEL, 22_500),
    ("iv-therapy", "IV hydration therapy", ServiceKind.IV_THERAPY, 19_500),
    ("procedure", "In-office procedure (biopsy, joint injection)", ServiceKind.PROCEDURE, 35_000),
)


@dataclass(frozen=True)
class BenefitSpec:
    service: str
    allowance: int | None
    period: str = AllowancePeriod.MONTH.value
    member_price: int | None = None
    discount: int | None = None
    rollover: str = Rollover.NONE.value
    rollover_cap: int | None = None
    rollover_expires: int | None = None


@dataclass(frozen=True)
class PlanSpec:
    code: str
    name: str
    description: str
    # monthly, quarterly, annual (None: not offered), additional adult and child per month
    prices: tuple[int, int, int | None]
    adult: int
    child: int
    terms: dict[str, Any]
    benefits: tuple[BenefitSpec, ...] = field(default_factory=tuple)


PLANS = (
    PlanSpec(
        code=ESSENTIALS,
        name="Essentials",
        description=(
            "Access and continuity: a visit with your provider every month and secure "
            "messaging with an answer within two business days."
        ),
        prices=(9_900, 28_500, 108_000),
        adult=7_900,
        child=3_900,
        terms={
            "rank": 10,
            "enrollment_fee": 4_900,
            "pause_allowed": True,
            "pause_longest_months": 3,
            "pause_fee_per_month": 1_500,
            "cancellation_notice_days": 30,
            "messaging_enabled": True,
            "response_target_business_hours": 16,
            "messaging_priority": MessagingPriority.STANDARD.value,
        },
        benefits=(
            BenefitSpec("provider-visit", 1, member_price=9_500),
            BenefitSpec("telehealth-visit", 0, discount=30),
            BenefitSpec("coaching-session", 0, discount=20),
            BenefitSpec("lab-panel", 0, member_price=14_500),
            BenefitSpec("iv-therapy", 0, discount=15),
            BenefitSpec("procedure", 0, discount=15),
        ),
    ),
    PlanSpec(
        code=ACTIVE_CARE,
        name="Active Care",
        description=(
            "Active management of a condition: two visits a month, a lab panel every quarter, "
            "monthly health coaching and an answer to messages within one business day."
        ),
        prices=(17_900, 51_900, 196_800),
        adult=14_900,
        child=5_900,
        terms={
            "rank": 20,
            "enrollment_fee": 9_900,
            "minimum_commitment_months": 6,
            "early_termination_fee": 15_000,
            "pause_allowed": True,
            "pause_longest_months": 2,
            "pause_fee_per_month": 2_500,
            "cancellation_notice_days": 30,
            "messaging_enabled": True,
            "response_target_business_hours": 8,
            "messaging_priority": MessagingPriority.PRIORITY.value,
        },
        benefits=(
            BenefitSpec(
                "provider-visit", 2, member_price=8_500, rollover=Rollover.UP_TO, rollover_cap=1
            ),
            BenefitSpec("telehealth-visit", 0, discount=50),
            BenefitSpec("coaching-session", 1, member_price=6_000),
            BenefitSpec("lab-panel", 1, period=AllowancePeriod.QUARTER, member_price=12_500),
            BenefitSpec("iv-therapy", 0, discount=20),
            BenefitSpec("procedure", 0, discount=25),
        ),
    ),
    PlanSpec(
        code=CONCIERGE,
        name="Concierge",
        description=(
            "Comprehensive care from a team of providers: unlimited visits, monthly coaching, "
            "quarterly labs and an answer to messages within four business hours."
        ),
        prices=(39_900, 115_000, 438_000),
        adult=29_900,
        child=9_900,
        terms={
            "rank": 30,
            "enrollment_fee": 25_000,
            "minimum_commitment_months": 12,
            "early_termination_fee": 60_000,
            "pause_allowed": True,
            "pause_longest_months": 1,
            "pause_fee_per_month": 9_900,
            "cancellation_notice_days": 60,
            "messaging_enabled": True,
            "response_target_business_hours": 4,
            "messaging_priority": MessagingPriority.URGENT.value,
        },
        benefits=(
            BenefitSpec("provider-visit", None),
            BenefitSpec("telehealth-visit", None),
            BenefitSpec(
                "coaching-session",
                1,
                member_price=5_000,
                rollover=Rollover.EXPIRING,
                rollover_expires=2,
            ),
            BenefitSpec("lab-panel", 1, period=AllowancePeriod.QUARTER, member_price=9_900),
            BenefitSpec("iv-therapy", 1, period=AllowancePeriod.QUARTER, discount=30),
            BenefitSpec("procedure", 0, discount=30),
        ),
    ),
    PlanSpec(
        code=METABOLIC_HEALTH,
        name="Metabolic Health",
        description=(
            "An add-on program for weight, blood sugar and blood pressure: two coaching sessions "
            "and a telehealth check-in a month, and a metabolic lab panel every quarter."
        ),
        prices=(14_900, 42_900, None),
        adult=14_900,
        child=0,
        terms={
            "kind": PlanKind.PROGRAM.value,
            "minimum_commitment_months": 3,
            "cancellation_notice_days": 14,
        },
        benefits=(
            BenefitSpec("coaching-session", 2, member_price=6_000),
            BenefitSpec("telehealth-visit", 1, discount=40),
            BenefitSpec("lab-panel", 1, period=AllowancePeriod.QUARTER, member_price=12_500),
        ),
    ),
)

CANCELLATION_REASONS = (
    ("moving-away", "Moving away"),
    ("cost", "Cost"),
    ("insurance-based-care", "Switching to insurance-based care"),
    ("not-using", "Not using the membership enough"),
    ("unhappy", "Unhappy with the care or service"),
    ("employer-ended", "Employer ended the sponsorship"),
    ("other", "Other"),
)
SPONSOR_REASON = "employer-ended"


@dataclass(frozen=True)
class SponsorSpec:
    name: str
    contact_name: str
    contact_email: str
    contact_phone: str
    plans: tuple[str, ...]
    fixed_share: int | None


SPONSORS = (
    SponsorSpec(
        name="Hill Country Logistics",
        contact_name="Renee Alvarado",
        contact_email="benefits@hill-country-logistics.invalid",
        contact_phone="+15125550148",
        plans=(ESSENTIALS, ACTIVE_CARE),
        fixed_share=None,
    ),
    SponsorSpec(
        name="Riverbend School District",
        contact_name="Marcus Whitfield",
        contact_email="hr@riverbend-schools.invalid",
        contact_phone="+17375550171",
        plans=(ESSENTIALS, ACTIVE_CARE, CONCIERGE),
        fixed_share=10_000,
    ),
)


@dataclass(frozen=True)
class DemoCatalog:
    plans: dict[str, Plan]
    services: dict[str, Service]
    reasons: dict[str, CancellationReason]
    sponsors: dict[str, Sponsor]


def demo_catalog_seed(*, admin: User) -> DemoCatalog:
    """Create what is missing of the demo catalog, as the clinic's admin would."""
    services = {
        code: _seed_service(admin, code, name, kind, price) for code, name, kind, price in SERVICES
    }
    plans = {spec.code: _seed_plan(admin, spec, services) for spec in PLANS}
    reasons = {
        code: CancellationReason.objects.filter(code=code).first()
        or cancellation_reason_create(actor=admin, label=label, code=code)
        for code, label in CANCELLATION_REASONS
    }
    sponsors = {spec.name: _seed_sponsor(admin, spec, plans) for spec in SPONSORS}
    return DemoCatalog(plans=plans, services=services, reasons=reasons, sponsors=sponsors)


def _seed_service(admin: User, code: str, name: str, kind: ServiceKind, price: int) -> Service:
    existing = Service.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return service_create(
        actor=admin, code=code, name=name, kind=kind.value, a_la_carte_price=price
    )


def _seed_plan(admin: User, spec: PlanSpec, services: dict[str, Service]) -> Plan:
    existing = Plan.objects.filter(code=spec.code).first()
    if existing is not None:
        return existing
    plan = plan_create(
        actor=admin, code=spec.code, name=spec.name, description=spec.description, **spec.terms
    )
    monthly, quarterly, annual = spec.prices
    for interval, amount, months in (
        (Interval.MONTHLY, monthly, 1),
        (Interval.QUARTERLY, quarterly, 3),
        (Interval.ANNUAL, annual, 12),
    ):
        if amount is not None:
            plan_price_set(
                actor=admin,
                plan=plan,
                interval=interval.value,
                amount=amount,
                additional_adult_amount=spec.adult * months,
                child_amount=spec.child * months,
                child_age_limit=18,
            )
    for benefit in spec.benefits:
        benefit_set(
            actor=admin,
            plan=plan,
            service_id=services[benefit.service].id,
            allowance=benefit.allowance,
            allowance_period=benefit.period,
            rollover=benefit.rollover,
            rollover_cap=benefit.rollover_cap,
            rollover_expires_after_periods=benefit.rollover_expires,
            member_price=benefit.member_price,
            member_discount_percent=benefit.discount,
        )
    return plan_update(actor=admin, plan=plan, status=PlanStatus.ACTIVE.value)


def _seed_sponsor(admin: User, spec: SponsorSpec, plans: dict[str, Plan]) -> Sponsor:
    existing = Sponsor.objects.filter(name=spec.name).first()
    if existing is not None:
        return existing
    return sponsor_create(
        actor=admin,
        name=spec.name,
        contact_name=spec.contact_name,
        contact_email=spec.contact_email,
        contact_phone=spec.contact_phone,
        share=SponsorShare.FIXED.value if spec.fixed_share else SponsorShare.ALL.value,
        fixed_share_amount=spec.fixed_share,
        plan_ids=[plans[code].id for code in spec.plans],
    )
