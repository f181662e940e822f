"""Employer sponsors: one invoice a month covering their members' share.

A line per covered member, prorated by the days of the month they were covered (joining or
leaving mid-month). The share per month is the sponsor's fixed amount per member, or for a
sponsor paying all of it, the member's amount per interval divided by the interval's months.
The member pays any remainder on their own invoice (membership_billing.py).

A month is invoiced by the first billing run after it ends: only then are its mid-month
additions and terminations known (an invoice at the start of the month would miss a member
who joins on the 10th and bill in full one terminated on the 20th).
"""

from datetime import date, timedelta

from careloop.billing.compose import DraftLine, span
from careloop.billing.models import BillingRun, Invoice, InvoiceKind, LineKind
from careloop.billing.proration import add_months, prorate, round_half_up
from careloop.billing.services.accounts import billing_account_for
from careloop.billing.services.invoices import invoice_issue
from careloop.memberships.models import (
    MembershipMember,
    MembershipStatus,
    Sponsor,
    SponsorShare,
)
from careloop.memberships.periods import INTERVAL_MONTHS, Interval, Period
from careloop.memberships.selectors.billing import member_amount

SPONSOR_PAYMENT_DAYS = 30


def sponsor_month(day: date) -> Period:
    start = day.replace(day=1)
    return Period(start, add_months(start, 1))


def sponsor_invoice_lines(sponsor: Sponsor, month: Period) -> list[DraftLine]:
    rows = (
        MembershipMember.objects.filter(membership__sponsor=sponsor, joined_on__lt=month.end)
        .exclude(left_on__lte=month.start)
        .exclude(membership__status=MembershipStatus.PENDING)
        .select_related("membership", "membership__price", "membership__plan", "patient")
        .order_by("membership_id", "id")
    )
    lines = []
    for row in rows:
        membership = row.membership
        start = max(month.start, row.joined_on)
        end = min(month.end, row.left_on or month.end)
        if membership.paused_on is not None and membership.status == MembershipStatus.PAUSED:
            end = min(end, max(membership.paused_on, start))
        if end <= start:
            continue
        covered = Period(start, end)
        months = INTERVAL_MONTHS[Interval(membership.interval)]
        full = member_amount(membership.price, row.role)
        if sponsor.share == SponsorShare.FIXED and sponsor.fixed_share_amount is not None:
            per_month = min(sponsor.fixed_share_amount, round_half_up(full, months))
        else:
            per_month = round_half_up(full, months)
        amount = per_month if covered == month else prorate(per_month, covered.days, month.days)
        if amount <= 0:
            continue
        lines.append(
            DraftLine(
                kind=LineKind.SPONSOR_SHARE,
                description=f"{membership.plan.name}, {row.patient.full_name}, {span(covered)}",
                amount=amount,
                unit_amount=per_month,
                patient_id=row.patient_id,
                service_start=covered.start,
                service_end=covered.end,
            )
        )
    return lines


def sponsor_invoices_issue(*, as_of: date, run: BillingRun | None = None) -> list[Invoice]:
    """Last month's invoice for every sponsor with members, once per sponsor and month."""
    month = sponsor_month(as_of.replace(day=1) - timedelta(days=1))
    issued = []
    for sponsor in Sponsor.objects.filter(memberships__isnull=False).distinct().order_by("id"):
        key = f"sponsor:{sponsor.pk}:{month.start:%Y-%m}"
        if Invoice.objects.filter(key=key).exists():
            continue
        lines = sponsor_invoice_lines(sponsor, month)
        if not lines:
            continue
        result = invoice_issue(
            account=billing_account_for(sponsor=sponsor),
            kind=InvoiceKind.SPONSOR,
            key=key,
            lines=lines,
            period=month,
            run=run,
            due_in_days=SPONSOR_PAYMENT_DAYS,
        )
        if result.created:
            issued.append(result.invoice)
    return issued
