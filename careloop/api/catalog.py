"""REST resources for the catalog: services, plans (with prices and benefits) and sponsors
(with rosters), under /api/v1/services, /api/v1/plans and /api/v1/sponsors.

Money is integer minor units (cents) in the plan's or service's currency. Reading needs
catalog.view (every staff role); changing plans and services needs catalog.manage (admins);
changing sponsors and rosters needs sponsor.manage (admins and billing). Patients get "not
found" for every operation here.
"""

from datetime import date, datetime
from typing import TypeVar

from django.db.models import Model
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, require_capability
from careloop.api.patients import needs
from careloop.audit.services import audit_record
from careloop.core.errors import NotFound, ValidationFailed
from careloop.memberships.models import Benefit, Plan, PlanPrice, RosterEntry, Service, Sponsor
from careloop.memberships.periods import Interval
from careloop.memberships.selectors.catalog import (
    plan_benefits,
    plans_with_counts,
    services_list,
    sponsor_roster,
)
from careloop.memberships.services import catalog, sponsors
from careloop.patients.access import access_patient

services_router = Router(tags=["catalog"])
plans_router = Router(tags=["catalog"])
sponsors_router = Router(tags=["sponsors"])

MINOR_UNITS = "Minor units (cents)"
M = TypeVar("M", bound=Model)


def _staff(request: HttpRequest, capability: Capability) -> User:
    """The signed-in staff member, if their role holds `capability`; patients get 404."""
    user = getattr(request, "auth", None)
    assert isinstance(user, User)
    if user.is_patient:
        raise NotFound("Not found.")
    require_capability(user, capability)
    return user


def _get(model: type[M], object_id: int, noun: str) -> M:
    found = model._default_manager.filter(id=object_id).first()
    if found is None:
        raise NotFound(f"No such {noun}.")
    return found


# --- services -------------------------------------------------------------------------------


class ServiceOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    a_la_carte_price: int = Field(description=MINOR_UNITS)
    currency: str
    active: bool


class ServiceCreateIn(Schema):
    code: str = Field(description="Lower-case letters, digits and hyphens; unique")
    name: str
    kind: str = Field(description="provider_visit, telehealth_visit, coaching_session, ...")
    a_la_carte_price: int = Field(description=MINOR_UNITS + "; what non-members pay")


class ServiceUpdateIn(Schema):
    code: str | None = None
    name: str | None = None
    kind: str | None = None
    a_la_carte_price: int | None = Field(None, description=MINOR_UNITS)
    active: bool | None = None


@services_router.get(
    "",
    response=list[ServiceOut],
    summary="List services",
    openapi_extra=needs(Capability.CATALOG_VIEW),
)
def service_list(request: HttpRequest, active: bool | None = None) -> list[Service]:
    _staff(request, Capability.CATALOG_VIEW)
    services = services_list(active_only=bool(active))
    return list(services if active is not False else services.filter(active=False))


@services_router.get(
    "/{service_id}",
    response=ServiceOut,
    summary="One service",
    openapi_extra=needs(Capability.CATALOG_VIEW),
)
def service_get(request: HttpRequest, service_id: int) -> Service:
    _staff(request, Capability.CATALOG_VIEW)
    return _get(Service, service_id, "service")


@services_router.post(
    "",
    response={201: ServiceOut},
    summary="Add a service to the catalog",
    openapi_extra=needs(Capability.CATALOG_MANAGE),
)
def service_create(request: HttpRequest, payload: ServiceCreateIn) -> Status[ServiceOut]:
    user = _staff(request, Capability.CATALOG_MANAGE)
    service = catalog.service_create(actor=user, **payload.model_dump())
    return Status(201, ServiceOut.model_validate(service))


