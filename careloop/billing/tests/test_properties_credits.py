"""Property test: a credit never exceeds what was charged. Over random sequences of upgrades,
downgrades, member additions and removals, pauses, resumes, cancellations, interval changes,
discount codes and billing runs on random days across a few periods, after every step no
charge line is credited back more than it billed net of its discounts, and the payer's credit
never goes negative.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careloop.billing.tests.property_builders import (
    CARDS,
    MEMBERSHIP_ACTIONS,
    assert_credits_within_charges,
    billing_days,
    intervals,
    play,
    scripts,
    start_household,
)
from careloop.testing.transactions import rolled_back

pytestmark = pytest.mark.django_db


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
    script=scripts(MEMBERSHIP_ACTIONS, max_size=12),
)
def test_a_credit_never_exceeds_what_was_charged(
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
        assert_credits_within_charges(household)
        play(household, script, after_each=assert_credits_within_charges)
