"""Previews: the invoice lines a membership change would produce, with no side effect.

The change runs for real inside a transaction that is then rolled back: the same code bills
it, so the preview is exactly what confirming will bill. A change scheduled for a later date
is applied on that date inside the rolled-back transaction. Nothing leaves: collection and
notices wait for a commit that never comes, and the audit rows roll back with the rest.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.billing.models import BillingAccount, Invoice, LineKind, MembershipBilling
from careloop.billing.selectors.balances import account_balance
from careloop.billing.services.membership_billing import membership_bill_period
from careloop.memberships.models import Membership
from careloop.memberships.services.lifecycle import ChangeOutcome, scheduled_change_apply


@dataclass(frozen=True)
class PreviewLine:
    kind: LineKind
    description: str
    amount: int
    service_start: date | None
    service_end: date | None


@dataclass(frozen=True)
class PreviewInvoice:
    kind: str
    period_start: date | None
    period_end: date | None
    lines: tuple[PreviewLine, ...]
    subtotal: int
    credit_applied: int
    amount_due: int


@dataclass(frozen=True)
class Preview:
    effective_on: date
    invoices: tuple[PreviewInvoice, ...]
    charged_now: int  # what the payer's card would be charged when the change applies
    credit_after: int  # the payer's credit left afterwards
    currency: str


class _RollBack(Exception):
    pass


def billing_preview(
    *, actor: User, membership: Membership, change: Callable[[], ChangeOutcome]
) -> Preview:
    """What `change` (a membership lifecycle call) would bill; refuses what it refuses."""
    captured: list[Preview] = []
    try:
        with transaction.atomic():
            last_invoice = Invoice.objects.order_by("-id").values_list("id", flat=True).first() or 0
            outcome = change()
            effective_on = outcome.scheduled.effective_on if outcome.scheduled else None
            if outcome.scheduled is not None:
                scheduled_change_apply(change=outcome.scheduled)
                # A change at a period boundary shows in that period's invoice.
                billing = MembershipBilling.objects.select_for_update().get(membership=membership)
                if billing.next_bill_on == outcome.scheduled.effective_on:
                    membership_bill_period(billing=billing)
            invoices = list(
                Invoice.objects.filter(id__gt=last_invoice, membership=membership)
                .select_related("account")
                .order_by("id")
            )
            account = invoices[0].account if invoices else _payer_account(membership)
            captured.append(
                Preview(
                    effective_on=effective_on or _applied_on(membership),
                    invoices=tuple(_preview_invoice(invoice) for invoice in invoices),
                    charged_now=sum(invoice.amount_due for invoice in invoices),
                    credit_after=account_balance(account).credit if account else 0,
                    currency=membership.plan.currency,
                )
            )
            raise _RollBack
    except _RollBack:
        pass
    audit_record(
        action="billing.preview",
        actor=actor,
        patient_id=membership.payer_patient_id,
        object_type="membership",
        object_id=membership.pk,
    )
    return captured[0]


def _payer_account(membership: Membership) -> BillingAccount | None:
    """Whose credit a change that issues no invoice leaves as it was: the account the
    membership's invoices go to."""
    billing = (
        MembershipBilling.objects.filter(membership=membership)
        .select_related("account", "member_account")
        .first()
    )
    if billing is None:
        return None
    return billing.invoice_account


def _applied_on(membership: Membership) -> date:
    last = membership.status_changes.order_by("-recorded_at", "-id").first()
    assert last is not None
    return last.effective_on


def _preview_invoice(invoice: Invoice) -> PreviewInvoice:
    return PreviewInvoice(
        kind=invoice.kind,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        lines=tuple(
            PreviewLine(
                kind=LineKind(line.kind),
                description=line.description,
                amount=line.amount,
                service_start=line.service_start,
                service_end=line.service_end,
            )
            for line in invoice.lines.order_by("id")
        ),
        subtotal=invoice.subtotal,
        credit_applied=invoice.credit_applied,
        amount_due=invoice.amount_due,
    )