@services_router.patch(
    "/{service_id}",
    response=ServiceOut,
    summary="Change a service",
    openapi_extra=needs(Capability.CATALOG_MANAGE),
)
def service_update(request: HttpRequest, service_id: int, payload: ServiceUpdateIn) -> Service:
    user = _staff(request, Capability.CATALOG_MANAGE)
    service = _get(Service, service_id, "service")
    changes = payload.model_dump(exclude_unset=True)
    return catalog.service_update(actor=user, service=service, **changes)


# --- plans ----------------------------------------------------------------------------------


class PriceOut(Schema):
    id: int
    interval: str
    version: int
    current: bool
    amount: int = Field(description=MINOR_UNITS + " per interval for the primary member")
    additional_adult_amount: int = Field(description=MINOR_UNITS + " per additional adult")
    child_amount: int = Field(description=MINOR_UNITS + " per child")
    child_age_limit: int = Field(description="Members younger than this on enrollment are children")
    created_at: datetime


class BenefitOut(Schema):
    service_id: int
    service_name: str
    allowance: int | None = Field(description="Uses per period; null is unlimited")
    allowance_period: str = Field(description="month, quarter, year or term")
    rollover: str = Field(description="none, all, up_to or expiring")
    rollover_cap: int | None
    rollover_expires_after_periods: int | None
    member_price: int | None = Field(description=MINOR_UNITS + " per use beyond the allowance")
    member_discount_percent: int | None
    beyond_allowance_price: int = Field(description=MINOR_UNITS + " a member pays per extra use")


class PlanOut(Schema):
    id: int
    code: str
    name: str
    description: str
    kind: str = Field(description="tier or program")
    status: str = Field(description="draft, active or retired")
    currency: str
    enrollment_fee: int = Field(description=MINOR_UNITS)
    minimum_commitment_months: int
    early_termination_fee: int = Field(description=MINOR_UNITS)
    pause_allowed: bool
    pause_longest_months: int
    pause_fee_per_month: int = Field(description=MINOR_UNITS)
    cancellation_notice_days: int
    renews: bool = Field(
        description="At the end of each term the membership renews; otherwise it ends"
    )
    messaging_enabled: bool
    response_target_business_hours: int | None
    messaging_priority: str
    messaging_daily_limit: int | None = Field(
        description="Messages a patient may send a day; empty for no limit"
    )
    rank: int
    membership_count: int = Field(description="Memberships that have not ended")
    prices: list[PriceOut] = Field(description="Current price of each interval sold")
    benefits: list[BenefitOut]


class PlanCreateIn(Schema):
    code: str
    name: str
    description: str = ""
    kind: str = "tier"
    enrollment_fee: int = 0
    minimum_commitment_months: int = 0
    early_termination_fee: int = 0
    pause_allowed: bool = False
    pause_longest_months: int = 0
    pause_fee_per_month: int = 0
    cancellation_notice_days: int = 0
    renews: bool = True
    messaging_enabled: bool = False
    response_target_business_hours: int | None = None
    messaging_priority: str = "standard"
    messaging_daily_limit: int | None = None
    rank: int = 0


class PlanUpdateIn(Schema):
    code: str | None = None
    name: str | None = None
    description: str | None = None
    kind: str | None = None
    status: str | None = Field(None, description="draft -> active -> retired")
    enrollment_fee: int | None = None
    minimum_commitment_months: int | None = None
    early_termination_fee: int | None = None
    pause_allowed: bool | None = None
    pause_longest_months: int | None = None
    pause_fee_per_month: int | None = None
    cancellation_notice_days: int | None = None
    renews: bool | None = None
    messaging_enabled: bool | None = None
    response_target_business_hours: int | None = None
    messaging_priority: str | None = None
    messaging_daily_limit: int | None = None
    rank: int | None = None


class PriceIn(Schema):
    amount: int = Field(description=MINOR_UNITS)
    additional_adult_amount: int = 0
    child_amount: int = 0
    child_age_limit: int = 18


class BenefitIn(Schema):
    allowance: int | None = Field(description="Uses per period; null is unlimited")
    allowance_period: str = "month"
    rollover: str = "none"
    rollover_cap: int | None = None
    rollover_expires_after_periods: int | None = None
    member_price: int | None = None
    member_discount_percent: int | None = None


