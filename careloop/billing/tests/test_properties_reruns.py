"""Property test: a re-run of the billing run for the same date creates nothing: no invoice,
no journal entry, no payment attempt, no notice, and no membership changes status. Random
households (plans, intervals, partners, cards that pay or are declined) live through random
histories; at every billing run the run is repeated and must find nothing left to do.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import committed
from careloop.billing.tests.property_builders import (
    CARDS,
    MEMBERSHIP_ACTIONS,
    START,
    Household,
    billing_rows,
    intervals,
    make_plans,
    play,
    scripts,
    start_household,
)
from careloop.memberships.tests.lifecycle_builders import freeze_on
from careloop.testing.transactions import rolled_back

pytestmark = pytest.mark.django_db


def _run_again(household: Household) -> None:
    before = billing_rows()
    with committed():
        billing_run(as_of=household.day)
    assert billing_rows() == before


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    households=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=3),
            intervals,
            st.sampled_from(CARDS),
            st.booleans(),
        ),
        min_size=1,
        max_size=3,
    ),
    script=scripts(MEMBERSHIP_ACTIONS, max_size=10),
)
def test_a_rerun_for_the_same_date_creates_nothing(admin, households, script):
    with rolled_back():
        freeze_on(START)
        plans = make_plans()
        first, *others = [
            start_household(
                admin,
                rank=rank,
                interval=interval,
                card=card,
                with_partner=with_partner,
                plans=plans,
            )
            for rank, interval, card, with_partner in households
        ]
        play(first, script, after_each=_run_again)
        for other in others:
            other.day = first.day
            _run_again(other)
