"""Money as staff read and type it: "$1,234.50" shown, "1234.50" typed, minor units stored.

Conversion goes through Decimal, so "0.10" is exactly 10 cents, and anything finer than a cent
is refused rather than rounded.
"""

import re
from decimal import Decimal, InvalidOperation

_DIGITS = re.compile(r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_GROUPED = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?$")
_SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$"}


class MoneyInputError(ValueError):
    """The text is not an amount of money; the message says why, for the person typing it."""


def parse_money(text: str, *, label: str) -> int | None:
    """Dollars and cents typed by a person, as minor units; None when left empty."""
    cleaned = text.strip().replace(" ", "")
    if not cleaned:
        return None
    negative = cleaned.startswith("-") or cleaned.startswith("$-")
    number = cleaned.lstrip("-").removeprefix("$").lstrip("-")
    if _GROUPED.match(number):
        number = number.replace(",", "")
    if not _DIGITS.match(number):
        raise MoneyInputError(
            f"{label}: “{text.strip()}” is not an amount in dollars and cents, such as 125.00."
        )
    try:
        value = Decimal(number)
    except InvalidOperation:  # pragma: no cover (the pattern admits only decimals)
        raise MoneyInputError(f"{label}: “{text.strip()}” is not an amount.") from None
    if negative and value != 0:
        raise MoneyInputError(f"{label} cannot be negative.")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise MoneyInputError(
            f"{label}: “{text.strip()}” has a fraction of a cent; use at most two decimal places."
        )
    return int(cents)


def format_money(minor: int | None, currency: str = "USD") -> str:
    """Minor units as "$1,234.50" (or "EUR 1,234.50" for currencies without a symbol here)."""
    if minor is None:
        return "—"
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    symbol = _SYMBOLS.get(currency, f"{currency} ")
    return f"{sign}{symbol}{whole:,}.{cents:02d}"


def dollars(minor: int | None) -> str:
    """Minor units as a form shows them for editing: "1234.50"."""
    if minor is None:
        return ""
    whole, cents = divmod(minor, 100)
    return f"{whole}.{cents:02d}"