def _benefit_out(benefit: Benefit) -> BenefitOut:
    return BenefitOut(
        service_id=benefit.service_id,
        service_name=benefit.service.name,
        allowance=benefit.allowance,
        allowance_period=benefit.allowance_period,
        rollover=benefit.rollover,
        rollover_cap=benefit.rollover_cap,
        rollover_expires_after_periods=benefit.rollover_expires_after_periods,
        member_price=benefit.member_price,
        member_discount_percent=benefit.member_discount_percent,
        beyond_allowance_price=benefit.beyond_allowance_price(),
    )


def _plan_out(plan: Plan) -> PlanOut:
    count = getattr(plan, "membership_count", None)
    if count is None:
        count = plan.memberships.exclude(status="ended").count()
    values = {name: getattr(plan, name) for name in catalog.PLAN_FIELDS}
    return PlanOut(
        id=plan.id,
        status=plan.status,
        currency=plan.currency,
        membership_count=count,
        prices=[
            PriceOut.model_validate(price)
            for price in PlanPrice.objects.filter(plan=plan, current=True).order_by("interval")
        ],
        benefits=[_benefit_out(benefit) for benefit in plan_benefits(plan)],
        **values,
    )


def _plan(plan_id: int) -> Plan:
    return _get(Plan, plan_id, "plan")


@plans_router.get(
    "",
    response=list[PlanOut],
    summary="List plans with their current prices and benefits",
    openapi_extra=needs(Capability.CATALOG_VIEW),
)
def plan_list(request: HttpRequest, status: str | None = None) -> list[PlanOut]:
    _staff(request, Capability.CATALOG_VIEW)
    plans = plans_with_counts()
    if status:
        plans = plans.filter(status=status)
    return [_plan_out(plan) for plan in plans]


@plans_router.get(
    "/{plan_id}",
    response=PlanOut,
    summary="One plan with its current prices and benefits",
    openapi_extra=needs(Capability.CATALOG_VIEW),
)
def plan_get(request: HttpRequest, plan_id: int) -> PlanOut:
    _staff(request, Capability.CATALOG_VIEW)
    return _plan_out(_plan(plan_id))


@plans_router.get(
    "/{plan_id}/prices",
    response=list[PriceOut],
    summary="Every price version of a plan, newest first per interval",
    openapi_extra=needs(Capability.CATALOG_VIEW),
)
def plan_prices(request: HttpRequest, plan_id: int) -> list[PlanPrice]:
    _staff(request, Capability.CATALOG_VIEW)
    return list(PlanPrice.objects.filter(plan=_plan(plan_id)).order_by("interval", "-version"))


@plans_router.post(
    "",
    response={201: PlanOut},
    summary="Design a plan (it starts as a draft)",
    openapi_extra=needs(Capability.CATALOG_MANAGE),
)
def plan_create(request: HttpRequest, payload: PlanCreateIn) -> Status[PlanOut]:
    user = _staff(request, Capability.CATALOG_MANAGE)
    plan = catalog.plan_create(actor=user, **payload.model_dump())
    return Status(201, _plan_out(plan))


@plans_router.patch(
    "/{plan_id}",
    response=PlanOut,
    summary="Change a plan's terms or status",
    openapi_extra=needs(Capability.CATALOG_MANAGE),
)
def plan_update(request: HttpRequest, plan_id: int, payload: PlanUpdateIn) -> PlanOut:
    user = _staff(request, Capability.CATALOG_MANAGE)
    changes = payload.model_dump(exclude_unset=True)
    plan = catalog.plan_update(actor=user, plan=_plan(plan_id), **changes)
    return _plan_out(plan)


