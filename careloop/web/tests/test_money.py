import pytest

from careloop.web.money import MoneyInputError, dollars, format_money, parse_money


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("125.00", 12500),
        ("125", 12500),
        ("$1,234.50", 123450),
        ("0.10", 10),
        (".5", 50),
        ("125.000", 12500),
        ("", None),
        ("-0", 0),
    ],
)
def test_typed_dollars_become_exact_cents(typed, cents):
    assert parse_money(typed, label="Price") == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "fraction of a cent"),
        ("-1.00", "cannot be negative"),
        ("1e3", "not an amount"),
        ("NaN", "not an amount"),
        ("12,34", "not an amount"),
        ("1.2.3", "not an amount"),
    ],
)
def test_bad_amounts_are_refused_with_the_field_named(typed, message):
    with pytest.raises(MoneyInputError) as raised:
        parse_money(typed, label="Price")
    assert message in str(raised.value)
    assert str(raised.value).startswith("Price")


def test_amounts_are_shown_with_thousands_and_cents():
    assert format_money(123450) == "$1,234.50"
    assert format_money(5) == "$0.05"
    assert format_money(-250) == "-$2.50"
    assert format_money(100, "EUR") == "EUR 1.00"
    assert format_money(None) == "—"
    assert dollars(123450) == "1234.50"
