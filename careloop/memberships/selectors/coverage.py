""" "Is this covered?": for a patient, a service and a date, what the patient's memberships say.

Coverage follows each membership's status today (paused and pending cover nothing; past due
follows the clinic's policy) and the member's own dates; the date picks the allowance period.
When a patient holds a tier and add-on programs that both include the service, the first one
with uses left covers it (tier first), otherwise the first one prices it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from django.db import connection

from careloop.memberships.lifecycle import COVERING
from careloop.memberships.models import (
    Benefit,
    Membership,
    MembershipMember,
    MembershipSettings,
    MembershipStatus,
    PastDueCoverage,
    Plan,
    PlanKind,
    Service,
)
from careloop.memberships.models.catalog import AllowancePeriod
from careloop.memberships.periods import Period
from careloop.memberships.selectors.balances import Balance, allowance_period, benefit_balance
from careloop.patients.models import Patient


class CoverageOutcome(StrEnum):
    COVERED = "covered"
    MEMBER_PRICE = "member_price"
    NOT_COVERED = "not_covered"
    NOT_A_MEMBER = "not_a_member"


@dataclass(frozen=True)
class CoverageAnswer:
    """The answer front desk reads aloud (`reason`) and the facts behind it.

    `price` is what this one use costs in minor units: 0 when covered, the member price beyond
    the allowance, or the a-la-carte price. `left_after_use` is None when unlimited or not
    covered.
    """

    outcome: CoverageOutcome
    reason: str
    price: int
    currency: str
    service_id: int
    membership_id: int | None = None
    membership_status: str = ""
    plan_name: str = ""
    benefit_id: int | None = None
    period: Period | None = None
    allowance: int | None = None
    unlimited: bool = False
    left_after_use: int | None = None

    @property
    def covered(self) -> bool:
        return self.outcome == CoverageOutcome.COVERED


@dataclass(frozen=True)
class CoverageOption:
    """A membership that covers the patient today and includes the service."""

    membership: Membership
    benefit: Benefit


def past_due_coverage() -> PastDueCoverage:
    row = MembershipSettings.objects.order_by("id").first()
    return PastDueCoverage(row.past_due_coverage) if row is not None else PastDueCoverage.KEEP


def membership_covers(membership: Membership, policy: PastDueCoverage) -> bool:
    """Whether the membership covers its members now: active, or past due under a keep policy."""
    if membership.status not in COVERING:
        return False
    return membership.status != MembershipStatus.PAST_DUE or policy == PastDueCoverage.KEEP


def _coverage_rows(
    *, patient: Patient, service: Service, on: date
) -> list[tuple[Membership, Benefit | None]]:
    """The patient's memberships on `on` with their plan and their benefit for `service`.

    One statement (coverage checks run on every booking screen, and the ORM's select_related
    compile cost more than the query): tier first, then programs.
    """
    benefit_fields = [field.attname for field in Benefit._meta.concrete_fields]
    day = connection.ops.adapt_datefield_value(on)
    benefit_columns = ", ".join(f"b.{name} AS benefit_{name}" for name in benefit_fields)
    rows = Membership.objects.raw(
        f"SELECT m.*, mm.plan_kind AS coverage_kind, p.name AS coverage_plan_name, "  # noqa: S608
        f"{benefit_columns} "
        f"FROM {MembershipMember._meta.db_table} mm "
        f"JOIN {Membership._meta.db_table} m ON m.id = mm.membership_id "
        f"JOIN {Plan._meta.db_table} p ON p.id = m.plan_id "
        f"LEFT JOIN {Benefit._meta.db_table} b ON b.plan_id = m.plan_id AND b.service_id = %s "
        "WHERE mm.patient_id = %s AND mm.joined_on <= %s "
        "AND (mm.left_on IS NULL OR mm.left_on > %s)",
        [service.pk, patient.pk, day, day],
    )
    found: list[tuple[str, Membership, Benefit | None]] = []
    for membership in rows:
        extra = vars(membership)
        membership.plan = Plan.from_db(
            rows.db,
            ["id", "name", "kind"],
            [membership.plan_id, extra["coverage_plan_name"], extra["coverage_kind"]],
        )
        benefit = None
        if extra["benefit_id"] is not None:
            benefit = Benefit.from_db(
                rows.db, benefit_fields, [extra[f"benefit_{name}"] for name in benefit_fields]
            )
            benefit.service = service
        found.append((extra["coverage_kind"], membership, benefit))
    found.sort(key=lambda row: (row[0] != PlanKind.TIER, row[1].pk))
    return [(membership, benefit) for _, membership, benefit in found]


def coverage_options(
    *, patient: Patient, service: Service, on: date
) -> tuple[list[CoverageOption], CoverageAnswer | None]:
    """The memberships that may cover this use, or, when there are none, the answer saying why."""
    rows = _coverage_rows(patient=patient, service=service, on=on)
    memberships = [membership for membership, _ in rows]
    if not memberships:
        return [], _a_la_carte(
            service,
            CoverageOutcome.NOT_A_MEMBER,
            f"{patient.display_name} is not a member on {_day(on, on)}: "
            f"{_one(service)} is {_money(service.a_la_carte_price, service.currency)} a la carte.",
        )
    policy = (
        past_due_coverage()
        if any(membership.status == MembershipStatus.PAST_DUE for membership in memberships)
        else PastDueCoverage.KEEP
    )
    covering = [
        (membership, benefit)
        for membership, benefit in rows
        if membership_covers(membership, policy)
    ]
    if not covering:
        membership = memberships[0]
        return [], _a_la_carte(
            service,
            CoverageOutcome.NOT_COVERED,
            f"{_status_sentence(membership, policy)} "
            f"{_one(service).capitalize()} is "
            f"{_money(service.a_la_carte_price, service.currency)} a la carte.",
            membership=membership,
        )
    options = [
        CoverageOption(membership=membership, benefit=benefit)
        for membership, benefit in covering
        if benefit is not None
    ]
    if options:
        return options, None
    plans = " or ".join(membership.plan.name for membership, _ in covering)
    return [], _a_la_carte(
        service,
        CoverageOutcome.NOT_COVERED,
        f"{plans} does not include {_one(service)}; it is "
        f"{_money(service.a_la_carte_price, service.currency)} a la carte.",
        membership=covering[0][0],
    )


def option_balance(option: CoverageOption, *, patient_id: int, on: date) -> Balance:
    period = allowance_period(membership=option.membership, benefit=option.benefit, day=on)
    return benefit_balance(
        membership=option.membership, patient_id=patient_id, benefit=option.benefit, period=period
    )


def coverage_check(*, patient: Patient, service: Service, on: date) -> CoverageAnswer:
    """Covered (from which allowance, how many left), member price, or the a-la-carte price."""
    options, refusal = coverage_options(patient=patient, service=service, on=on)
    if refusal is not None:
        return refusal
    priced: tuple[CoverageOption, Balance] | None = None
    for option in options:
        found = option_balance(option, patient_id=patient.id, on=on)
        left = _expected_available(option.benefit, found)
        if left is None or left >= 1:
            return _covered(option, found, left, service, on)
        if priced is None:
            priced = (option, found)
    assert priced is not None
    option, found = priced
    return member_price_answer(option, found, service, on)


def _expected_available(benefit: Benefit, found: Balance) -> int | None:
    """Available uses, counting the period's grant when the period job has not written it yet."""
    if found.available is None:
        return None
    if found.granted == 0 and benefit.allowance:
        return found.available + benefit.allowance
    return found.available