@plans_router.put(
    "/{plan_id}/prices/{interval}",
    response=PriceOut,
    summary="Set the price for a billing interval",
    description=(
        "Members keep the version they enrolled on: once a version is used (or the plan is on "
        "sale) a change creates the next version for new enrollments."
    ),
    openapi_extra=needs(Capability.CATALOG_MANAGE),
)
def plan_price_set(
    request: HttpRequest, plan_id: int, interval: Interval, payload: PriceIn
) -> PlanPrice:
    user = _staff(request, Capability.CATALOG_MANAGE)
    return catalog.plan_price_set(
        actor=user, plan=_plan(plan_id), interval=interval.value, **payload.model_dump()
    )


@plans_router.put(
    "/{plan_id}/benefits/{service_id}",
    response=BenefitOut,
    summary="Include a service in a plan, or change how it is included",
    openapi_extra=needs(Capability.CATALOG_MANAGE),
)
def benefit_set(
    request: HttpRequest, plan_id: int, service_id: int, payload: BenefitIn
) -> BenefitOut:
    user = _staff(request, Capability.CATALOG_MANAGE)
    benefit = catalog.benefit_set(
        actor=user, plan=_plan(plan_id), service_id=service_id, **payload.model_dump()
    )
    return _benefit_out(benefit)


@plans_router.delete(
    "/{plan_id}/benefits/{service_id}",
    response={204: None},
    summary="Take a service out of a plan",
    openapi_extra=needs(Capability.CATALOG_MANAGE),
)
def benefit_remove(request: HttpRequest, plan_id: int, service_id: int) -> Status[None]:
    user = _staff(request, Capability.CATALOG_MANAGE)
    plan = _plan(plan_id)
    if not Benefit.objects.filter(plan=plan, service_id=service_id).exists():
        raise NotFound("This plan has no benefit for that service.")
    catalog.benefit_remove(actor=user, plan=plan, service_id=service_id)
    return Status(204, None)


# --- sponsors -------------------------------------------------------------------------------


class SponsorOut(Schema):
    id: int
    name: str
    contact_name: str
    contact_email: str
    contact_phone: str = Field(description="E.164")
    share: str = Field(description="all, or fixed (an amount per member per month)")
    fixed_share_amount: int | None = Field(description=MINOR_UNITS + " per member per month")
    plan_ids: list[int]
    active: bool


class SponsorCreateIn(Schema):
    name: str
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    share: str = "all"
    fixed_share_amount: int | None = None
    plan_ids: list[int] = Field(default_factory=list)


class SponsorUpdateIn(Schema):
    name: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    share: str | None = None
    fixed_share_amount: int | None = None
    plan_ids: list[int] | None = None
    active: bool | None = None


class RosterEntryOut(Schema):
    id: int
    patient_id: int
    effective_on: date
    terminated_on: date | None


class RosterAddIn(Schema):
    patient_id: int
    effective_on: date
    terminated_on: date | None = None


class RosterTerminateIn(Schema):
    terminated_on: date


def _sponsor_out(sponsor: Sponsor) -> SponsorOut:
    return SponsorOut(
        id=sponsor.id,
        name=sponsor.name,
        contact_name=sponsor.contact_name,
        contact_email=sponsor.contact_email,
        contact_phone=sponsor.contact_phone,
        share=sponsor.share,
        fixed_share_amount=sponsor.fixed_share_amount,
        plan_ids=sorted(sponsor.plans.values_list("id", flat=True)),
        active=sponsor.active,
    )


def _sponsor(sponsor_id: int) -> Sponsor:
    return _get(Sponsor, sponsor_id, "sponsor")


@sponsors_router.get(
    "",
    response=list[SponsorOut],
    summary="List employer sponsors",
    openapi_extra=needs(Capability.CATALOG_VIEW),
)
def sponsor_list(request: HttpRequest) -> list[SponsorOut]:
    _staff(request, Capability.CATALOG_VIEW)
    return [_sponsor_out(sponsor) for sponsor in Sponsor.objects.order_by("name")]


