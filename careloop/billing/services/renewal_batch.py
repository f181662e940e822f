"""Issuing a billing run's plain renewals a batch at a time: the batch path.

A plain renewal is a membership whose next period has started, billed and paid by its own
payer (no sponsor), billable (not paused, cancelled or ended), on a plan that renews, with no
scheduled change due and one period to bill. Those are most of a run; for them the batch
path reads what the invoices need in a handful of queries per batch, computes the invoices
in Python with the same pure functions as `membership_bill_period` (careloop.billing.compose),
and writes them with a few multi-row inserts: invoices, their lines (one insert per line
position, so a discount line can name the charge before it), their journal entries, the
credit applied, the billing rows' next day. Anything else is left to the per-membership
path, in the same transaction of the same run.

The rows are the ones `membership_bill_period` writes for the same membership, value for
value (test_run_batch_path_equivalence.py holds both paths to that). The unique invoice per
membership period still stands behind it: should an insert be refused, the batch's
savepoint rolls back and the caller bills its memberships one by one.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, Sum

from careloop.billing.compose import DraftLine, member_charges, overage_line
from careloop.billing.invoice_states import InvoiceAction, invoice_target
from careloop.billing.models import (
    BillingAccount,
    BillingRun,
    EntryKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    JournalLine,
    Ledger,
    LineKind,
    MembershipBilling,
)
from careloop.billing.services.discounts import renewal_discount_lines
from careloop.billing.services.invoices import (
    DISCOUNTED_KINDS,
    credit_apply,
    invoice_line_row,
    issued_postings,
)
from careloop.billing.services.journal import NewEntry, journal_post_many
from careloop.core import clock
from careloop.core.bulk import rows_insert, rows_update
from careloop.memberships.periods import Period
from careloop.memberships.selectors.billing import (
    BillingTerms,
    memberships_billing_terms,
    memberships_overage_uses,
)

BILLABLE = ("pending", "active", "past_due")


@dataclass(frozen=True)
class Renewal:
    """One plain renewal worked out: the period billed and the invoice's lines."""

    billing: MembershipBilling
    terms: BillingTerms
    lines: list[DraftLine]


def plain_renewals(
    billings: list[MembershipBilling], *, as_of: date, with_changes: set[int]
) -> tuple[list[Renewal], list[MembershipBilling]]:
    """Split a locked batch into the plain renewals, with their lines, and the rest (for the
    per-membership path)."""
    candidates = [
        billing
        for billing in billings
        if billing.membership_id not in with_changes
        and billing.member_account_id is None
        and billing.next_bill_on is not None
    ]
    terms = memberships_billing_terms(
        days={
            billing.membership_id: billing.next_bill_on
            for billing in candidates
            if billing.next_bill_on
        }
    )
    plain = [
        billing for billing in candidates if _renews_plainly(terms[billing.membership_id], as_of)
    ]
    taken = {billing.pk for billing in plain}
    rest = [billing for billing in billings if billing.pk not in taken]
    if not plain:
        return [], rest
    charges = {
        billing.membership_id: member_charges(
            terms=terms[billing.membership_id],
            window=terms[billing.membership_id].current_period,
            names={
                member.patient_id: member.name for member in terms[billing.membership_id].members
            },
            plan_name=terms[billing.membership_id].plan_name,
        )
        for billing in plain
    }
    discounts = renewal_discount_lines(
        charges=charges,
        plans={billing.membership_id: terms[billing.membership_id].plan_id for billing in plain},
    )
    overage = _overage_lines(
        {
            billing.membership_id: Period(
                terms[billing.membership_id].start_date,
                terms[billing.membership_id].current_period.start,
            )
            for billing in plain
        }
    )
    renewals = [
        Renewal(
            billing=billing,
            terms=terms[billing.membership_id],
            lines=charges[billing.membership_id]
            + discounts[billing.membership_id]
            + overage[billing.membership_id],
        )
        for billing in plain
    ]
    return renewals, rest


def _renews_plainly(terms: BillingTerms, as_of: date) -> bool:
    """Billable, its own payer's alone, on a plan that renews, with one period to bill."""
    return (
        terms.status in BILLABLE
        and terms.sponsor is None
        and terms.plan_renews
        and terms.current_period.end > as_of
    )


def _overage_lines(periods: dict[int, Period]) -> dict[int, list[DraftLine]]:
    """`membership_billing.overage_lines` for many memberships: two queries."""
    uses = memberships_overage_uses(periods=periods)
    keys = [f"overage:{use.entry_id}" for found in uses.values() for use in found]
    billed = set(
        InvoiceLine.objects.filter(source_key__in=keys).values_list("source_key", flat=True)
    )
    return {
        membership_id: [
            overage_line(use)
            for use in found
            if f"overage:{use.entry_id}" not in billed and use.amount > 0
        ]
        for membership_id, found in uses.items()
    }