def _covered(
    option: CoverageOption, found: Balance, left: int | None, service: Service, on: date
) -> CoverageAnswer:
    membership, benefit = option.membership, option.benefit
    if left is None:
        reason = f"{membership.plan.name} includes unlimited {_many(service)}."
        after = None
    else:
        after = left - 1
        reason = (
            f"{_includes(membership, benefit, found)}; {after} left after this one"
            f"{_until(benefit, found.period, on)}."
        )
        if found.held:
            reason += f" {found.held} more {'is' if found.held == 1 else 'are'} held for bookings."
    return CoverageAnswer(
        outcome=CoverageOutcome.COVERED,
        reason=reason + _past_due_note(membership),
        price=0,
        currency=service.currency,
        service_id=service.id,
        membership_id=membership.id,
        membership_status=membership.status,
        plan_name=membership.plan.name,
        benefit_id=benefit.id,
        period=found.period,
        allowance=benefit.allowance,
        unlimited=left is None,
        left_after_use=after,
    )


def member_price_answer(
    option: CoverageOption, found: Balance, service: Service, on: date
) -> CoverageAnswer:
    membership, benefit = option.membership, option.benefit
    price = benefit.beyond_allowance_price()
    if benefit.allowance == 0:
        opening = f"{membership.plan.name} includes {_many(service)} at the member price only"
    else:
        opening = (
            f"{_includes(membership, benefit, found)}, all used or held"
            f"{_until(benefit, found.period, on)}"
        )
    return CoverageAnswer(
        outcome=CoverageOutcome.MEMBER_PRICE,
        reason=(
            f"{opening}; this one is at the member price of {_money(price, service.currency)}."
            + _past_due_note(membership)
        ),
        price=price,
        currency=service.currency,
        service_id=service.id,
        membership_id=membership.id,
        membership_status=membership.status,
        plan_name=membership.plan.name,
        benefit_id=benefit.id,
        period=found.period,
        allowance=benefit.allowance,
        left_after_use=None,
    )


