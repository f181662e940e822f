"""Amounts as staff read them, including credits (negative amounts)."""

import pytest

from careloop.memberships.selectors.memberships import money


@pytest.mark.parametrize(
    ("amount", "currency", "words"),
    [
        (12_000, "USD", "$120.00"),
        (123_456_789, "USD", "$1,234,567.89"),
        (-650, "USD", "-$6.50"),
        (-5, "USD", "-$0.05"),
        (0, "USD", "$0.00"),
        (-12_050, "EUR", "-120.50 EUR"),
    ],
)
def test_money_reads_each_amount_with_its_sign_in_front(amount, currency, words):
    assert money(amount, currency) == words
