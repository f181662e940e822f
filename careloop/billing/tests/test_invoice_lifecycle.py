"""The invoice lifecycle: draft -> open -> paid | void | uncollectible, and uncollectible ->
paid | void. A paid invoice is never voided (it is refunded); lines adding up to less than zero
become the payer's credit, which pays the next invoices before any card is charged; a refund
is above zero and never more than was paid. Every refusal is a clear error and changes
nothing.

Essentials, monthly, 10000 from January 1 2026.
"""

from datetime import date
from typing import Any

import pytest

from careloop.audit.models import AuditEvent
from careloop.billing.errors import IllegalInvoiceTransition, PaymentInProgress
from careloop.billing.models import (
    AttemptTrigger,
    EntryKind,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    JournalEntry,
    Ledger,
    PaymentAttempt,
    Refund,
)
from careloop.billing.selectors.balances import AccountBalance, account_balance, journal_totals
from careloop.billing.services.accounts import default_payment_method, payment_method_remove
from careloop.billing.services.collection import collect_after_new_card, invoice_collect
from careloop.billing.services.invoices import invoice_mark_uncollectible, invoice_void
from careloop.billing.services.refunds import refund_create
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import (
    account_of,
    committed,
    invoices_of,
    journal_sum,
    lines,
    with_card,
)
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import Membership
from careloop.memberships.periods import Interval
from careloop.memberships.services.lifecycle import (
    membership_change_interval,
    membership_downgrade,
)
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.patients.models import Patient
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(db):
    freeze_on(date(2026, 1, 1))
    return (
        make_plan(code="essentials", rank=1, monthly=10_000),
        make_plan(code="active-care", rank=2, monthly=15_000),
    )


def _member(admin, plan, *, card: bool) -> tuple[Membership, Patient]:
    ann = make_patient(given="Ann")
    if card:
        with_card(ann)
    with committed():
        membership = enroll(admin, plan, ann, start=date(2026, 1, 1), active=False)
    return membership, ann


def _state() -> dict[str, Any]:
    return {
        "invoices": list(Invoice.objects.order_by("id").values()),
        "journal": list(JournalEntry.objects.order_by("id").values_list("id", flat=True)),
        "attempts": list(PaymentAttempt.objects.order_by("id").values()),
        "refunds": list(Refund.objects.order_by("id").values()),
        "audit": AuditEvent.objects.count(),
    }


def _action(invoice: Invoice, kind: EntryKind) -> list[tuple[str, int]]:
    entry = JournalEntry.objects.get(invoice=invoice, kind=kind)
    return [(line.ledger, line.amount) for line in entry.lines.order_by("id")]


def test_an_issued_invoice_is_finalized_open_and_posted_to_the_journal(admin, plans):
    membership, ann = _member(admin, plans[0], card=False)
    [invoice] = invoices_of(membership)
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.finalized_at == clock.now()
    assert (invoice.subtotal, invoice.total, invoice.amount_due) == (10_000, 10_000, 10_000)
    assert _action(invoice, EntryKind.INVOICE) == [
        (Ledger.RECEIVABLE, 10_000),
        (Ledger.REVENUE, -10_000),
    ]
    assert account_balance(account_of(ann)).owed == 10_000


def test_a_draft_invoice_is_voided_without_touching_the_journal(admin, plans):
    ann = make_patient(given="Ann")
    draft = Invoice.objects.create(
        account=account_of(ann),
        kind=InvoiceKind.MANUAL,
        key="manual:draft",
        currency="USD",
        issued_on=clock.today(),
        due_on=clock.today(),
        created_at=clock.now(),
    )
    invoice_void(actor=admin, invoice=draft, reason="Started by mistake")
    assert draft.status == InvoiceStatus.VOID
    assert not JournalEntry.objects.exists()


def test_an_open_invoice_is_paid_by_the_card(admin, plans):
    membership, _ = _member(admin, plans[0], card=True)
    [invoice] = invoices_of(membership)
    assert invoice.status == InvoiceStatus.PAID
    assert (invoice.amount_paid, invoice.amount_due) == (10_000, 0)
    attempt = PaymentAttempt.objects.get(invoice=invoice)
    assert _action(invoice, EntryKind.PAYMENT) == [
        (Ledger.CASH, 10_000),
        (Ledger.RECEIVABLE, -10_000),
    ]
    assert attempt.status == "succeeded"


def test_voiding_an_open_invoice_reverses_it_and_the_payer_owes_nothing(admin, plans):
    membership, ann = _member(admin, plans[0], card=False)
    [invoice] = invoices_of(membership)
    invoice_void(actor=admin, invoice=invoice, reason="Waived: clinic error")
    assert invoice.status == InvoiceStatus.VOID
    assert invoice.close_reason == "Waived: clinic error"
    assert _action(invoice, EntryKind.VOID) == [
        (Ledger.REVENUE, 10_000),
        (Ledger.RECEIVABLE, -10_000),
    ]
    assert account_balance(account_of(ann)).owed == 0
    assert AuditEvent.objects.filter(action="invoice.void", object_id=str(invoice.pk)).exists()
    with_card(ann)
    assert invoice_collect(invoice_id=invoice.pk, trigger=AttemptTrigger.STAFF) is None


