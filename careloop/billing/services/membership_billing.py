"""Billing a membership: its first invoice, its renewals and every change to its terms.

`on_membership_changed` is registered with careloop.memberships.events and runs inside the
transaction of every enrollment and applied lifecycle action. The rules (docs/billing.md):
- the first invoice, at enrollment: the enrollment fee (once) and the first period, in full
  when the anchor is the start day, or as a prorated stub to the clinic's anchor day;
- an upgrade, a new member, a price change (and an admin's immediate downgrade or removal):
  credit for the unused days of the old terms, capped at what was charged, and a charge for
  the remaining days on the new terms, invoiced and collected at once; the anchor stays;
- an interval change: the new interval starts on the change day (the anchor moves there);
  the unused days of the old period are credited on the new period's invoice;
- cancel: no credit at period end; a credit for unused days when earlier, and the plan's
  early-termination fee within its minimum commitment;
- pause: the paused days of the paid period are credited, no invoices while paused, the
  plan's pause fee per paused month; resume (and reactivate): a prorated stub to the next
  anchor day.
Collection happens after commit (services/collection.py), never inside the transaction.
"""

from dataclasses import replace
from datetime import date

from django.db import transaction

from careloop.billing.compose import (
    DraftLine,
    change_lines,
    member_charges,
    overage_line,
    span,
    unused_credit,
)
from careloop.billing.models import (
    BillingAccount,
    BillingRun,
    InvoiceKind,
    LineKind,
    MembershipBilling,
)
from careloop.billing.proration import add_months, next_boundary
from careloop.billing.selectors.charges import charged_lines
from careloop.billing.services.accounts import billing_account_for, default_payment_method
from careloop.billing.services.collection import invoice_collect_after_commit
from careloop.billing.services.discounts import discount_lines_for, introductory_redeem
from careloop.billing.services.invoices import Issued, invoice_issue
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.memberships.events import MembershipChanged
from careloop.memberships.lifecycle import Action
from careloop.memberships.models import (
    CancellationReason,
    MemberRole,
    Membership,
    MembershipMember,
    MembershipStatus,
)
from careloop.memberships.periods import Period
from careloop.memberships.selectors.billing import (
    BillingTerms,
    membership_billing_terms,
    membership_overage_uses,
)
from careloop.memberships.services.lifecycle import membership_activate, membership_cancel
from careloop.patients.models import Patient

BILLABLE = frozenset({MembershipStatus.PENDING, MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE})
TERM_CHANGES = frozenset(
    {Action.CHANGE_PLAN, Action.ADD_MEMBER, Action.REMOVE_MEMBER, Action.CHANGE_PRICE}
)


def on_membership_changed(event: MembershipChanged) -> None:
    if event.action == "enroll":
        membership_billing_start(event)
    else:
        membership_billing_change(event)


def _names(membership: Membership) -> dict[int, str]:
    rows = MembershipMember.objects.filter(membership=membership).select_related("patient")
    return {row.patient_id: row.patient.full_name for row in rows}


def _primary_patient(membership: Membership) -> Patient:
    row = (
        MembershipMember.objects.filter(membership=membership, role=MemberRole.PRIMARY)
        .select_related("patient")
        .order_by("id")
        .first()
    )
    assert row is not None, "every membership has a primary member"
    return row.patient


def membership_billing_for(membership: Membership) -> MembershipBilling:
    """The membership's billing row, locked; created for a membership billing never saw."""
    found = MembershipBilling.objects.select_for_update().filter(membership=membership).first()
    if found is not None:
        return found
    if membership.sponsor_id is not None:
        account = billing_account_for(sponsor=membership.sponsor)
        member_account: BillingAccount | None = billing_account_for(
            patient=_primary_patient(membership)
        )
    else:
        account = billing_account_for(patient=membership.payer_patient)
        member_account = None
    MembershipBilling.objects.get_or_create(
        membership=membership,
        defaults={
            "account": account,
            "member_account": member_account,
            "updated_at": clock.now(),
        },
    )
    return MembershipBilling.objects.select_for_update().get(membership=membership)


