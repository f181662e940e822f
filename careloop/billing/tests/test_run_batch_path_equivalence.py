"""The batch path of a billing run writes exactly what the per-membership path writes.

One seed, then the March 1 2026 run twice from the same rows (a savepoint rolled back in
between): once with CARELOOP_BILLING_BATCH_PATH off, every membership billed through the
per-membership services, and once on. Both must leave the same invoices and lines (amounts,
descriptions, the line a discount reduces), journal entries, balances, payment attempts and
their outcomes, membership states, notices, audit events and run counts. Database ids and
random references differ between the two runs, so rows are compared by what they are (an
invoice by its key, an attempt by its invoice and order), not by id.

The seed (Essentials 10000 a month or 100000 a year; batches of 4 so the run has several):
- Ann, Ben: monthly, cards that pay; Cai annual from March 1 2025, due again;
- Dot: a 20% discount for ever; Eli: 2500 off for two periods, one used in February;
- Fay: two visits beyond the allowance in February (6000 each), one of them reversed;
- Gil: a household of three from which the partner was removed on February 11 (credit on
  account, applied to March before the card);
- Hal: a card that declines; Ivy: an expired card; Max: a card the gateway fails to process;
  Jo: a card that times out (but pays);
- Kit: a downgrade to Basics (6000) at period end (applied by the worker before it bills
  her batch, so a plain renewal on the new plan);
- Lou: paused from February 1 with a pause fee of 1000 a month, due again on March 1: not a
  renewal, so the per-membership path in the mix.
"""

import logging
from collections import Counter
from datetime import date
from typing import Any

import pytest
from django.db import transaction

from careloop.audit.models import AuditEvent
from careloop.audit.verify import audit_verify
from careloop.billing.models import (
    BillingAccount,
    BillingRun,
    Invoice,
    InvoiceLine,
    JournalEntry,
    MembershipBilling,
    Notice,
    PaymentAttempt,
    SandboxRecord,
)
from careloop.billing.selectors.balances import account_balance, journal_totals
from careloop.billing.services import collection, collection_batch, runs
from careloop.billing.services.discounts import discount_create, discount_redeem
from careloop.billing.services.renewal_batch import renewals_issue as batch_renewals_issue
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import committed, with_card
from careloop.memberships.models import Benefit, MemberRole, Membership, Service
from careloop.memberships.periods import Interval
from careloop.memberships.services.entitlements import entitlement_consume, entitlement_reverse
from careloop.memberships.services.lifecycle import (
    membership_downgrade,
    membership_pause,
    membership_remove_member,
)
from careloop.memberships.tests.lifecycle_builders import enroll, family, freeze_on, make_plan
from careloop.notifications.models import OutboxMessage
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db

RUN_DAY = date(2026, 3, 1)


def _member(
    admin: Any,
    plan: Any,
    given: str,
    card: str | None = None,
    *,
    start: date = date(2026, 2, 1),
    interval: Interval = Interval.MONTHLY,
) -> Any:
    payer = make_patient(given=given, family="Batch")
    with_card(payer)
    with committed():
        membership = enroll(admin, plan, payer, start=start, interval=interval)
    if card is not None:
        with_card(payer, card)
    return membership


def _seed(admin: Any) -> None:
    freeze_on(date(2025, 3, 1))
    plan = make_plan(code="essentials", rank=2, monthly=10_000, pause_fee_per_month=1_000)
    basics = make_plan(code="basics", rank=1, monthly=6_000)
    _member(admin, plan, "Cai", start=date(2025, 3, 1), interval=Interval.ANNUAL)

    freeze_on(date(2026, 2, 1))
    _member(admin, plan, "Ann")
    _member(admin, plan, "Ben")
    dot = _member(admin, plan, "Dot")
    eli = _member(admin, plan, "Eli")
    discount_create(
        actor=admin, name="Friends", code="FRIENDS", kind="percent", duration="forever",
        percent_off=20,
    )  # fmt: skip
    discount_create(
        actor=admin, name="Welcome", code="WELCOME", kind="amount", duration="periods",
        amount_off=2_500, periods=2,
    )  # fmt: skip
    discount_redeem(actor=admin, membership=dot, code="FRIENDS")
    discount_redeem(actor=admin, membership=eli, code="WELCOME")

    visit = Service.objects.create(
        code="provider-visit", name="Provider visit", kind="provider_visit", a_la_carte_price=1
    )
    Benefit.objects.create(plan=plan, service=visit, allowance=1, member_price=6_000)
    fay = _member(admin, plan, "Fay")
    assert fay.payer_patient is not None
    for number, day in enumerate((5, 9, 12)):
        freeze_on(date(2026, 2, day))
        entitlement_consume(
            actor=None,
            patient=fay.payer_patient,
            service=visit,
            on=date(2026, 2, day),
            source_type="visit",
            source_id=f"v{number}",
        )
    entitlement_reverse(actor=None, source_type="visit", source_id="v2", reason="Cancelled")

    freeze_on(date(2026, 2, 1))
    head, partner, child = family("Gilbert")
    with_card(head)
    with committed():
        household = enroll(
            admin,
            plan,
            head,
            (partner, MemberRole.ADULT),
            (child, MemberRole.CHILD),
            start=date(2026, 2, 1),
        )
    freeze_on(date(2026, 2, 11))
    with committed():
        membership_remove_member(actor=admin, membership=household, patient=partner)

    freeze_on(date(2026, 2, 1))
    _member(admin, plan, "Hal", "tok_sandbox_insufficient_funds")
    _member(admin, plan, "Ivy", "tok_sandbox_expired")
    _member(admin, plan, "Max", "tok_sandbox_processing_error")
    _member(admin, plan, "Jo", "tok_sandbox_timeout")
    kit = _member(admin, plan, "Kit")
    lou = _member(admin, plan, "Lou")
    freeze_on(date(2026, 2, 15))
    membership_downgrade(actor=admin, membership=kit, plan=basics, at_period_end=True)
    freeze_on(date(2026, 2, 1))
    with committed():
        membership_pause(actor=admin, membership=lou, resumes_on=date(2026, 4, 1))


