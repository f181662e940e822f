"""REST resources for memberships (/api/v1/memberships) and the coverage check (/api/v1/coverage).

Staff act by capability: membership.view reads, membership.enroll enrolls and adds members,
membership.change runs the other lifecycle actions, membership.price_change moves a member to
another price version; backdating (a date in the past) needs membership.backdate, which the
services enforce. A patient may read a membership that covers them and its balances, and ask
whether they are covered; everything else answers them "not found".

Each lifecycle action is its own operation under /memberships/{id}/actions/. It takes
`effective_on` (today when empty: a later date schedules the change, an earlier one is
backdating) or `at_period_end`, and answers with the membership and the scheduled change, if
the action was scheduled rather than applied. An action the membership's status does not allow
is a 409 problem saying when it is possible. Money is integer minor units (cents).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.api.patients import needs
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from careloop.memberships.access import access_membership
from careloop.memberships.models import (
    ChangeKind,
    ChangeStatus,
    EntitlementEntry,
    EntryKind,
    MemberRole,
    Membership,
    MembershipMember,
    MembershipStatus,
    PlanPrice,
    ScheduledChange,
    Service,
    Sponsor,
    StatusChange,
)
from careloop.memberships.periods import Interval, Period
from careloop.memberships.selectors.balances import member_balances
from careloop.memberships.selectors.billing import member_amount
from careloop.memberships.selectors.coverage import coverage_check
from careloop.memberships.selectors.memberships import change_summary, membership_card
from careloop.memberships.services import lifecycle
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.memberships.services.lifecycle import ChangeOutcome
from careloop.memberships.services.scheduled import scheduled_change_revoke
from careloop.patients.access import access_patient
from careloop.patients.models import Patient

memberships_router = Router(tags=["memberships"])
coverage_router = Router(tags=["memberships"])

MINOR_UNITS = "Minor units (cents)"
EFFECTIVE_ON = (
    "When it takes effect: today when empty; a later date schedules it; an earlier date is "
    "backdating (admins only)"
)
AT_PERIOD_END = "Take effect when the current billing period ends (instead of effective_on)"

# The services name a field as their arguments do ("plan"); the API's body names it "plan_id".
API_FIELD_NAMES = {
    "plan": "plan_id",
    "sponsor": "sponsor_id",
    "patient": "patient_id",
    "reason": "reason_id",
    "price": "price_id",
}


@contextmanager
def _api_field_names() -> Iterator[None]:
    try:
        yield
    except ValidationFailed as error:
        renamed = type(error)(
            [
                FieldError(API_FIELD_NAMES.get(item.field, item.field), item.message, item.code)
                for item in error.errors
            ],
            error.message,
        )
        renamed.code = error.code
        raise renamed from error


def _user(request: HttpRequest) -> User:
    user = getattr(request, "auth", None)
    assert isinstance(user, User)
    return user


def _for_staff(request: HttpRequest, capability: Capability) -> User:
    """The signed-in staff member, if their role holds `capability`; patients get 404."""
    user = _user(request)
    if user.is_patient:
        raise NotFound("Not found.")
    if not has_capability(user, capability):
        raise PermissionDenied(f"Your role does not allow {capability.value}.", code="forbidden")
    return user


def _membership_for_staff(
    request: HttpRequest, membership_id: int, capability: Capability, action: str
) -> tuple[User, Membership]:
    """The membership, for staff holding `capability`; a patient is told it does not exist."""
    user = _user(request)
    if user.is_patient:
        audit_record(
            action=action,
            actor=user,
            outcome=Outcome.DENIED,
            object_type="membership",
            object_id=membership_id,
        )
        raise NotFound("No such membership.")
    return user, access_membership(user, membership_id, capability, action=action)


def _staff_patient(user: User, patient_id: int, *, field: str, capability: Capability) -> Patient:
    """A patient named in a body; an unknown one is a field error, not a missing resource."""
    try:
        return access_patient(user, patient_id, capability=capability, action=capability.value)
    except NotFound:
        raise ValidationFailed.single(
            field, f"There is no patient with id {patient_id}.", "not_found"
        ) from None


# --- output ---------------------------------------------------------------------------------


class PeriodOut(Schema):
    start: date
    end: date = Field(description="Exclusive: the first day of the next period")


def _period_out(period: Period | None) -> PeriodOut | None:
    return PeriodOut(start=period.start, end=period.end) if period is not None else None


class MemberOut(Schema):
    patient_id: int
    name: str
    role: str = Field(description="primary, adult or child")
    joined_on: date
    left_on: date | None = Field(description="Exclusive; empty while covered")


class MembershipOut(Schema):
    id: int
    plan_id: int
    plan_name: str
    status: str = Field(description="pending, active, past_due, paused, cancelled or ended")
    status_label: str
    interval: str = Field(description="monthly, quarterly or annual")
    price_id: int
    price_version: int
    currency: str
    payer_patient_id: int | None
    sponsor_id: int | None
    payer_name: str
    start_date: date
    anchor_date: date = Field(description="Billing periods step from this date")
    anchor_day: int = Field(description="1-31, clamped to short months")
    paused_on: date | None
    resumes_on: date | None
    cancelled_on: date | None
    cancellation_reason: str | None = Field(description="The reason's code")
    cancellation_note: str
    ended_on: date | None
    members: list[MemberOut] = Field(description="Everyone it covers or covered, as they joined")


class BalanceOut(Schema):
    patient_id: int
    available: int | None = Field(description="Uses left this period; null is unlimited")
    held: int
    used: int
    rolled_over: int


class CardBenefitOut(Schema):
    service_id: int
    service_name: str
    allowance_text: str
    beyond_allowance_text: str
    balances: list[BalanceOut] = Field(description="One per member covered today")


class ScheduledChangeOut(Schema):
    id: int
    kind: str = Field(
        description="plan_change, interval_change, member_add, member_remove, pause, resume, "
        "cancel or price_change"
    )
    kind_label: str
    status: str = Field(description="scheduled, applied or revoked")
    effective_on: date
    notice_on: date | None = Field(description="When the payer was told (price changes)")
    summary: str
    details: dict[str, Any]
    created_at: datetime
    applied_at: datetime | None
    revoked_at: datetime | None


class MembershipDetailOut(MembershipOut):
    warning: str | None = Field(description="Past due, paused, pending or ending, in words")
    covering: bool = Field(description="Whether it covers its members today")
    period_amount: int = Field(description=MINOR_UNITS + " per interval for today's members")
    current_period: PeriodOut | None
    next_renewal: date | None
    benefits: list[CardBenefitOut]
    scheduled_changes: list[ScheduledChangeOut] = Field(description="Still to take effect")


class MembershipPage(Schema):
    items: list[MembershipOut]
    total: int = Field(description="Matches in all, across every page")
    limit: int
    offset: int


class ActionOut(Schema):
    applied: bool = Field(description="True when the action took effect; false when scheduled")
    membership: MembershipDetailOut
    scheduled_change: ScheduledChangeOut | None


class StatusChangeOut(Schema):
    id: int
    action: str
    from_status: str = Field(description="Empty for the enrollment")
    to_status: str
    effective_on: date
    recorded_at: datetime
    actor_id: int | None
    actor_name: str
    reason: str


class LedgerEntryOut(Schema):
    id: int
    patient_id: int
    service_id: int
    service_name: str
    kind: str = Field(
        description="grant, hold, consume, release, reverse, rollover, expire or overage"
    )
    quantity: int
    period: PeriodOut
    occurred_on: date
    source_type: str
    source_id: str
    settles_id: int | None = Field(description="The entry this one settles")
    unit_price: int | None = Field(description=MINOR_UNITS + " per use, for an overage")
    note: str
    recorded_at: datetime


class LedgerPage(Schema):
    items: list[LedgerEntryOut] = Field(description="Newest first")
    total: int
    limit: int
    offset: int


class MemberBalanceOut(Schema):
    patient_id: int
    service_id: int
    service_name: str
    benefit_id: int
    unlimited: bool
    allowance: int | None
    available: int | None = Field(description="Null when unlimited")
    held: int
    used: int
    granted: int
    rolled_over: int
    expired: int
    overage: int = Field(description="Uses beyond the allowance, charged at the member price")
    period: PeriodOut


class BalancesOut(Schema):
    membership_id: int
    on: date
    balances: list[MemberBalanceOut] = Field(description="Per member, then per benefit")


class CoverageOut(Schema):
    outcome: str = Field(description="covered, member_price, not_covered or not_a_member")
    covered: bool
    reason: str = Field(description="The answer in words, as front desk reads it aloud")
    price: int = Field(description=MINOR_UNITS + " this one use costs")
    currency: str
    patient_id: int
    service_id: int
    on: date
    membership_id: int | None
    membership_status: str
    plan_name: str
    benefit_id: int | None
    period: PeriodOut | None = Field(description="The allowance period of that date")
    allowance: int | None
    unlimited: bool
    left_after_use: int | None = Field(description="Null when unlimited or not covered")


def _members(membership: Membership) -> list[MembershipMember]:
    cached = getattr(membership, "all_members", None)
    if cached is not None:
        return list(cached)
    return list(membership.members.select_related("patient").order_by("joined_on", "id"))


def _payer_name(membership: Membership) -> str:
    if membership.payer_patient is not None:
        return membership.payer_patient.full_name
    return membership.sponsor.name if membership.sponsor is not None else ""


def _summary_fields(membership: Membership) -> dict[str, Any]:
    status = MembershipStatus(membership.status)
    reason = membership.cancellation_reason
    return {
        "id": membership.pk,
        "plan_id": membership.plan_id,
        "plan_name": membership.plan.name,
        "status": status.value,
        "status_label": str(status.label),
        "interval": membership.interval,
        "price_id": membership.price_id,
        "price_version": membership.price.version,
        "currency": membership.plan.currency,
        "payer_patient_id": membership.payer_patient_id,
        "sponsor_id": membership.sponsor_id,
        "payer_name": _payer_name(membership),
        "start_date": membership.start_date,
        "anchor_date": membership.anchor_date,
        "anchor_day": membership.anchor_day,
        "paused_on": membership.paused_on,
        "resumes_on": membership.resumes_on,
        "cancelled_on": membership.cancelled_on,
        "cancellation_reason": reason.code if reason is not None else None,
        "cancellation_note": membership.cancellation_note,
        "ended_on": membership.ended_on,
        "members": [
            MemberOut(
                patient_id=member.patient_id,
                name=member.patient.full_name,
                role=member.role,
                joined_on=member.joined_on,
                left_on=member.left_on,
            )
            for member in _members(membership)
        ],
    }


def _membership_out(membership: Membership) -> MembershipOut:
    return MembershipOut(**_summary_fields(membership))


def _change_out(change: ScheduledChange) -> ScheduledChangeOut:
    return ScheduledChangeOut(
        id=change.pk,
        kind=change.kind,
        kind_label=str(ChangeKind(change.kind).label),
        status=change.status,
        effective_on=change.effective_on,
        notice_on=change.notice_on,
        summary=change_summary(change),
        details=change.details,
        created_at=change.created_at,
        applied_at=change.applied_at,
        revoked_at=change.revoked_at,
    )


def _detail_out(membership: Membership) -> MembershipDetailOut:
    membership = (
        Membership.objects.select_related(
            "plan", "price", "payer_patient", "sponsor", "cancellation_reason"
        )
        .filter(pk=membership.pk)
        .get()
    )
    card = membership_card(membership=membership)
    today = clock.today()
    current = [
        member
        for member in _members(membership)
        if member.joined_on <= today and (member.left_on is None or member.left_on > today)
    ]
    scheduled = membership.scheduled_changes.filter(status=ChangeStatus.SCHEDULED).order_by(
        "effective_on", "id"
    )
    return MembershipDetailOut(
        **_summary_fields(membership),
        warning=card.warning,
        covering=card.covering,
        period_amount=sum(member_amount(membership.price, member.role) for member in current),
        current_period=_period_out(card.current_period),
        next_renewal=card.next_renewal,
        benefits=[
            CardBenefitOut(
                service_id=benefit.service_id,
                service_name=benefit.service_name,
                allowance_text=benefit.allowance_text,
                beyond_allowance_text=benefit.beyond_allowance_text,
                balances=[
                    BalanceOut(
                        patient_id=balance.patient_id,
                        available=balance.available,
                        held=balance.held,
                        used=balance.used,
                        rolled_over=balance.rolled_over,
                    )
                    for balance in benefit.balances
                ],
            )
            for benefit in card.benefits
        ],
        scheduled_changes=[_change_out(change) for change in scheduled],
    )


def _action_out(outcome: ChangeOutcome) -> ActionOut:
    scheduled = outcome.scheduled
    return ActionOut(
        applied=outcome.applied,
        membership=_detail_out(outcome.membership),
        scheduled_change=_change_out(scheduled) if scheduled is not None else None,
    )


def _with_members(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    return memberships.select_related(
        "plan", "price", "payer_patient", "sponsor", "cancellation_reason"
    ).prefetch_related(
        Prefetch(
            "members",
            queryset=MembershipMember.objects.select_related("patient").order_by("joined_on", "id"),
            to_attr="all_members",
        )
    )


# --- enrollment and reads -------------------------------------------------------------------


class MemberIn(Schema):
    patient_id: int
    role: MemberRole = Field(description="primary (exactly one), adult or child")


class EnrollIn(Schema):
    plan_id: int
    interval: Interval
    payer_patient_id: int | None = Field(None, description="A patient pays; or name a sponsor")
    sponsor_id: int | None = Field(None, description="An employer pays; or name a patient")
    members: list[MemberIn]
    start_date: date = Field(description="A date in the past is backdating (admins only)")
    anchor: Literal["start_day", "clinic_day"] = Field(
        "start_day", description="Bill on the start day, or on the clinic's billing day"
    )
    payment_method_on_file: bool = Field(
        False, description="Active at once when true; pending until activated otherwise"
    )
    price_id: int | None = Field(
        None, description="The current price the payer agreed to; refused if it changed since"
    )


@memberships_router.post(
    "",
    response={201: MembershipDetailOut},
    summary="Enroll a patient or a household in a plan",
    description=(
        "409 already_covered names each member another membership covers; 422 names each "
        "field that breaks a rule (unknown plan, a child over the age limit, a start before "
        "a member's birth...)."
    ),
    openapi_extra=needs(Capability.MEMBERSHIP_ENROLL),
)
def membership_create(request: HttpRequest, payload: EnrollIn) -> Status[MembershipDetailOut]:
    user = _for_staff(request, Capability.MEMBERSHIP_ENROLL)
    errors: list[FieldError] = []
    payer: Patient | None = None
    if payload.payer_patient_id is not None:
        try:
            payer = _staff_patient(
                user,
                payload.payer_patient_id,
                field="payer_patient_id",
                capability=Capability.MEMBERSHIP_ENROLL,
            )
        except ValidationFailed as error:
            errors.extend(error.errors)
    sponsor: Sponsor | None = None
    if payload.sponsor_id is not None:
        sponsor = Sponsor.objects.filter(pk=payload.sponsor_id).first()
        if sponsor is None:
            errors.append(FieldError("sponsor_id", "No such sponsor.", "not_found"))
    members: list[MemberSpec] = []
    for member in payload.members:
        try:
            patient = _staff_patient(
                user, member.patient_id, field="members", capability=Capability.MEMBERSHIP_ENROLL
            )
        except ValidationFailed as error:
            errors.extend(error.errors)
            continue
        members.append(MemberSpec(patient=patient, role=member.role))
    price: PlanPrice | None = None
    if payload.price_id is not None:
        price = PlanPrice.objects.filter(pk=payload.price_id).first()
        if price is None:
            errors.append(FieldError("price_id", "No such price.", "not_found"))
    if errors:
        raise ValidationFailed(errors)
    with _api_field_names():
        membership = membership_enroll(
            actor=user,
            plan=payload.plan_id,
            interval=payload.interval,
            payer_patient=payer,
            sponsor=sponsor,
            members=members,
            start_date=payload.start_date,
            anchor=payload.anchor,
            price=price,
            payment_method_on_file=payload.payment_method_on_file,
        )
    return Status(201, _detail_out(membership))


@memberships_router.get(
    "",
    response=MembershipPage,
    summary="List memberships",
    description="Newest start first. `patient_id` finds memberships that cover or covered them.",
    openapi_extra=needs(Capability.MEMBERSHIP_VIEW),
)
def membership_list(
    request: HttpRequest,
    status: MembershipStatus | None = None,
    plan_id: int | None = None,
    patient_id: int | None = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 25,
    offset: Annotated[int, Field(ge=0)] = 0,
) -> MembershipPage:
    user = _for_staff(request, Capability.MEMBERSHIP_VIEW)
    matches = Membership.objects.order_by("-start_date", "-id")
    if status is not None:
        matches = matches.filter(status=status)
    if plan_id is not None:
        matches = matches.filter(plan_id=plan_id)
    if patient_id is not None:
        matches = matches.filter(
            pk__in=MembershipMember.objects.filter(patient_id=patient_id).values("membership_id")
        )
    page = list(_with_members(matches)[offset : offset + limit])
    audit_record(
        action="membership.list",
        actor=user,
        object_type="membership",
        detail={
            "patient_ids": sorted(
                {member.patient_id for membership in page for member in _members(membership)}
            )
        },
    )
    return MembershipPage(
        items=[_membership_out(membership) for membership in page],
        total=matches.count(),
        limit=limit,
        offset=offset,
    )


@memberships_router.get(
    "/{membership_id}",
    response=MembershipDetailOut,
    summary="One membership: members, current period, next renewal, benefits, scheduled changes",
    description="A patient may read a membership that covers or covered them.",
    openapi_extra=needs(Capability.MEMBERSHIP_VIEW),
)
def membership_get(request: HttpRequest, membership_id: int) -> MembershipDetailOut:
    return _detail_out(access_membership(_user(request), membership_id))


@memberships_router.get(
    "/{membership_id}/history",
    response=list[StatusChangeOut],
    summary="Every lifecycle action recorded on a membership, oldest first",
    openapi_extra=needs(Capability.MEMBERSHIP_VIEW),
)
def membership_history(request: HttpRequest, membership_id: int) -> list[StatusChangeOut]:
    _, membership = _membership_for_staff(
        request, membership_id, Capability.MEMBERSHIP_VIEW, "membership.history_view"
    )
    changes = StatusChange.objects.filter(membership=membership).select_related("actor")
    return [
        StatusChangeOut(
            id=change.pk,
            action=change.action,
            from_status=change.from_status,
            to_status=change.to_status,
            effective_on=change.effective_on,
            recorded_at=change.recorded_at,
            actor_id=change.actor_id,
            actor_name=change.actor.get_full_name() if change.actor is not None else "Careloop",
            reason=change.reason,
        )
        for change in changes.order_by("recorded_at", "id")
    ]


@memberships_router.get(
    "/{membership_id}/scheduled-changes",
    response=list[ScheduledChangeOut],
    summary="A membership's scheduled changes, by date",
    openapi_extra=needs(Capability.MEMBERSHIP_VIEW),
)
def scheduled_change_list(
    request: HttpRequest, membership_id: int, status: ChangeStatus | None = None
) -> list[ScheduledChangeOut]:
    _, membership = _membership_for_staff(
        request, membership_id, Capability.MEMBERSHIP_VIEW, "membership.view"
    )
    changes = membership.scheduled_changes.order_by("effective_on", "id")
    if status is not None:
        changes = changes.filter(status=status)
    return [_change_out(change) for change in changes]


@memberships_router.post(
    "/{membership_id}/scheduled-changes/{change_id}/revoke",
    response=ScheduledChangeOut,
    summary="Take back a change before it takes effect",
    description="Revoking a price change needs membership.price_change (admins).",
    openapi_extra=needs(Capability.MEMBERSHIP_CHANGE),
)
def scheduled_change_revoke_one(
    request: HttpRequest, membership_id: int, change_id: int
) -> ScheduledChangeOut:
    user, membership = _membership_for_staff(
        request, membership_id, Capability.MEMBERSHIP_CHANGE, "membership.change_revoke"
    )
    change = membership.scheduled_changes.filter(pk=change_id).first()
    if change is None:
        raise NotFound("No such scheduled change.")
    if change.kind == ChangeKind.PRICE_CHANGE and not has_capability(
        user, Capability.MEMBERSHIP_PRICE_CHANGE
    ):
        raise PermissionDenied("Only an admin may revoke a price change.", code="forbidden")
    with _api_field_names():
        return _change_out(scheduled_change_revoke(actor=user, change=change))


@memberships_router.get(
    "/{membership_id}/ledger",
    response=LedgerPage,
    summary="A membership's entitlement ledger, newest entry first",
    openapi_extra=needs(Capability.MEMBERSHIP_VIEW),
)
def membership_ledger(
    request: HttpRequest,
    membership_id: int,
    patient_id: int | None = None,
    service_id: int | None = None,
    kind: EntryKind | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
    offset: Annotated[int, Field(ge=0)] = 0,
) -> LedgerPage:
    _, membership = _membership_for_staff(
        request, membership_id, Capability.MEMBERSHIP_VIEW, "membership.ledger_view"
    )
    entries = EntitlementEntry.objects.filter(membership=membership).order_by("-id")
    if patient_id is not None:
        entries = entries.filter(patient_id=patient_id)
    if service_id is not None:
        entries = entries.filter(service_id=service_id)
    if kind is not None:
        entries = entries.filter(kind=kind)
    page = entries.select_related("service")[offset : offset + limit]
    return LedgerPage(
        items=[
            LedgerEntryOut(
                id=entry.pk,
                patient_id=entry.patient_id,
                service_id=entry.service_id,
                service_name=entry.service.name,
                kind=entry.kind,
                quantity=entry.quantity,
                period=PeriodOut(start=entry.period_start, end=entry.period_end),
                occurred_on=entry.occurred_on,
                source_type=entry.source_type,
                source_id=entry.source_id,
                settles_id=entry.settles_id,
                unit_price=entry.unit_price,
                note=entry.note,
                recorded_at=entry.recorded_at,
            )
            for entry in page
        ],
        total=entries.count(),
        limit=limit,
        offset=offset,
    )


@memberships_router.get(
    "/{membership_id}/balances",
    response=BalancesOut,
    summary="Each member's balance of each benefit in the allowance period of a date",
    description="`on` defaults to today. A patient may read the balances of their membership.",
    openapi_extra=needs(Capability.MEMBERSHIP_VIEW),
)
def membership_balances(
    request: HttpRequest, membership_id: int, on: date | None = None
) -> BalancesOut:
    membership = access_membership(_user(request), membership_id, action="membership.balances_view")
    day = clock.today() if on is None else on
    return BalancesOut(
        membership_id=membership.pk,
        on=day,
        balances=[
            MemberBalanceOut(
                patient_id=entry.patient_id,
                service_id=entry.benefit.service_id,
                service_name=entry.benefit.service.name,
                benefit_id=entry.benefit.pk,
                unlimited=entry.balance.unlimited,
                allowance=entry.benefit.allowance,
                available=entry.balance.available,
                held=entry.balance.held,
                used=entry.balance.used,
                granted=entry.balance.granted,
                rolled_over=entry.balance.rolled_over,
                expired=entry.balance.expired,
                overage=entry.balance.overage,
                period=PeriodOut(start=entry.balance.period.start, end=entry.balance.period.end),
            )
            for entry in member_balances(membership=membership, on=day)
        ],
    )


@coverage_router.get(
    "",
    response=CoverageOut,
    summary="Is this covered? For a patient, a service and a date",
    description=(
        "covered (from which allowance, how many left after this use), member_price (beyond "
        "the allowance), not_covered (a membership that covers nothing now, or does not include "
        "the service) or not_a_member, each with the price of this one use and the reason. "
        "`on` defaults to today. A patient may ask about themselves."
    ),
    openapi_extra=needs(Capability.MEMBERSHIP_VIEW),
)
def coverage_get(
    request: HttpRequest, patient_id: int, service_id: int, on: date | None = None
) -> CoverageOut:
    user = _user(request)
    # A patient reads their own record with patient.view; staff need membership.view.
    capability = Capability.PATIENT_VIEW if user.is_patient else Capability.MEMBERSHIP_VIEW
    try:
        patient = access_patient(
            user, patient_id, capability=capability, action="membership.coverage_check"
        )
    except NotFound:
        if user.is_patient:
            raise
        raise ValidationFailed.single(
            "patient_id", f"There is no patient with id {patient_id}.", "not_found"
        ) from None
    service = Service.objects.filter(pk=service_id).first()
    if service is None:
        raise ValidationFailed.single(
            "service_id", f"There is no service with id {service_id}.", "not_found"
        )
    day = clock.today() if on is None else on
    answer = coverage_check(patient=patient, service=service, on=day)
    return CoverageOut(
        outcome=answer.outcome.value,
        covered=answer.covered,
        reason=answer.reason,
        price=answer.price,
        currency=answer.currency,
        patient_id=patient.pk,
        service_id=service.pk,
        on=day,
        membership_id=answer.membership_id,
        membership_status=answer.membership_status,
        plan_name=answer.plan_name,
        benefit_id=answer.benefit_id,
        period=_period_out(answer.period),
        allowance=answer.allowance,
        unlimited=answer.unlimited,
        left_after_use=answer.left_after_use,
    )


# --- lifecycle actions ----------------------------------------------------------------------


class WhenIn(Schema):
    effective_on: date | None = Field(None, description=EFFECTIVE_ON)
    at_period_end: bool = Field(False, description=AT_PERIOD_END)


class PlanChangeIn(WhenIn):
    plan_id: int


class IntervalChangeIn(WhenIn):
    interval: Interval


class MemberAddIn(WhenIn):
    patient_id: int = Field(description="A patient in the payer's household (or the roster)")
    role: MemberRole = Field(description="adult or child")


class MemberRemoveIn(WhenIn):
    patient_id: int


class PauseIn(WhenIn):
    resumes_on: date | None = Field(
        None, description="Empty: the plan's longest pause (or until resumed, without a limit)"
    )


class CancelIn(WhenIn):
    reason_id: int | None = Field(None, description="A reason from the clinic's list (required)")
    note: str = ""


class RecordedIn(Schema):
    effective_on: date | None = Field(
        None, description="Today when empty; an earlier date is backdating (admins only)"
    )


class PriceChangeIn(Schema):
    price_id: int = Field(description="Another price version of the plan, same interval")
    effective_on: date = Field(
        description="The new price starts with the first billing period on or after this date"
    )
    notice_on: date = Field(description="When the payer was told; not after the change")


def _action(
    request: HttpRequest,
    membership_id: int,
    capability: Capability,
    name: str,
    run: Callable[[User, Membership], ChangeOutcome],
) -> ActionOut:
    user, membership = _membership_for_staff(
        request, membership_id, capability, f"membership.{name}_request"
    )
    with _api_field_names():
        return _action_out(run(user, membership))


def _action_route(
    path: str, summary: str, capability: Capability, description: str = ""
) -> Callable[[Callable[..., ActionOut]], Callable[..., ActionOut]]:
    return memberships_router.post(
        f"/{{membership_id}}/actions/{path}",
        response=ActionOut,
        summary=summary,
        description=description
        or "409 when the membership's status does not allow it; 422 names each field that "
        "breaks a rule.",
        openapi_extra=needs(capability),
    )


@_action_route("upgrade", "Move to a richer tier", Capability.MEMBERSHIP_CHANGE)
def membership_upgrade(
    request: HttpRequest, membership_id: int, payload: PlanChangeIn
) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "upgrade",
        lambda user, membership: lifecycle.membership_upgrade(
            actor=user,
            membership=membership,
            plan=payload.plan_id,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_action_route("downgrade", "Move to a smaller tier", Capability.MEMBERSHIP_CHANGE)
def membership_downgrade(
    request: HttpRequest, membership_id: int, payload: PlanChangeIn
) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "downgrade",
        lambda user, membership: lifecycle.membership_downgrade(
            actor=user,
            membership=membership,
            plan=payload.plan_id,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_action_route(
    "change-interval",
    "Bill by another interval",
    Capability.MEMBERSHIP_CHANGE,
    "At the plan's current price for that interval; the anchor moves to the day it takes effect.",
)
def membership_change_interval(
    request: HttpRequest, membership_id: int, payload: IntervalChangeIn
) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "change_interval",
        lambda user, membership: lifecycle.membership_change_interval(
            actor=user,
            membership=membership,
            interval=payload.interval,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_action_route("add-member", "Cover one more household member", Capability.MEMBERSHIP_ENROLL)
def membership_add_member(
    request: HttpRequest, membership_id: int, payload: MemberAddIn
) -> ActionOut:
    def run(user: User, membership: Membership) -> ChangeOutcome:
        patient = _staff_patient(
            user, payload.patient_id, field="patient_id", capability=Capability.MEMBERSHIP_ENROLL
        )
        return lifecycle.membership_add_member(
            actor=user,
            membership=membership,
            patient=patient,
            role=payload.role,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        )

    return _action(request, membership_id, Capability.MEMBERSHIP_ENROLL, "add_member", run)


@_action_route(
    "remove-member",
    "Stop covering one member",
    Capability.MEMBERSHIP_CHANGE,
    "Not the primary member, nor the last one (cancel instead).",
)
def membership_remove_member(
    request: HttpRequest, membership_id: int, payload: MemberRemoveIn
) -> ActionOut:
    def run(user: User, membership: Membership) -> ChangeOutcome:
        patient = _staff_patient(
            user, payload.patient_id, field="patient_id", capability=Capability.MEMBERSHIP_CHANGE
        )
        return lifecycle.membership_remove_member(
            actor=user,
            membership=membership,
            patient=patient,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        )

    return _action(request, membership_id, Capability.MEMBERSHIP_CHANGE, "remove_member", run)


@_action_route(
    "pause",
    "Pause a membership, as the plan allows",
    Capability.MEMBERSHIP_CHANGE,
    "Nothing is covered while paused. The resume is scheduled on `resumes_on`, or after the "
    "plan's longest pause.",
)
def membership_pause(request: HttpRequest, membership_id: int, payload: PauseIn) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "pause",
        lambda user, membership: lifecycle.membership_pause(
            actor=user,
            membership=membership,
            resumes_on=payload.resumes_on,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_action_route("resume", "Resume a paused membership", Capability.MEMBERSHIP_CHANGE)
def membership_resume(request: HttpRequest, membership_id: int, payload: WhenIn) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "resume",
        lambda user, membership: lifecycle.membership_resume(
            actor=user,
            membership=membership,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_action_route(
    "cancel",
    "Cancel now, on a date, or at the end of the period",
    Capability.MEMBERSHIP_CHANGE,
    "Cancelled at period end, the membership covers its members until then.",
)
def membership_cancel(request: HttpRequest, membership_id: int, payload: CancelIn) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "cancel",
        lambda user, membership: lifecycle.membership_cancel(
            actor=user,
            membership=membership,
            reason=payload.reason_id,
            note=payload.note,
            effective_on=payload.effective_on,
            at_period_end=payload.at_period_end,
        ),
    )


@_action_route(
    "reactivate",
    "Reactivate a cancelled membership",
    Capability.MEMBERSHIP_CHANGE,
    "Covers the same members again, unless another membership has taken one meanwhile (409).",
)
def membership_reactivate(
    request: HttpRequest, membership_id: int, payload: RecordedIn
) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "reactivate",
        lambda user, membership: lifecycle.membership_reactivate(
            actor=user, membership=membership, effective_on=payload.effective_on
        ),
    )


@_action_route(
    "activate",
    "Activate a pending membership: a payment method is on file",
    Capability.MEMBERSHIP_CHANGE,
)
def membership_activate(request: HttpRequest, membership_id: int, payload: RecordedIn) -> ActionOut:
    return _action(
        request,
        membership_id,
        Capability.MEMBERSHIP_CHANGE,
        "activate",
        lambda user, membership: lifecycle.membership_activate(
            actor=user, membership=membership, effective_on=payload.effective_on
        ),
    )


@_action_route(
    "change-price",
    "Move a member to another price version of the plan",
    Capability.MEMBERSHIP_PRICE_CHANGE,
    "Existing members keep their price until this is scheduled for them; the new price starts "
    "with the first billing period on or after `effective_on`.",
)
def membership_change_price(
    request: HttpRequest, membership_id: int, payload: PriceChangeIn
) -> ActionOut:
    def run(user: User, membership: Membership) -> ChangeOutcome:
        price = PlanPrice.objects.filter(pk=payload.price_id).first()
        if price is None:
            raise ValidationFailed.single("price_id", "No such price.", "not_found")
        return lifecycle.membership_change_price(
            actor=user,
            membership=membership,
            price=price,
            effective_on=payload.effective_on,
            notice_on=payload.notice_on,
        )

    return _action(request, membership_id, Capability.MEMBERSHIP_PRICE_CHANGE, "change_price", run)
