"""Enrolling a patient or a household in a plan."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from django.db import IntegrityError, transaction
from django.db.models import Q

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import FieldError, PermissionDenied, ValidationFailed
from careloop.memberships.errors import AlreadyCovered
from careloop.memberships.events import MembershipChanged, publish
from careloop.memberships.models import (
    MemberRole,
    Membership,
    MembershipMember,
    MembershipSettings,
    MembershipStatus,
    Plan,
    PlanPrice,
    PlanStatus,
    RosterEntry,
    Sponsor,
    StatusChange,
)
from careloop.memberships.periods import Interval, first_anchor_on_or_after
from careloop.memberships.services.entitlements import entitlement_grant_period
from careloop.patients.models import Patient

Anchor = Literal["start_day", "clinic_day"]


@dataclass(frozen=True)
class MemberSpec:
    patient: Patient
    role: MemberRole


def membership_settings() -> MembershipSettings:
    """The clinic's membership settings row, created with defaults on first use."""
    row = MembershipSettings.objects.order_by("id").first()
    if row is None:
        row, _ = MembershipSettings.objects.get_or_create(id=1)
    return row


def current_price(plan: Plan, interval: str) -> PlanPrice | None:
    return PlanPrice.objects.filter(plan=plan, interval=interval, current=True).first()


def covering_elsewhere(patient: Patient, plan: Plan, on: date) -> MembershipMember | None:
    """The coverage row that would stop `patient` joining `plan` on `on`, if any.

    A patient holds one tier at a time (and each program once); a row still open, or closing
    after `on`, is in the way.
    """
    rows = MembershipMember.objects.filter(patient=patient).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=on)
    )
    rows = rows.filter(plan_kind="tier") if plan.kind == "tier" else rows.filter(plan=plan)
    return rows.select_related("membership__plan").first()


def already_covered_error(patient: Patient, row: MembershipMember) -> FieldError:
    membership = row.membership
    return FieldError(
        "members",
        f"{patient.full_name} is already covered by {membership.plan.name} "
        f"(membership #{membership.pk}); end that coverage first.",
        "already_covered",
    )


def member_problems(
    *,
    patient: Patient,
    role: MemberRole,
    plan: Plan,
    price: PlanPrice,
    on: date,
    payer_patient: Patient | None,
    sponsor: Sponsor | None,
) -> list[FieldError]:
    """Every rule a new member breaks, joining `plan` at `price` on `on`.

    Members of a patient-paid membership share the payer's household (the household is who
    shares a membership and a payer); members of a sponsored one are on its roster that day.
    """
    problems: list[FieldError] = []
    name = patient.full_name
    if on < patient.date_of_birth:
        problems.append(
            FieldError(
                "start_date",
                f"The start date {on.isoformat()} is before {name}'s birth "
                f"({patient.date_of_birth.isoformat()}).",
                "before_birth",
            )
        )
    elif role == MemberRole.CHILD and patient.age_on(on) >= price.child_age_limit:
        problems.append(
            FieldError(
                "members",
                f"{name} is {patient.age_on(on)} on {on.isoformat()}: a child over the age "
                f"limit of {price.child_age_limit} for {plan.name}; enroll them as an adult.",
                "child_over_age_limit",
            )
        )
    shares_household = payer_patient is None or (
        patient.id == payer_patient.id
        or (
            payer_patient.household_id is not None
            and patient.household_id == payer_patient.household_id
        )
    )
    if not shares_household and payer_patient is not None:
        problems.append(
            FieldError(
                "members",
                f"{name} is not in {payer_patient.full_name}'s household; members of a "
                "membership a patient pays for share the payer's household, so add them to "
                "it first.",
                "not_in_payer_household",
            )
        )
    if sponsor is not None:
        on_roster = RosterEntry.objects.filter(
            sponsor=sponsor, patient=patient, effective_on__lte=on
        ).filter(Q(terminated_on__isnull=True) | Q(terminated_on__gt=on))
        if not on_roster.exists():
            problems.append(
                FieldError(
                    "members",
                    f"{name} is not on {sponsor.name}'s roster on {on.isoformat()}.",
                    "not_on_roster",
                )
            )
    row = covering_elsewhere(patient, plan, on)
    if row is not None:
        problems.append(already_covered_error(patient, row))
    return problems


def already_covered(errors: list[FieldError]) -> AlreadyCovered:
    """The error for members another membership covers, its message naming each of them."""
    return AlreadyCovered(errors, " ".join(error.message for error in errors))


def member_add_row(
    *, membership: Membership, patient: Patient, role: MemberRole, on: date
) -> MembershipMember:
    """Insert a coverage row; the database's one-open-tier rule is reported by name."""
    try:
        with transaction.atomic():
            return MembershipMember.objects.create(
                membership=membership,
                patient=patient,
                role=role,
                plan=membership.plan,
                plan_kind=membership.plan.kind,
                joined_on=on,
            )
    except IntegrityError as error:
        raise already_covered(
            [
                FieldError(
                    "members",
                    f"{patient.full_name} is already covered by another membership.",
                    "already_covered",
                )
            ]
        ) from error


def _resolve_plan(plan: Plan | int) -> Plan:
    plan_id = plan.pk if isinstance(plan, Plan) else plan
    found = Plan.objects.filter(pk=plan_id).first()
    if found is None:
        raise ValidationFailed.single("plan", "No such plan.", "unknown_plan")
    return found


