"""Enrollment; memberships, their history, scheduled changes, ledger and balances; coverage."""

from datetime import date
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Schema, Status

from careloop.accounts.policy import Capability, has_capability
from careloop.api.memberships.common import (
    api_field_names,
    coverage_router,
    membership_for_staff,
    memberships_router,
    request_user,
    staff_patient,
    staff_user,
)
from careloop.api.memberships.output import (
    BalancesOut,
    CoverageOut,
    LedgerEntryOut,
    LedgerPage,
    MemberBalanceOut,
    MembershipDetailOut,
    MembershipPage,
    PeriodOut,
    ScheduledChangeOut,
    StatusChangeOut,
    change_out,
    detail_out,
    member_rows,
    membership_out,
    period_out,
    with_members,
)
from careloop.api.patients import needs
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
    Service,
    Sponsor,
    StatusChange,
)
from careloop.memberships.periods import Interval
from careloop.memberships.selectors.balances import member_balances
from careloop.memberships.selectors.coverage import coverage_check
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.memberships.services.scheduled import scheduled_change_revoke
from careloop.patients.access import access_patient
from careloop.patients.models import Patient

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
    user = staff_user(request, Capability.MEMBERSHIP_ENROLL)
    errors: list[FieldError] = []
    payer: Patient | None = None
    if payload.payer_patient_id is not None:
        try:
            payer = staff_patient(
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
            patient = staff_patient(
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
    with api_field_names():
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
    return Status(201, detail_out(membership))


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
    user = staff_user(request, Capability.MEMBERSHIP_VIEW)
    matches = Membership.objects.order_by("-start_date", "-id")
    if status is not None:
        matches = matches.filter(status=status)
    if plan_id is not None:
        matches = matches.filter(plan_id=plan_id)
    if patient_id is not None:
        matches = matches.filter(
            pk__in=MembershipMember.objects.filter(patient_id=patient_id).values("membership_id")
        )
    page = list(with_members(matches)[offset : offset + limit])
    audit_record(
        action="membership.list",
        actor=user,
        object_type="membership",
        detail={
            "patient_ids": sorted(
                {member.patient_id for membership in page for member in member_rows(membership)}
            )
        },
    )
    return MembershipPage(
        items=[membership_out(membership) for membership in page],
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
    return detail_out(access_membership(request_user(request), membership_id))


@memberships_router.get(
    "/{membership_id}/history",
    response=list[StatusChangeOut],
    summary="Every lifecycle action recorded on a membership, oldest first",
    openapi_extra=needs(Capability.MEMBERSHIP_VIEW),
)
def membership_history(request: HttpRequest, membership_id: int) -> list[StatusChangeOut]:
    _, membership = membership_for_staff(
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
    _, membership = membership_for_staff(
        request, membership_id, Capability.MEMBERSHIP_VIEW, "membership.view"
    )
    changes = membership.scheduled_changes.order_by("effective_on", "id")
    if status is not None:
        changes = changes.filter(status=status)
    return [change_out(change) for change in changes]


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
    user, membership = membership_for_staff(
        request, membership_id, Capability.MEMBERSHIP_CHANGE, "membership.change_revoke"
    )
    change = membership.scheduled_changes.filter(pk=change_id).first()
    if change is None:
        raise NotFound("No such scheduled change.")
    if change.kind == ChangeKind.PRICE_CHANGE and not has_capability(
        user, Capability.MEMBERSHIP_PRICE_CHANGE
    ):
        raise PermissionDenied("Only an admin may revoke a price change.", code="forbidden")
    with api_field_names():
        return change_out(scheduled_change_revoke(actor=user, change=change))


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
    _, membership = membership_for_staff(
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
    membership = access_membership(
        request_user(request), membership_id, action="membership.balances_view"
    )
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
    user = request_user(request)
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
        period=period_out(answer.period),
        allowance=answer.allowance,
        unlimited=answer.unlimited,
        left_after_use=answer.left_after_use,
    )