def test_voiding_an_invoice_whose_payment_awaits_the_gateway_is_refused_and_changes_nothing(
    admin, plans
):
    """The sandbox's timeout card takes the money but never answers: the attempt stays
    pending until it is settled. Voiding meanwhile would leave a payment for a void invoice."""
    ann = make_patient(given="Ann")
    with_card(ann, "tok_sandbox_timeout")
    with committed():
        membership = enroll(admin, plans[0], ann, start=date(2026, 1, 1), active=False)
    [invoice] = invoices_of(membership)
    assert PaymentAttempt.objects.get(invoice=invoice).status == "pending"
    before = _state()
    with pytest.raises(PaymentInProgress) as refused:
        invoice_void(actor=admin, invoice=invoice, reason="Waived")
    assert refused.value.code == "payment_in_progress"
    assert _state() == before
    freeze_on(date(2026, 1, 2))
    billing_run(as_of=date(2026, 1, 2))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, 10_000)
    assert journal_sum() == 0


def test_an_uncollectible_invoice_stays_owed_and_can_still_be_paid(admin, plans):
    membership, ann = _member(admin, plans[0], card=False)
    [invoice] = invoices_of(membership)
    invoice_mark_uncollectible(actor=admin, invoice=invoice, reason="Moved abroad")
    assert invoice.status == InvoiceStatus.UNCOLLECTIBLE
    assert invoice.next_retry_on is None
    assert account_balance(account_of(ann)).owed == 10_000
    method = with_card(ann)
    [attempt] = collect_after_new_card(account_of(ann), admin)
    assert attempt.payment_method == method
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert account_balance(account_of(ann)).owed == 0
    assert journal_sum() == 0


def test_an_uncollectible_invoice_can_be_voided(admin, plans):
    membership, ann = _member(admin, plans[0], card=False)
    [invoice] = invoices_of(membership)
    invoice_mark_uncollectible(actor=admin, invoice=invoice, reason="Moved abroad")
    invoice_void(actor=admin, invoice=invoice, reason="Written off for good")
    assert invoice.status == InvoiceStatus.VOID
    assert account_balance(account_of(ann)).owed == 0


def test_voiding_a_paid_invoice_is_refused_and_changes_nothing(admin, plans):
    membership, _ = _member(admin, plans[0], card=True)
    [invoice] = invoices_of(membership)
    before = _state()
    with pytest.raises(IllegalInvoiceTransition) as refused:
        invoice_void(actor=admin, invoice=invoice, reason="Changed our mind")
    assert refused.value.message == "A paid invoice cannot be voided; refund the payment instead."
    assert refused.value.code == "illegal_invoice_transition"
    assert _state() == before


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("void", "This invoice is already void."),
        ("uncollectible", "An invoice that is void cannot mark uncollectible."),
    ],
)
def test_a_void_invoice_stays_void(admin, plans, action, message):
    membership, _ = _member(admin, plans[0], card=False)
    [invoice] = invoices_of(membership)
    invoice_void(actor=admin, invoice=invoice, reason="Waived")
    before = _state()
    act = invoice_void if action == "void" else invoice_mark_uncollectible
    with pytest.raises(IllegalInvoiceTransition) as refused:
        act(actor=admin, invoice=invoice, reason="Again")
    assert refused.value.message == message
    assert _state() == before


def test_a_paid_invoice_cannot_be_marked_uncollectible(admin, plans):
    membership, _ = _member(admin, plans[0], card=True)
    [invoice] = invoices_of(membership)
    before = _state()
    with pytest.raises(IllegalInvoiceTransition):
        invoice_mark_uncollectible(actor=admin, invoice=invoice, reason="Never mind")
    assert _state() == before


def test_voiding_without_a_reason_is_refused_by_field(admin, plans):
    membership, _ = _member(admin, plans[0], card=False)
    [invoice] = invoices_of(membership)
    before = _state()
    with pytest.raises(ValidationFailed) as refused:
        invoice_void(actor=admin, invoice=invoice, reason="  ")
    assert [(error.field, error.code) for error in refused.value.errors] == [("reason", "required")]
    assert _state() == before


def test_lines_below_zero_become_the_payers_credit_and_the_invoice_is_settled(admin, plans):
    essentials, active_care = plans
    membership, ann = _member(admin, active_care, card=True)
    freeze_on(date(2026, 1, 11))
    membership_downgrade(actor=admin, membership=membership, plan=essentials)
    # 21 of 31 days: credit 15000 -> 10161, charge 10000 -> 6774; 3387 below zero.
    change = invoices_of(membership)[-1]
    assert (change.subtotal, change.total, change.status) == (-3_387, 0, InvoiceStatus.PAID)
    assert _action(change, EntryKind.INVOICE) == [
        (Ledger.CREDIT, -3_387),
        (Ledger.REVENUE, 3_387),
    ]
    assert account_balance(account_of(ann)).credit == 3_387
    assert not PaymentAttempt.objects.filter(invoice=change).exists()