def _save(
    billing: MembershipBilling, *, billed_through: date | None, next_bill_on: date | None
) -> None:
    billing.billed_through = billed_through
    billing.next_bill_on = next_bill_on
    billing.updated_at = clock.now()
    billing.save(update_fields=["billed_through", "next_bill_on", "updated_at"])


def _period_lines(
    *, membership: Membership, terms: BillingTerms, period: Period, names: dict[int, str]
) -> list[DraftLine]:
    charges = member_charges(
        terms=terms, window=period, names=names, plan_name=membership.plan.name
    )
    return charges + discount_lines_for(membership=membership, charges=charges, period=period)


def membership_billing_start(event: MembershipChanged) -> Issued | None:
    """The first invoice: the enrollment fee and the first period (or its stub)."""
    membership = Membership.objects.select_related("plan").get(pk=event.membership.pk)
    billing = membership_billing_for(membership)
    terms = membership_billing_terms(membership=membership, on=membership.start_date)
    period = terms.current_period
    introductory_redeem(membership=membership)
    lines = _period_lines(
        membership=membership, terms=terms, period=period, names=_names(membership)
    )
    if membership.plan.enrollment_fee:
        fee = membership.plan.enrollment_fee
        lines.insert(
            0,
            DraftLine(
                kind=LineKind.ENROLLMENT_FEE,
                description=f"Enrollment fee, {membership.plan.name}",
                amount=fee,
                unit_amount=fee,
                source_key=f"enrollment_fee:{membership.pk}",
            ),
        )
    _save(billing, billed_through=period.end, next_bill_on=period.end)
    _end_after_term(membership, period.end)
    account = billing.invoice_account
    issued = None
    if lines:
        issued = invoice_issue(
            account=account,
            kind=InvoiceKind.ENROLLMENT,
            key=f"period:{membership.pk}:{period.start.isoformat()}",
            lines=lines,
            membership=membership,
            period=period,
        )
    settled = issued is None or issued.invoice.amount_due == 0
    card = default_payment_method(account) is not None
    if membership.status == MembershipStatus.PENDING and (
        card or settled or membership.sponsor_id is not None
    ):
        membership_activate(actor=event.actor, membership=membership)
    if issued is not None:
        invoice_collect_after_commit(issued.invoice)
    return issued


def membership_billing_change(event: MembershipChanged) -> Issued | None:
    """Bill what a lifecycle action changed, as of its effective date."""
    action = Action(event.action)
    if action in (Action.ACTIVATE, Action.MARK_PAST_DUE, Action.RECOVER):
        return None
    membership = Membership.objects.select_related("plan").get(pk=event.membership.pk)
    billing = membership_billing_for(membership)
    day = event.effective_on
    billed = (
        Period(day, billing.billed_through)
        if billing.billed_through is not None and day < billing.billed_through
        else None
    )
    if action == Action.END:
        _save(billing, billed_through=billing.billed_through, next_bill_on=None)
        return None
    if action in TERM_CHANGES:
        if billed is None or MembershipStatus(membership.status) not in BILLABLE:
            return None  # nothing billed beyond the change's day: nothing to prorate
        names = _names(membership)
        terms = membership_billing_terms(membership=membership, on=day)
        wanted = member_charges(
            terms=terms, window=billed, names=names, plan_name=membership.plan.name
        )
        lines = change_lines(
            charged=charged_lines(membership, billed), wanted=wanted, window=billed, names=names
        )
        new_charges = [line for line in lines if line.kind == LineKind.PRORATION_CHARGE]
        lines += discount_lines_for(
            membership=membership, charges=new_charges, period=billed, renewing=False
        )
        return _issue_change(billing, membership, event, lines)
    names = _names(membership)
    if action == Action.CHANGE_INTERVAL:
        return _interval_change(billing, membership, day, billed, names)
    if action == Action.PAUSE:
        credits = _credits(membership, billed, names)
        _save(billing, billed_through=min(day, billing.billed_through or day), next_bill_on=None)
        issued = _issue_change(billing, membership, event, credits)
        _pause_fee(billing, membership, day)
        return issued
    if action in (Action.RESUME, Action.REACTIVATE):
        return _restart(billing, membership, day, names)
    if action == Action.CANCEL:
        lines = _credits(membership, billed, names)
        lines += _early_termination_fee(membership, day)
        _save(
            billing,
            billed_through=min(day, billing.billed_through or day),
            next_bill_on=None,
        )
        return _issue_change(billing, membership, event, lines)
    return None


