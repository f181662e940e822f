"""The ISO 4217 currencies a clinic may bill in: the common ones, not the whole standard.

Careloop keeps money as integer minor units, so each currency also names how many minor units
make a major one (two for most; none for the yen and the won).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Currency:
    code: str
    name: str
    minor_digits: int = 2


CURRENCIES: dict[str, Currency] = {
    currency.code: currency
    for currency in (
        Currency("USD", "US dollar"),
        Currency("CAD", "Canadian dollar"),
        Currency("MXN", "Mexican peso"),
        Currency("EUR", "Euro"),
        Currency("GBP", "Pound sterling"),
        Currency("CHF", "Swiss franc"),
        Currency("SEK", "Swedish krona"),
        Currency("NOK", "Norwegian krone"),
        Currency("DKK", "Danish krone"),
        Currency("PLN", "Polish złoty"),
        Currency("CZK", "Czech koruna"),
        Currency("AUD", "Australian dollar"),
        Currency("NZD", "New Zealand dollar"),
        Currency("JPY", "Japanese yen", 0),
        Currency("KRW", "South Korean won", 0),
        Currency("SGD", "Singapore dollar"),
        Currency("HKD", "Hong Kong dollar"),
        Currency("INR", "Indian rupee"),
        Currency("AED", "UAE dirham"),
        Currency("ILS", "Israeli new shekel"),
        Currency("ZAR", "South African rand"),
        Currency("BRL", "Brazilian real"),
        Currency("CLP", "Chilean peso", 0),
        Currency("COP", "Colombian peso"),
    )
}