def renewals_issue(*, renewals: list[Renewal], run: BillingRun) -> list[Invoice]:
    """Write the renewals' invoices, lines, journal entries and credit applied, and move each
    billing row to its next period, in a few multi-row inserts; runs in the caller's
    transaction (which holds the billing rows' locks). Returns the invoices issued."""
    today = clock.today()
    now = clock.now()
    accounts = {
        account.pk: account
        for account in BillingAccount.objects.filter(
            pk__in={renewal.billing.account_id for renewal in renewals}
        )
    }
    issuing = [renewal for renewal in renewals if renewal.lines]
    invoices = rows_insert(
        [
            _invoice(renewal, accounts[renewal.billing.account_id], run, today=today, now=now)
            for renewal in issuing
        ]
    )
    _lines(invoices, [renewal.lines for renewal in issuing])
    entries = [
        NewEntry(
            kind=EntryKind.INVOICE,
            key=f"invoice:{invoice.pk}",
            currency=invoice.currency,
            invoice=invoice,
            memo=f"{invoice.number} issued",
            postings=issued_postings(invoice, invoice.subtotal),
        )
        for invoice in invoices
    ]
    entries += _apply_credit(invoices, now=now)
    journal_post_many(entries)
    paid = [invoice for invoice in invoices if invoice.credit_applied]
    if paid:
        rows_update(paid, ["credit_applied", "status", "paid_at", "next_retry_on"])
    for renewal in renewals:
        period = renewal.terms.current_period
        renewal.billing.billed_through = period.end
        renewal.billing.next_bill_on = period.end
        renewal.billing.updated_at = now
    rows_update(
        [renewal.billing for renewal in renewals], ["billed_through", "next_bill_on", "updated_at"]
    )
    return invoices


def _invoice(
    renewal: Renewal, account: BillingAccount, run: BillingRun, *, today: date, now: datetime
) -> Invoice:
    """The invoice `invoice_issue` would leave after finalizing: open, or paid when nothing
    is owed."""
    period = renewal.terms.current_period
    subtotal = sum(line.amount for line in renewal.lines)
    total = max(subtotal, 0)
    status = invoice_target(InvoiceStatus.DRAFT, InvoiceAction.FINALIZE)
    paid = total == 0
    if paid:
        status = invoice_target(InvoiceStatus(status), InvoiceAction.PAY)
    invoice = Invoice(
        account=account,
        membership_id=renewal.billing.membership_id,
        kind=InvoiceKind.RENEWAL,
        key=f"period:{renewal.billing.membership_id}:{period.start.isoformat()}",
        currency=account.currency,
        period_start=period.start,
        period_end=period.end,
        issued_on=today,
        due_on=today,
        created_at=now,
        billing_run=run,
        status=status,
        subtotal=subtotal,
        total=total,
        finalized_at=now,
        paid_at=now if paid else None,
    )
    return invoice


def _lines(invoices: list[Invoice], drafts: list[list[DraftLine]]) -> None:
    """Insert the invoices' lines one position at a time (every invoice's first line, then
    every second line ...): each invoice's lines keep their order, and a discount line can
    name the charge of the same member and start, inserted in an earlier position."""
    charges: list[dict[tuple[int | None, object], InvoiceLine]] = [{} for _ in invoices]
    deepest = max((len(lines) for lines in drafts), default=0)
    for position in range(deepest):
        rows = []
        for index, (invoice, lines) in enumerate(zip(invoices, drafts, strict=True)):
            if position >= len(lines):
                continue
            draft = lines[position]
            credits_line_id = draft.credits_line_id
            if draft.kind == LineKind.DISCOUNT and credits_line_id is None:
                target = charges[index].get((draft.patient_id, draft.service_start))
                credits_line_id = target.pk if target is not None else None
            rows.append((index, draft, invoice_line_row(invoice, draft, credits_line_id)))
        rows_insert([row for _, _, row in rows])
        for index, draft, row in rows:
            if draft.kind in DISCOUNTED_KINDS:
                charges[index][(draft.patient_id, draft.service_start)] = row


def _apply_credit(invoices: list[Invoice], *, now: datetime) -> list[NewEntry]:
    """The payers' credit applied to their new invoices before any card is charged, in the
    batch's order as one `invoice_apply_credit` each would: one query for the balances."""
    owing = [invoice for invoice in invoices if invoice.amount_due > 0]
    credit = {
        row["account_id"]: -int(row["credit"] or 0)
        for row in JournalLine.objects.filter(
            account_id__in={invoice.account_id for invoice in owing}, ledger=Ledger.CREDIT
        )
        .values("account_id")
        .annotate(credit=Sum("amount", filter=Q(ledger=Ledger.CREDIT)))
        .order_by()
    }
    entries = []
    for invoice in invoices:
        # An invoice's own lines below zero add to the payer's credit before the next one.
        credit[invoice.account_id] = credit.get(invoice.account_id, 0) + max(-invoice.subtotal, 0)
        usable = min(credit[invoice.account_id], invoice.amount_due)
        if usable <= 0:
            continue
        credit[invoice.account_id] -= usable
        entries.append(credit_apply(invoice, usable, now))
    return entries