def membership_enroll(
    *,
    actor: User,
    plan: Plan | int,
    interval: Interval | str,
    payer_patient: Patient | None = None,
    sponsor: Sponsor | None = None,
    members: Sequence[MemberSpec],
    start_date: date,
    anchor: Anchor = "start_day",
    price: PlanPrice | None = None,
    payment_method_on_file: bool = False,
) -> Membership:
    """Enroll `members` in `plan`, paid by a patient or a sponsor, from `start_date`.

    The membership is pending until a payment method is on file (billing keeps those; until
    then the caller says so), active otherwise. `price`, when given, must be the plan's
    current price for the interval (a stale form fails instead of enrolling at an old price).
    A start date in the past is backdating: admins only, and audited as such. The first
    period's allowances are granted when the membership covers from today or earlier.
    """
    with transaction.atomic():
        found = _resolve_plan(plan)
        errors: list[FieldError] = []
        if found.status != PlanStatus.ACTIVE:
            reason = "is retired and sells no more" if found.status == "retired" else "is a draft"
            raise ValidationFailed.single(
                "plan", f"{found.name} {reason}; choose an active plan.", "plan_not_for_sale"
            )
        if interval not in Interval.values:
            raise ValidationFailed.single(
                "interval", "Choose monthly, quarterly or annual.", "unknown_interval"
            )
        chosen_interval = Interval(interval)
        offered = current_price(found, chosen_interval)
        if offered is None:
            raise ValidationFailed.single(
                "interval",
                f"{found.name} has no current {chosen_interval.label.lower()} price.",
                "no_price",
            )
        if price is not None and price.pk != offered.pk:
            errors.append(
                FieldError(
                    "price",
                    f"That price is no longer offered; the current {chosen_interval.label.lower()} "
                    f"price of {found.name} is version {offered.version}.",
                    "stale_price",
                )
            )
        if (payer_patient is None) == (sponsor is None):
            errors.append(
                FieldError(
                    "payer", "Choose one payer: a patient or a sponsor.", "one_payer_required"
                )
            )
        if sponsor is not None and (
            not sponsor.active or not sponsor.plans.filter(pk=found.pk).exists()
        ):
            errors.append(
                FieldError(
                    "sponsor",
                    f"{sponsor.name} does not sponsor {found.name}.",
                    "plan_not_sponsored",
                )
            )
        if not members:
            raise ValidationFailed(
                [*errors, FieldError("members", "Add at least one member.", "required")]
            )
        patient_ids = [spec.patient.id for spec in members]
        if len(set(patient_ids)) != len(patient_ids):
            errors.append(FieldError("members", "A patient is listed twice.", "duplicate_member"))
        primaries = [spec for spec in members if spec.role == MemberRole.PRIMARY]
        if len(primaries) != 1:
            errors.append(FieldError("members", "Name exactly one primary member.", "one_primary"))
        today = clock.today()
        backdated = start_date < today
        if backdated and not has_capability(actor, Capability.MEMBERSHIP_BACKDATE):
            raise PermissionDenied(
                f"The start date {start_date.isoformat()} is in the past; only an admin may "
                "backdate an enrollment.",
                code="backdating_not_allowed",
            )
        anchor_date, anchor_day = start_date, start_date.day
        if anchor == "clinic_day":
            billing_day = membership_settings().clinic_billing_day
            if billing_day is None:
                errors.append(
                    FieldError(
                        "anchor",
                        "The clinic has no billing day set; anchor on the start day instead.",
                        "no_clinic_billing_day",
                    )
                )
            else:
                anchor_date = first_anchor_on_or_after(start_date, billing_day)
                anchor_day = billing_day
        elif anchor != "start_day":
            errors.append(
                FieldError("anchor", "Choose the start day or the clinic's day.", "unknown_anchor")
            )
        locked = {
            patient.id: patient
            for patient in Patient.objects.select_for_update().filter(id__in=sorted(patient_ids))
        }
        for spec in members:
            errors.extend(
                member_problems(
                    patient=locked.get(spec.patient.id, spec.patient),
                    role=spec.role,
                    plan=found,
                    price=offered,
                    on=start_date,
                    payer_patient=payer_patient,
                    sponsor=sponsor,
                )
            )
        if errors:
            covered = [error for error in errors if error.code == "already_covered"]
            if covered and len(covered) == len(errors):
                raise already_covered(errors)
            raise ValidationFailed(errors)

        now = clock.now()
        status = MembershipStatus.ACTIVE if payment_method_on_file else MembershipStatus.PENDING
        membership = Membership.objects.create(
            plan=found,
            price=offered,
            interval=chosen_interval,
            payer_patient=payer_patient,
            sponsor=sponsor,
            status=status,
            start_date=start_date,
            anchor_date=anchor_date,
            anchor_day=anchor_day,
            created_at=now,
            updated_at=now,
        )
        for spec in members:
            member_add_row(
                membership=membership, patient=spec.patient, role=spec.role, on=start_date
            )
        StatusChange.objects.create(
            membership=membership,
            action="enroll",
            from_status="",
            to_status=status,
            effective_on=start_date,
            recorded_at=now,
            actor=actor,
            reason="Backdated enrollment" if backdated else "",
        )
        for spec in members:
            audit_record(
                action="membership.enroll",
                actor=actor,
                patient_id=spec.patient.id,
                object_type="membership",
                object_id=membership.pk,
                detail={"plan": found.code, "role": str(spec.role), "status": str(status)},
            )
            if backdated:
                audit_record(
                    action="membership.backdate",
                    actor=actor,
                    patient_id=spec.patient.id,
                    object_type="membership",
                    object_id=membership.pk,
                    detail={"action": "enroll", "effective_on": start_date.isoformat()},
                )
        if start_date <= today:
            entitlement_grant_period(membership=membership, on=today)
        publish(
            MembershipChanged(
                membership=membership,
                action="enroll",
                effective_on=start_date,
                key=f"enroll:{membership.pk}",
                actor=actor,
            )
        )
    membership.refresh_from_db()
    return membership
