"""Property test: the journal always balances. Over random membership histories with
payments that succeed or are declined, new cards, refunds, voids and write-offs, after every
step each journal entry adds up to zero, the payer's receivable is what their open invoices
still owe, their credit is what credit notes gave less what invoices and refunds used, and
the clinic's cash and revenue agree with the payments, refunds and invoices that stand.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careloop.billing.tests.property_builders import (
    CARDS,
    MEMBERSHIP_ACTIONS,
    MONEY_ACTIONS,
    Household,
    assert_clinic_ledgers_agree,
    assert_journal_balances,
    billing_days,
    intervals,
    play,
    scripts,
    start_household,
)
from careloop.testing.transactions import rolled_back

pytestmark = pytest.mark.django_db


def _balanced(household: Household) -> None:
    assert_journal_balances(household.account)
    assert_clinic_ledgers_agree()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rank=st.integers(min_value=1, max_value=3),
    interval=intervals,
    card=st.sampled_from(CARDS),
    with_partner=st.booleans(),
    billing_day=billing_days,
    script=scripts(MEMBERSHIP_ACTIONS + MONEY_ACTIONS, max_size=12),
)
def test_the_journal_always_balances(
    admin, rank, interval, card, with_partner, billing_day, script
):
    with rolled_back():
        household = start_household(
            admin,
            rank=rank,
            interval=interval,
            card=card,
            with_partner=with_partner,
            billing_day=billing_day,
        )
        _balanced(household)
        play(household, script, after_each=_balanced)
