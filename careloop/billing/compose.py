"""Invoice lines computed from membership terms: pure functions, no database.

Previews and real invoices use the same functions, so what staff see before confirming a
change is what the payer is billed. Members are billed one line each; a change credits the
unused days of each line it replaces (never more than that line still holds after discounts
and earlier credits) and charges the remaining days on the new terms.
"""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from careloop.billing.models import LineKind
from careloop.billing.proration import prorate, prorate_window, round_half_up
from careloop.memberships.models import MemberRole, SponsorShare
from careloop.memberships.periods import Period
from careloop.memberships.selectors.billing import BillingMember, BillingTerms, OverageUse


@dataclass(frozen=True)
class DraftLine:
    kind: LineKind
    description: str
    amount: int
    unit_amount: int
    quantity: int = 1
    patient_id: int | None = None
    price_id: int | None = None
    service_start: date | None = None
    service_end: date | None = None
    credits_line_id: int | None = None
    discount_id: int | None = None
    source_key: str | None = None


@dataclass(frozen=True)
class ChargedLine:
    """A membership charge already invoiced, with what has been taken off it since."""

    id: int
    patient_id: int
    price_id: int | None
    unit_amount: int
    amount: int
    service: Period
    discounted: int = 0  # discount lines against it (<= 0)
    credited: int = 0  # proration credits against it (<= 0)
    credited_windows: tuple[Period, ...] = field(default_factory=tuple)

    @property
    def remaining(self) -> int:
        return self.amount + self.discounted + self.credited


def span(period: Period) -> str:
    last = period.end - timedelta(days=1)
    if period.start == last:
        return _day(last)
    return f"{_day(period.start)} to {_day(last)}"


def _day(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def member_payer_amount(terms: BillingTerms, member: BillingMember) -> int:
    """What the payer pays per interval for one member: the sponsor's share comes off."""
    if terms.sponsor is None:
        return member.amount
    if (
        terms.sponsor.share == SponsorShare.ALL
        or terms.sponsor.fixed_amount_per_member_per_month is None
    ):
        return 0
    return max(
        member.amount - terms.sponsor.fixed_amount_per_member_per_month * terms.interval_months, 0
    )


def _member_window(member: BillingMember, window: Period) -> Period | None:
    start = max(window.start, member.joined_on)
    end = min(window.end, member.left_on or window.end)
    return Period(start, end) if end > start else None


def _role(member: BillingMember) -> str:
    return {MemberRole.PRIMARY: "primary", MemberRole.ADULT: "adult", MemberRole.CHILD: "child"}[
        member.role
    ]


def member_charges(
    *,
    terms: BillingTerms,
    window: Period,
    names: dict[int, str],
    kind: LineKind = LineKind.PERIOD,
    plan_name: str,
) -> list[DraftLine]:
    """One line per member covered during `window` (inside one billing period), prorated
    for members who join or leave within it."""
    lines = []
    for member in terms.members:
        covered = _member_window(member, window)
        if covered is None:
            continue
        unit = member_payer_amount(terms, member)
        if unit == 0:
            continue
        amount = prorate_window(
            amount=unit,
            window=covered,
            anchor=terms.anchor_date,
            anchor_day=terms.anchor_day,
            months=terms.interval_months,
        )
        lines.append(
            DraftLine(
                kind=kind,
                description=(
                    f"{plan_name}, {names.get(member.patient_id, 'member')} ({_role(member)}), "
                    f"{span(covered)}"
                ),
                amount=amount,
                unit_amount=unit,
                patient_id=member.patient_id,
                price_id=terms.price.price_id,
                service_start=covered.start,
                service_end=covered.end,
            )
        )
    return lines


def unused_credit(line: ChargedLine, window: Period, description: str) -> DraftLine | None:
    """The credit for the days of `window` that `line` billed and nobody credited yet.

    Prorated over what the line actually charged after discounts, and never more than it
    still holds: a credit never exceeds what was paid.
    """
    start = max(window.start, line.service.start)
    end = min(window.end, line.service.end)
    if end <= start:
        return None
    days = (end - start).days
    for credited in line.credited_windows:
        days -= max((min(end, credited.end) - max(start, credited.start)).days, 0)
    if days <= 0:
        return None
    charged = line.amount + line.discounted
    amount = min(prorate(charged, days, line.service.days), line.remaining)
    if amount <= 0:
        return None
    return DraftLine(
        kind=LineKind.PRORATION_CREDIT,
        description=description,
        amount=-amount,
        unit_amount=-amount,
        patient_id=line.patient_id,
        price_id=line.price_id,
        service_start=start,
        service_end=end,
        credits_line_id=line.id,
    )


def _unchanged(old: ChargedLine, new: DraftLine) -> bool:
    return (
        not old.credited_windows
        and old.patient_id == new.patient_id
        and old.price_id == new.price_id
        and old.unit_amount == new.unit_amount
        and new.service_start is not None
        and new.service_end is not None
        and old.service.start <= new.service_start
        and old.service.end >= new.service_end
    )


def change_lines(
    *, charged: list[ChargedLine], wanted: list[DraftLine], window: Period, names: dict[int, str]
) -> list[DraftLine]:
    """Credits for what `charged` billed in `window` and charges for `wanted` there, leaving
    out members whose terms did not change."""
    keep_old: set[int] = set()
    charges = []
    for new in wanted:
        match = next(
            (old for old in charged if old.id not in keep_old and _unchanged(old, new)), None
        )
        if match is not None:
            keep_old.add(match.id)
            continue
        charges.append(replace(new, kind=LineKind.PRORATION_CHARGE))
    credits = []
    for old in charged:
        if old.id in keep_old:
            continue
        unused = Period(max(window.start, old.service.start), min(window.end, old.service.end))
        if unused.end <= unused.start:
            continue
        credit = unused_credit(
            old, window, f"Unused days, {names.get(old.patient_id, 'member')}, {span(unused)}"
        )
        if credit is not None:
            credits.append(credit)
    return credits + charges


def percent_off(amount: int, percent: int) -> int:
    return round_half_up(amount * percent, 100)


def discount_lines(
    *,
    charges: list[DraftLine],
    discount_id: int,
    name: str,
    percent: int | None,
    amount_off: int | None,
) -> list[DraftLine]:
    """A discount line per membership charge: a percentage of each, or a fixed amount taken
    from the charges in order until it is used up."""
    lines = []
    remaining = amount_off or 0
    for charge in charges:
        if charge.amount <= 0:
            continue
        if percent is not None:
            off = percent_off(charge.amount, percent)
        else:
            off = min(remaining, charge.amount)
            remaining -= off
        if off <= 0:
            continue
        lines.append(
            DraftLine(
                kind=LineKind.DISCOUNT,
                description=f"Discount: {name}",
                amount=-off,
                unit_amount=-off,
                patient_id=charge.patient_id,
                discount_id=discount_id,
                service_start=charge.service_start,
                service_end=charge.service_end,
            )
        )
    return lines


def overage_line(use: OverageUse) -> DraftLine:
    """The invoice line of one use beyond the allowance, at the member price; its source key
    is the ledger entry, so it is billed once."""
    return DraftLine(
        kind=LineKind.OVERAGE,
        description=(
            f"{use.service_name} beyond the allowance, "
            f"{use.occurred_on:%b} {use.occurred_on.day}, {use.occurred_on.year}"
        ),
        amount=use.amount,
        unit_amount=use.unit_price,
        quantity=use.quantity,
        patient_id=use.patient_id,
        source_key=f"overage:{use.entry_id}",
    )