def test_credit_pays_the_next_invoice_first_and_the_card_is_charged_only_the_rest(admin, plans):
    essentials, active_care = plans
    membership, ann = _member(admin, active_care, card=True)
    freeze_on(date(2026, 1, 11))
    membership_downgrade(actor=admin, membership=membership, plan=essentials)
    freeze_on(date(2026, 2, 1))
    with committed():
        billing_run(as_of=date(2026, 2, 1))
    renewal = invoices_of(membership)[-1]
    assert lines(renewal) == [("period", 10_000)]
    assert (renewal.credit_applied, renewal.amount_paid) == (3_387, 6_613)
    assert PaymentAttempt.objects.get(invoice=renewal).amount == 6_613
    assert _action(renewal, EntryKind.CREDIT_APPLIED) == [
        (Ledger.CREDIT, 3_387),
        (Ledger.RECEIVABLE, -3_387),
    ]
    assert account_balance(account_of(ann)).credit == 0
    assert journal_sum() == 0


def test_credit_covering_the_whole_invoice_pays_it_and_no_card_is_charged(admin, plans):
    freeze_on(date(2026, 1, 1))
    ann = make_patient(given="Ann")
    with_card(ann)
    with committed():
        membership = enroll(admin, plans[0], ann, start=date(2026, 1, 1), interval=Interval.ANNUAL)
    freeze_on(date(2026, 7, 1))
    membership_change_interval(actor=admin, membership=membership, interval=Interval.MONTHLY)
    # 184 unused days of the year: 100000 x 184 / 365 = 50411 credited, 10000 charged for
    # July: 40411 left as credit.
    assert account_balance(account_of(ann)).credit == 40_411
    freeze_on(date(2026, 8, 1))
    with committed():
        billing_run(as_of=date(2026, 8, 1))
    august = invoices_of(membership)[-1]
    assert (august.status, august.credit_applied, august.amount_paid) == (
        InvoiceStatus.PAID,
        10_000,
        0,
    )
    assert not PaymentAttempt.objects.filter(invoice=august).exists()
    assert account_balance(account_of(ann)).credit == 30_411
    assert journal_sum() == 0


def test_voiding_an_open_invoice_returns_the_credit_applied_to_it(admin, plans):
    essentials, active_care = plans
    membership, ann = _member(admin, active_care, card=True)
    freeze_on(date(2026, 1, 11))
    membership_downgrade(actor=admin, membership=membership, plan=essentials)
    card = default_payment_method(account_of(ann))
    assert card is not None
    payment_method_remove(actor=admin, method=card)
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    renewal = invoices_of(membership)[-1]
    assert (renewal.status, renewal.credit_applied, renewal.amount_due) == (
        InvoiceStatus.OPEN,
        3_387,
        6_613,
    )
    invoice_void(actor=admin, invoice=renewal, reason="Waived")
    assert _action(renewal, EntryKind.VOID) == [
        (Ledger.REVENUE, 10_000),
        (Ledger.RECEIVABLE, -6_613),
        (Ledger.CREDIT, -3_387),
    ]
    assert account_balance(account_of(ann)) == AccountBalance(owed=0, credit=3_387)
    assert journal_sum() == 0


@pytest.mark.parametrize(("amount", "code"), [(-500, "not_positive"), (0, "not_positive")])
def test_a_refund_of_zero_or_less_is_refused_and_changes_nothing(admin, plans, amount, code):
    membership, _ = _member(admin, plans[0], card=True)
    attempt = PaymentAttempt.objects.get(invoice=invoices_of(membership)[0])
    before = _state()
    with pytest.raises(ValidationFailed) as refused:
        refund_create(actor=admin, attempt=attempt, amount=amount, reason="Goodwill")
    assert [(error.field, error.code) for error in refused.value.errors] == [("amount", code)]
    assert _state() == before


def test_a_refund_above_what_was_paid_is_refused_and_changes_nothing(admin, plans):
    membership, _ = _member(admin, plans[0], card=True)
    attempt = PaymentAttempt.objects.get(invoice=invoices_of(membership)[0])
    before = _state()
    with pytest.raises(ValidationFailed) as refused:
        refund_create(actor=admin, attempt=attempt, amount=10_001, reason="Goodwill")
    [error] = refused.value.errors
    assert (error.field, error.code) == ("amount", "more_than_paid")
    assert error.message == "At most 100.00 of this payment can still be refunded."
    assert _state() == before


def test_a_refund_of_a_paid_invoice_moves_cash_back_and_the_journal_balances(admin, plans):
    membership, _ = _member(admin, plans[0], card=True)
    [invoice] = invoices_of(membership)
    attempt = PaymentAttempt.objects.get(invoice=invoice)
    refund = refund_create(actor=admin, attempt=attempt, amount=2_500, reason="Goodwill")
    assert refund.status == "succeeded"
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_refunded) == ("paid", 10_000, 2_500)
    assert journal_totals() == {
        Ledger.CASH: 7_500,
        Ledger.RECEIVABLE: 0,
        Ledger.REFUNDS: 2_500,
        Ledger.REVENUE: -10_000,
    }