@sponsors_router.get(
    "/{sponsor_id}",
    response=SponsorOut,
    summary="One sponsor",
    openapi_extra=needs(Capability.CATALOG_VIEW),
)
def sponsor_get(request: HttpRequest, sponsor_id: int) -> SponsorOut:
    _staff(request, Capability.CATALOG_VIEW)
    return _sponsor_out(_sponsor(sponsor_id))


@sponsors_router.post(
    "",
    response={201: SponsorOut},
    summary="Add an employer sponsor",
    openapi_extra=needs(Capability.SPONSOR_MANAGE),
)
def sponsor_create(request: HttpRequest, payload: SponsorCreateIn) -> Status[SponsorOut]:
    user = _staff(request, Capability.SPONSOR_MANAGE)
    sponsor = sponsors.sponsor_create(actor=user, **payload.model_dump())
    return Status(201, _sponsor_out(sponsor))


@sponsors_router.patch(
    "/{sponsor_id}",
    response=SponsorOut,
    summary="Change a sponsor, its share or the plans it pays for",
    openapi_extra=needs(Capability.SPONSOR_MANAGE),
)
def sponsor_update(request: HttpRequest, sponsor_id: int, payload: SponsorUpdateIn) -> SponsorOut:
    user = _staff(request, Capability.SPONSOR_MANAGE)
    changes = payload.model_dump(exclude_unset=True)
    sponsor = sponsors.sponsor_update(actor=user, sponsor=_sponsor(sponsor_id), **changes)
    return _sponsor_out(sponsor)


@sponsors_router.get(
    "/{sponsor_id}/roster",
    response=list[RosterEntryOut],
    summary="A sponsor's roster",
    openapi_extra=needs(Capability.CATALOG_VIEW),
)
def roster_list(request: HttpRequest, sponsor_id: int) -> list[RosterEntry]:
    user = _staff(request, Capability.CATALOG_VIEW)
    sponsor = _sponsor(sponsor_id)
    roster = sponsor_roster(sponsor)
    audit_record(
        action="sponsor.roster_view",
        actor=user,
        object_type="sponsor",
        object_id=sponsor.id,
        detail={"patient_ids": [entry.patient_id for entry in roster]},
    )
    return roster


@sponsors_router.post(
    "/{sponsor_id}/roster",
    response={201: RosterEntryOut},
    summary="Put a patient on a sponsor's roster",
    openapi_extra=needs(Capability.SPONSOR_MANAGE),
)
def roster_add(
    request: HttpRequest, sponsor_id: int, payload: RosterAddIn
) -> Status[RosterEntryOut]:
    user = _staff(request, Capability.SPONSOR_MANAGE)
    sponsor = _sponsor(sponsor_id)
    try:
        patient = access_patient(
            user,
            payload.patient_id,
            capability=Capability.SPONSOR_MANAGE,
            action="sponsor.roster_manage",
        )
    except NotFound:
        raise ValidationFailed.single(
            "patient_id", f"There is no patient with id {payload.patient_id}.", "not_found"
        ) from None
    entry = sponsors.roster_add(
        actor=user,
        sponsor=sponsor,
        patient=patient,
        effective_on=payload.effective_on,
        terminated_on=payload.terminated_on,
    )
    return Status(201, RosterEntryOut.model_validate(entry))


@sponsors_router.post(
    "/{sponsor_id}/roster/{entry_id}/terminate",
    response=RosterEntryOut,
    summary="End a roster entry",
    openapi_extra=needs(Capability.SPONSOR_MANAGE),
)
def roster_terminate(
    request: HttpRequest,
    sponsor_id: int,
    entry_id: int,
    payload: RosterTerminateIn,
) -> RosterEntry:
    user = _staff(request, Capability.SPONSOR_MANAGE)
    entry = RosterEntry.objects.filter(id=entry_id, sponsor=_sponsor(sponsor_id)).first()
    if entry is None:
        raise NotFound("No such roster entry.")
    return sponsors.roster_terminate(actor=user, entry=entry, terminated_on=payload.terminated_on)
