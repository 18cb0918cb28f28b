"""Price strings to exact amounts, with the site's locale as the hint.

price-parser does the reading; this module only adds what it cannot know: which ISO 4217
currency a bare `$` or `¥` means on a given site, and the site's decimal separator
(`EUR 1.049,00` is 1049.00 on ebay.de).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from price_parser import Price

_DOLLAR_PREFIXES = {"US": "USD", "C": "CAD", "CA": "CAD", "AU": "AUD", "A": "AUD", "NZ": "NZD", "HK": "HKD", "S": "SGD"}
_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "円": "JPY", "₹": "INR", "zł": "PLN", "Fr.": "CHF", "CHF": "CHF"}
_DOLLAR_CURRENCIES = {"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN"}
_PREFIXED_DOLLAR = re.compile(r"\b(US|CA|C|AU|A|NZ|HK|S)\s?\$")
_FREE = re.compile(r"^\s*(free|gratis|kostenlos\w*|0円)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


def currency_code(symbol: str | None, text: str, default_currency: str) -> str:
    """The ISO 4217 code a price string means on a site whose own currency is `default_currency`."""
    prefixed = _PREFIXED_DOLLAR.search(text)
    if prefixed:
        return _DOLLAR_PREFIXES[prefixed.group(1)]
    if symbol is None:
        return default_currency
    symbol = symbol.strip()
    if re.fullmatch(r"[A-Z]{3}", symbol):
        return symbol
    if symbol == "$":
        return default_currency if default_currency in _DOLLAR_CURRENCIES else "USD"
    return _SYMBOLS.get(symbol, default_currency)


def parse_price(text: str | None, *, default_currency: str, decimal_separator: str | None = None) -> Money | None:
    """The first amount in `text` (the low end of a range), or None when there is no price.

    "Free" is a price of zero. `decimal_separator` is the site's ("," on ebay.de).
    """
    if text is None or not text.strip():
        return None
    if _FREE.match(text):
        return Money(Decimal("0.00"), default_currency)
    price = Price.fromstring(text, decimal_separator=decimal_separator)
    if price.amount is None:
        return None
    return Money(price.amount, currency_code(price.currency, text, default_currency))