def _a_la_carte(
    service: Service,
    outcome: CoverageOutcome,
    reason: str,
    *,
    membership: Membership | None = None,
) -> CoverageAnswer:
    return CoverageAnswer(
        outcome=outcome,
        reason=reason,
        price=service.a_la_carte_price,
        currency=service.currency,
        service_id=service.id,
        membership_id=membership.id if membership is not None else None,
        membership_status=membership.status if membership is not None else "",
        plan_name=membership.plan.name if membership is not None else "",
    )


PERIOD_PHRASES = {
    AllowancePeriod.MONTH: "a month",
    AllowancePeriod.QUARTER: "a quarter",
    AllowancePeriod.YEAR: "a year",
    AllowancePeriod.TERM: "for the membership term",
}


def _includes(membership: Membership, benefit: Benefit, found: Balance) -> str:
    allowance = benefit.allowance or 0
    name = _many(benefit.service) if allowance != 1 else _one(benefit.service)
    text = (
        f"{membership.plan.name} includes {allowance} {name} "
        f"{PERIOD_PHRASES[AllowancePeriod(benefit.allowance_period)]}"
    )
    if found.rolled_over - found.expired > 0:
        text += f" (plus {found.rolled_over - found.expired} rolled over)"
    return text


def _status_sentence(membership: Membership, policy: PastDueCoverage) -> str:
    plan = membership.plan.name
    status = MembershipStatus(membership.status)
    if status == MembershipStatus.PAUSED:
        since = (
            f" since {_day(membership.paused_on, membership.paused_on)}"
            if membership.paused_on
            else ""
        )
        return f"The {plan} membership is paused{since} and covers nothing while paused."
    if status == MembershipStatus.PAST_DUE and policy == PastDueCoverage.NONE:
        return (
            f"The {plan} membership is past due, and the clinic covers nothing "
            "while a membership is past due."
        )
    if status == MembershipStatus.PENDING:
        return f"The {plan} membership is pending (no payment method yet) and covers nothing yet."
    return f"The {plan} membership is {status.label.lower()} and covers nothing."


def _past_due_note(membership: Membership) -> str:
    if membership.status == MembershipStatus.PAST_DUE:
        return " The membership is past due; the clinic keeps covering until it is paid."
    return ""


def _one(service: Service) -> str:
    """The service's name as it reads mid-sentence: "provider visit", "IV therapy"."""
    name = service.name
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _many(service: Service) -> str:
    name = _one(service)
    if name.endswith("y") and len(name) > 1 and name[-2].lower() not in "aeiou":
        return name[:-1] + "ies"
    if name.endswith(("s", "x", "ch", "sh")):
        return name + "es"
    return name + "s"


def _day(day: date, today: date) -> str:
    text = f"{day:%b} {day.day}"
    return text if day.year == today.year else f"{text}, {day.year}"


def _until(benefit: Benefit, period: Period, on: date) -> str:
    if benefit.allowance_period == AllowancePeriod.TERM:
        return ""
    return f" until {_day(period.end - timedelta(days=1), on)}"


def _money(amount: int, currency: str) -> str:
    whole = f"{amount // 100:,}.{amount % 100:02d}"
    return f"${whole}" if currency == "USD" else f"{whole} {currency}"
