"""The membership effect of booking a visit: what front desk sees before booking, and what the
booking service enforces.

The type's service kind names the plan service a visit uses; the entitlement ledger's coverage
check (careloop.memberships.selectors.coverage) says whether the patient's membership covers it
on the visit's day and how many uses are left. On top of that sit the booking rules: a type
limited to some plans refuses other patients; a past-due or paused membership warns or blocks
per the clinic's scheduling settings; a patient with no covering membership pays the
a-la-carte price, or is refused when the type is for members only. Any price above zero must
be acknowledged by whoever books.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from django.db.models import Exists, OuterRef, Q

from careloop.memberships.lifecycle import COVERING
from careloop.memberships.models import (
    Benefit,
    Membership,
    MembershipMember,
    MembershipStatus,
    Service,
)
from careloop.memberships.selectors.coverage import CoverageOutcome, coverage_check
from careloop.memberships.selectors.memberships import membership_for_patient, money
from careloop.patients.models import Patient
from careloop.scheduling.models import (
    AppointmentType,
    LapsedMembershipBooking,
    Location,
    SchedulingSettings,
)
from careloop.scheduling.selectors.calendars import location_zone

LAPSED = frozenset({MembershipStatus.PAST_DUE, MembershipStatus.PAUSED})


class BookingOutcome(StrEnum):
    NO_CHARGE = "no_charge"  # the type uses no plan service
    COVERED = "covered"
    MEMBER_PRICE = "member_price"
    SELF_PAY = "self_pay"
    NOT_ALLOWED_FOR_PLAN = "not_allowed_for_plan"
    MEMBERSHIP_PAST_DUE = "membership_past_due"
    MEMBERSHIP_PAUSED = "membership_paused"
    MEMBERS_ONLY = "members_only"


REFUSED = frozenset(
    {
        BookingOutcome.NOT_ALLOWED_FOR_PLAN,
        BookingOutcome.MEMBERSHIP_PAST_DUE,
        BookingOutcome.MEMBERSHIP_PAUSED,
        BookingOutcome.MEMBERS_ONLY,
    }
)


@dataclass(frozen=True)
class BookingEffect:
    """What booking this visit means for the patient's membership, read aloud as `reason`.

    `price` (minor units) is what the patient pays for the visit: 0 when covered, the member
    price beyond the allowance, or the a-la-carte price. `warning` is set when the clinic lets a
    past-due or paused membership book. `left_after` is the allowance left after this visit
    (None when unlimited or not covered).
    """

    outcome: BookingOutcome
    reason: str
    price: int = 0
    currency: str = "USD"
    warning: str = ""
    service: Service | None = None
    membership: Membership | None = None
    plan_name: str = ""
    left_after: int | None = None
    unlimited: bool = False

    @property
    def allowed(self) -> bool:
        return self.outcome not in REFUSED

    @property
    def needs_acknowledgement(self) -> bool:
        return self.allowed and self.price > 0


def lapsed_membership_booking() -> LapsedMembershipBooking:
    row = SchedulingSettings.objects.order_by("id").first()
    if row is None:
        return LapsedMembershipBooking.WARN
    return LapsedMembershipBooking(row.lapsed_membership_booking)


def visit_day(location: Location, start_at: datetime) -> date:
    return start_at.astimezone(location_zone(location)).date()


def visit_service(
    *, appointment_type: AppointmentType, patient: Patient, on: date
) -> Service | None:
    """The service a visit of this type uses: of the type's kind, one of the patient's plans
    includes first (lowest id), else the clinic's first active one; None when it uses none."""
    if not appointment_type.service_kind:
        return None
    plan_ids = (
        MembershipMember.objects.filter(patient=patient, joined_on__lte=on)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=on))
        .values("membership__plan_id")
    )
    included = Benefit.objects.filter(service=OuterRef("pk"), plan_id__in=plan_ids)
    return (
        Service.objects.filter(kind=appointment_type.service_kind, active=True)
        .annotate(included=Exists(included))
        .order_by("-included", "id")
        .first()
    )


def booking_effect(
    *,
    patient: Patient,
    appointment_type: AppointmentType,
    location: Location,
    start_at: datetime,
    membership: Membership | None = None,
) -> BookingEffect:
    """Covered, beyond the allowance, self-pay, or refused (and why) for this visit."""
    day = visit_day(location, start_at)
    membership = membership or membership_for_patient(patient=patient, on=day)
    plan_name = membership.plan.name if membership is not None else ""
    allowed_plans = {plan.pk: plan.name for plan in appointment_type.plans_allowed.all()}
    if allowed_plans and (membership is None or membership.plan_id not in allowed_plans):
        plans = ", ".join(sorted(allowed_plans.values()))
        return BookingEffect(
            outcome=BookingOutcome.NOT_ALLOWED_FOR_PLAN,
            reason=f"{appointment_type.name} is only for members of {plans}.",
            membership=membership,
            plan_name=plan_name,
        )
    warning = ""
    if membership is not None and membership.status in LAPSED:
        status = MembershipStatus(membership.status)
        sentence = f"The {plan_name} membership is {status.label.lower()}."
        if lapsed_membership_booking() == LapsedMembershipBooking.BLOCK:
            outcome = (
                BookingOutcome.MEMBERSHIP_PAUSED
                if status == MembershipStatus.PAUSED
                else BookingOutcome.MEMBERSHIP_PAST_DUE
            )
            return BookingEffect(
                outcome=outcome,
                reason=f"{sentence} The clinic books no visits until it is "
                f"{'resumed' if status == MembershipStatus.PAUSED else 'paid'}.",
                membership=membership,
                plan_name=plan_name,
            )
        warning = sentence
    covering = membership is not None and membership.status in COVERING
    if not covering and not appointment_type.non_members_allowed:
        return BookingEffect(
            outcome=BookingOutcome.MEMBERS_ONLY,
            reason=f"{appointment_type.name} is for members only, and "
            f"{patient.display_name} has no membership that covers visits then.",
            warning=warning,
            membership=membership,
            plan_name=plan_name,
        )
    service = visit_service(appointment_type=appointment_type, patient=patient, on=day)
    if service is None:
        return BookingEffect(
            outcome=BookingOutcome.NO_CHARGE,
            reason=f"{appointment_type.name} uses no plan benefit.",
            warning=warning,
            membership=membership,
            plan_name=plan_name,
        )
    answer = coverage_check(patient=patient, service=service, on=day)
    outcome = {
        CoverageOutcome.COVERED: BookingOutcome.COVERED,
        CoverageOutcome.MEMBER_PRICE: BookingOutcome.MEMBER_PRICE,
    }.get(answer.outcome, BookingOutcome.SELF_PAY)
    reason = answer.reason
    if answer.price:
        reason += f" Acknowledge {money(answer.price, answer.currency)} to book."
    return BookingEffect(
        outcome=outcome,
        reason=reason,
        price=answer.price,
        currency=answer.currency,
        warning=warning,
        service=service,
        membership=membership,
        plan_name=plan_name,
        left_after=answer.left_after_use,
        unlimited=answer.unlimited,
    )