class Labels:
    """Stable names for rows whose ids differ between the two runs."""

    def __init__(self) -> None:
        self.invoices: dict[int, str] = dict(Invoice.objects.values_list("pk", "key"))
        self.attempts: dict[int, str] = {}
        seen: Counter[int] = Counter()
        for pk, invoice_id in PaymentAttempt.objects.order_by("id").values_list("pk", "invoice_id"):
            seen[invoice_id] += 1
            self.attempts[pk] = f"{self.invoices[invoice_id]}#{seen[invoice_id]}"
        self.keys = {
            key: self.attempts[pk]
            for pk, key in PaymentAttempt.objects.values_list("pk", "idempotency_key")
        }
        self.lines: dict[int, tuple[str, int]] = {}
        position: Counter[int] = Counter()
        for pk, invoice_id in InvoiceLine.objects.order_by("id").values_list("pk", "invoice_id"):
            self.lines[pk] = (self.invoices[invoice_id], position[invoice_id])
            position[invoice_id] += 1

    def text(self, value: str) -> str:
        """A key, memo or message with invoice numbers, ids and idempotency keys named."""
        for key, label in self.keys.items():
            value = value.replace(key, label)
        for pk, label in sorted(self.invoices.items(), reverse=True):
            value = value.replace(f"INV-{pk:06d}", label)
        return value

    def notice_key(self, key: str) -> str:
        """A notice's key, whose cause may be an attempt (payment_failed:<attempt id>)."""
        head, _, rest = key.partition(":")
        if head == "payment_failed":
            return f"{head}:{self.attempts[int(rest)]}"
        return key

    def entry_key(self, entry: JournalEntry) -> str:
        head, _, rest = entry.key.partition(":")
        if head in ("invoice", "credit") and entry.invoice_id is not None:
            return f"{head}:{self.invoices[entry.invoice_id]}:{rest.partition(':')[2]}"
        return self.text(entry.key)