def _credits(
    membership: Membership, billed: Period | None, names: dict[int, str]
) -> list[DraftLine]:
    if billed is None:
        return []
    credits = []
    for line in charged_lines(membership, billed):
        credit = unused_credit(
            line,
            billed,
            f"Unused days, {names.get(line.patient_id, 'member')}, {span(billed)}",
        )
        if credit is not None:
            credits.append(credit)
    return credits


def _issue_change(
    billing: MembershipBilling,
    membership: Membership,
    event: MembershipChanged,
    lines: list[DraftLine],
) -> Issued | None:
    if not lines:
        return None
    issued = invoice_issue(
        account=billing.invoice_account,
        kind=InvoiceKind.CHANGE,
        key=f"change:{event.key}",
        lines=lines,
        membership=membership,
    )
    invoice_collect_after_commit(issued.invoice)
    return issued


def _interval_change(
    billing: MembershipBilling,
    membership: Membership,
    day: date,
    billed: Period | None,
    names: dict[int, str],
) -> Issued | None:
    credits = _credits(membership, billed, names)
    terms = membership_billing_terms(membership=membership, on=day)
    period = terms.current_period
    lines = credits + _period_lines(membership=membership, terms=terms, period=period, names=names)
    _save(billing, billed_through=period.end, next_bill_on=period.end)
    if MembershipStatus(membership.status) not in BILLABLE:
        return None
    issued = invoice_issue(
        account=billing.invoice_account,
        kind=InvoiceKind.RENEWAL,
        key=f"period:{membership.pk}:{period.start.isoformat()}",
        lines=lines,
        membership=membership,
        period=period,
    )
    invoice_collect_after_commit(issued.invoice)
    return issued


def _restart(
    billing: MembershipBilling, membership: Membership, day: date, names: dict[int, str]
) -> Issued | None:
    """Resume or reactivate: a prorated stub from `day` to the next anchor day, unless the
    paid period still runs past `day`."""
    if billing.billed_through is not None and day < billing.billed_through:
        _save(billing, billed_through=billing.billed_through, next_bill_on=billing.billed_through)
        return None
    terms = membership_billing_terms(membership=membership, on=day)
    end = next_boundary(
        anchor=terms.anchor_date, anchor_day=terms.anchor_day, months=terms.interval_months, day=day
    )
    stub = Period(day, end)
    lines = _period_lines(membership=membership, terms=terms, period=stub, names=names)
    lines = [
        replace(line, kind=LineKind.PRORATION_CHARGE) if line.kind == LineKind.PERIOD else line
        for line in lines
    ]
    _save(billing, billed_through=end, next_bill_on=end)
    if not lines:
        return None
    issued = invoice_issue(
        account=billing.invoice_account,
        kind=InvoiceKind.RENEWAL,
        key=f"period:{membership.pk}:{day.isoformat()}",
        lines=lines,
        membership=membership,
        period=stub,
    )
    invoice_collect_after_commit(issued.invoice)
    return issued


def _end_after_term(membership: Membership, term_end: date) -> None:
    """A plan that does not renew ends with the term: its cancellation is scheduled for the
    term's last day, visible to staff and revocable until then."""
    if membership.plan.renews or term_end <= clock.today():
        return
    reason, _ = CancellationReason.objects.get_or_create(
        code="term-ended", defaults={"label": "Term ended (the plan does not renew)"}
    )
    try:
        with transaction.atomic():
            membership_cancel(
                actor=None, membership=membership, reason=reason, effective_on=term_end
            )
    except ValidationFailed:
        pass  # a cancellation is already scheduled


