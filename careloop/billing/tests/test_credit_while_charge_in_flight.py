"""The payer's credit is not used on an invoice whose charge is in flight or unanswered.

Found by the journal property test (2026-11-30): enrolled on January 31 2028 with a card
whose charge times out (it went through, the gateway did not say so), paused the same day
(the unpaid period credited in full, less the pause fee), a new card saved: the credit paid
9,000 of the enrollment invoice under the pending 10,000 charge. When the run settled that
charge the next day, the invoice was paid 19,000 for 10,000 and the payer's receivable stood
at -9,000 with nothing owed. Now the credit waits until the charge is settled.
"""

import pytest

from careloop.billing.models import AttemptStatus, Invoice, InvoiceKind, PaymentAttempt
from careloop.billing.selectors.balances import account_balance
from careloop.billing.tests.property_builders import (
    assert_journal_balances,
    play,
    start_household,
)
from careloop.memberships.periods import Interval
from careloop.testing.transactions import rolled_back

pytestmark = pytest.mark.django_db


def test_a_charge_that_went_through_after_credit_was_available_pays_its_invoice_once(admin):
    with rolled_back():
        household = start_household(
            admin,
            rank=1,
            interval=Interval.MONTHLY,
            card="tok_sandbox_timeout",
            with_partner=False,
            billing_day=None,
        )
        enrollment = Invoice.objects.get(kind=InvoiceKind.ENROLLMENT)

        play(household, [("pause", 0), ("new_card", 0)])

        enrollment.refresh_from_db()
        assert enrollment.credit_applied == 0
        assert enrollment.amount_due == 10_000
        assert PaymentAttempt.objects.get(invoice=enrollment).status == AttemptStatus.PENDING
        assert account_balance(household.account).credit == 9_000

        play(household, [("advance", 1)])

        enrollment.refresh_from_db()
        assert (enrollment.status, enrollment.amount_paid, enrollment.credit_applied) == (
            "paid",
            10_000,
            0,
        )
        renewal = Invoice.objects.get(kind=InvoiceKind.RENEWAL)
        assert (renewal.total, renewal.credit_applied, renewal.amount_paid) == (9_655, 9_000, 655)
        assert_journal_balances(household.account)
        balance = account_balance(household.account)
        assert (balance.owed, balance.credit) == (0, 0)