def _written(run: BillingRun) -> dict[str, Any]:
    labels = Labels()
    invoices = sorted(
        (
            invoice.key,
            invoice.kind,
            invoice.status,
            invoice.account_id,
            invoice.membership_id,
            invoice.period_start,
            invoice.period_end,
            invoice.subtotal,
            invoice.total,
            invoice.credit_applied,
            invoice.amount_paid,
            invoice.issued_on,
            invoice.due_on,
            invoice.created_at,
            invoice.finalized_at,
            invoice.paid_at,
            invoice.failed_attempts,
            invoice.next_retry_on,
            invoice.billing_run_id is not None,
            [
                (
                    line.kind,
                    line.description,
                    line.membership_id,
                    line.patient_id,
                    line.price_id,
                    line.service_start,
                    line.service_end,
                    line.quantity,
                    line.unit_amount,
                    line.amount,
                    labels.lines.get(line.credits_line_id) if line.credits_line_id else None,
                    line.discount_id,
                    line.source_key,
                )
                for line in invoice.lines.order_by("id")
            ],
        )
        for invoice in Invoice.objects.all()
    )
    entries = sorted(
        (
            entry.kind,
            labels.entry_key(entry),
            entry.currency,
            entry.occurred_at,
            labels.text(entry.memo),
            labels.invoices.get(entry.invoice_id) if entry.invoice_id else None,
            labels.attempts.get(entry.attempt_id) if entry.attempt_id else None,
            sorted((line.ledger, line.account_id, line.amount) for line in entry.lines.all()),
        )
        for entry in JournalEntry.objects.prefetch_related("lines")
    )
    attempts = sorted(
        (
            labels.attempts[attempt.pk],
            attempt.account_id,
            attempt.payment_method_id,
            attempt.gateway,
            attempt.amount,
            attempt.currency,
            attempt.trigger,
            attempt.status,
            attempt.failure_code,
            attempt.failure_message,
            attempt.created_at,
            attempt.settled_at,
            bool(attempt.reference),
        )
        for attempt in PaymentAttempt.objects.all()
    )
    audit = Counter(
        (
            event.action,
            event.outcome,
            event.actor_id,
            event.patient_id,
            event.object_type,
            labels.invoices[int(event.object_id)]
            if event.object_type == "invoice"
            else event.object_id,
            labels.text(str(sorted(_detail(event.detail, labels).items()))),
        )
        for event in AuditEvent.objects.all()
    )
    return {
        "invoices": invoices,
        "journal": entries,
        "journal totals": journal_totals(),
        "balances": {
            account.pk: account_balance(account) for account in BillingAccount.objects.all()
        },
        "attempts": attempts,
        "gateway": Counter(
            SandboxRecord.objects.filter(kind="charge").values_list("token", "amount", "outcome")
        ),
        "memberships": list(Membership.objects.order_by("id").values_list("id", "status")),
        "billing": list(
            MembershipBilling.objects.order_by("id").values_list(
                "membership_id", "billed_through", "next_bill_on", "paused_fee_through"
            )
        ),
        "notices": sorted(
            (labels.notice_key(notice.key), notice.kind, notice.account_id)
            for notice in Notice.objects.all()
        ),
        "messages": Counter(
            (message.channel, message.recipient, message.subject, message.body, message.kind)
            for message in OutboxMessage.objects.all()
        ),
        "audit": audit,
        "run": {
            field: getattr(run, field)
            for field in (
                "as_of",
                "status",
                "memberships_seen",
                "invoices_issued",
                "amount_invoiced",
                "charges_succeeded",
                "charges_failed",
                "amount_collected",
                "retries",
                "errors",
                "last_error",
            )
        },
    }


def _detail(detail: dict[str, Any], labels: Labels) -> dict[str, Any]:
    named = dict(detail)
    if isinstance(named.get("attempt"), int):
        named["attempt"] = labels.attempts[named["attempt"]]
    return named


def _run(settings: Any, *, batch_path: bool) -> dict[str, Any]:
    settings.BILLING_BATCH_PATH = batch_path
    freeze_on(RUN_DAY)
    with committed():
        run = billing_run(as_of=RUN_DAY)
    assert audit_verify().intact
    return _written(run)


def test_the_batch_path_bills_a_mixed_run_exactly_as_the_per_membership_path(
    admin, settings, caplog, monkeypatch
):
    settings.BILLING_BATCH_SIZE = 4
    _seed(admin)
    before = transaction.savepoint()
    one_by_one = _run(settings, batch_path=False)
    transaction.savepoint_rollback(before)

    issued_together: list[str] = []

    def renewals_issue(**arguments: Any) -> list[Invoice]:
        invoices = batch_renewals_issue(**arguments)
        issued_together.extend(invoice.key for invoice in invoices)
        return invoices

    recorded_alone: list[str] = []
    record_outcome = collection.attempt_record_outcome

    def attempt_record_outcome(**arguments: Any) -> Any:
        recorded_alone.append(arguments["attempt"].invoice.key)
        return record_outcome(**arguments)

    monkeypatch.setattr(runs, "renewals_issue", renewals_issue)
    monkeypatch.setattr(collection_batch, "attempt_record_outcome", attempt_record_outcome)
    with caplog.at_level(logging.ERROR):
        batched = _run(settings, batch_path=True)

    # The batch path did the work: every renewal was issued in a batch (Lou's pause fee one
    # by one), every answered charge's outcome written with its batch, declines and the
    # failure included, and none of it fell back to one by one ...
    assert len(issued_together) == 12
    assert recorded_alone == []
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    # ... and every row it left is the row the per-membership path left.
    for name in one_by_one:
        assert batched[name] == one_by_one[name], name
    assert (batched["run"]["invoices_issued"], batched["run"]["errors"]) == (13, 0)
    assert (batched["run"]["charges_failed"], len(batched["notices"])) == (3, 3)


def test_a_batch_whose_writes_fail_is_billed_one_by_one(admin, settings, monkeypatch):
    settings.BILLING_BATCH_SIZE = 4
    _seed(admin)
    before = transaction.savepoint()
    expected = _run(settings, batch_path=False)
    transaction.savepoint_rollback(before)

    def refuse(**_: Any) -> list[Invoice]:
        raise RuntimeError("the database refused the batch")

    monkeypatch.setattr(runs, "renewals_issue", refuse)
    fell_back = _run(settings, batch_path=True)

    assert fell_back == expected