def _early_termination_fee(membership: Membership, day: date) -> list[DraftLine]:
    plan = membership.plan
    if not plan.minimum_commitment_months or not plan.early_termination_fee:
        return []
    commitment_ends = add_months(membership.start_date, plan.minimum_commitment_months)
    if day >= commitment_ends:
        return []
    return [
        DraftLine(
            kind=LineKind.EARLY_TERMINATION_FEE,
            description=(
                f"Early termination fee: the {plan.minimum_commitment_months}-month commitment "
                f"runs until {commitment_ends:%b} {commitment_ends.day}, {commitment_ends.year}"
            ),
            amount=plan.early_termination_fee,
            unit_amount=plan.early_termination_fee,
            source_key=f"early_termination_fee:{membership.pk}",
        )
    ]


def _pause_fee(
    billing: MembershipBilling, membership: Membership, month_start: date
) -> Issued | None:
    """Charge one paused month's fee from `month_start` and schedule the next month's."""
    fee = membership.plan.pause_fee_per_month
    if not fee:
        return None
    month = Period(month_start, add_months(month_start, 1))
    issued = invoice_issue(
        account=billing.invoice_account,
        kind=InvoiceKind.FEES,
        key=f"pause_fee:{membership.pk}:{month_start.isoformat()}",
        lines=[
            DraftLine(
                kind=LineKind.PAUSE_FEE,
                description=f"Pause fee, {span(month)}",
                amount=fee,
                unit_amount=fee,
                service_start=month.start,
                service_end=month.end,
            )
        ],
        membership=membership,
        period=None,
    )
    billing.paused_fee_through = month.end
    billing.next_bill_on = month.end
    billing.updated_at = clock.now()
    billing.save(update_fields=["paused_fee_through", "next_bill_on", "updated_at"])
    invoice_collect_after_commit(issued.invoice)
    return issued


def membership_bill_period(
    *, billing: MembershipBilling, run: BillingRun | None = None
) -> Issued | None:
    """Bill the period that starts on `billing.next_bill_on` (the caller holds its lock): a
    renewal with last period's overage uses, or while paused the next month's pause fee."""
    membership = Membership.objects.select_related("plan").get(pk=billing.membership_id)
    start = billing.next_bill_on
    assert start is not None
    status = MembershipStatus(membership.status)
    if status == MembershipStatus.PAUSED:
        return _pause_fee(billing, membership, start)
    if status not in BILLABLE:
        _save(billing, billed_through=billing.billed_through, next_bill_on=None)
        return None
    terms = membership_billing_terms(membership=membership, on=start)
    period = terms.current_period
    names = _names(membership)
    lines = _period_lines(membership=membership, terms=terms, period=period, names=names)
    lines += overage_lines(membership, before=period.start)
    _save(billing, billed_through=period.end, next_bill_on=period.end)
    _end_after_term(membership, period.end)
    if not lines:
        return None
    return invoice_issue(
        account=billing.invoice_account,
        kind=InvoiceKind.RENEWAL,
        key=f"period:{membership.pk}:{period.start.isoformat()}",
        lines=lines,
        membership=membership,
        period=period,
        run=run,
    )


def overage_lines(membership: Membership, *, before: date) -> list[DraftLine]:
    """Uses beyond the allowance before `before` that no invoice has charged yet."""
    from careloop.billing.models import InvoiceLine

    since = membership.start_date
    uses = membership_overage_uses(membership=membership, period=Period(since, before))
    billed = set(
        InvoiceLine.objects.filter(
            source_key__in=[f"overage:{use.entry_id}" for use in uses]
        ).values_list("source_key", flat=True)
    )
    return [
        overage_line(use)
        for use in uses
        if f"overage:{use.entry_id}" not in billed and use.amount > 0
    ]
