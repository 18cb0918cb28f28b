"""Price strings to exact amounts, with the site's locale as the hint.

price-parser does the reading; this module only adds what it cannot know: which ISO 4217
currency a bare `$` or `¥` means on a given site, and the site's decimal separator
(`EUR 1.049,00` is 1049.00 on ebay.de), and the sign price-parser drops (`-500.00` is -500.00,
which the scan then refuses as no price anyone pays). For shops that declare a currency that does
not exist, it asks CLDR (through Babel, the well-kept carrier of Unicode's locale data) which ISO
4217 codes are in use and which currency a locale's territory pays in, rather than keep lists of
its own.

Only the first `PRICE_TEXT_MAX` characters of a price string are read: price-parser's search for
the decimal separator takes time quadratic in the length of a run of digits (40,000 digits: 22 s),
and a price line states its amount at its start. A longer string is a broken or hostile page;
cut, a run of digits is still longer than any amount the database holds, and the scan refuses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from babel.core import get_global
from babel.numbers import get_territory_currencies
from price_parser import Price

_DOLLAR_PREFIXES = {"US": "USD", "C": "CAD", "CA": "CAD", "AU": "AUD", "A": "AUD", "NZ": "NZD", "HK": "HKD", "S": "SGD"}
_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "円": "JPY", "₹": "INR", "zł": "PLN", "Fr.": "CHF", "CHF": "CHF"}
_DOLLAR_CURRENCIES = {"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN"}
_PREFIXED_DOLLAR = re.compile(r"\b(US|CA|C|AU|A|NZ|HK|S)\s?\$")
_FREE = re.compile(r"^\s*(free|gratis|kostenlos\w*|0円)\b", re.IGNORECASE)

# A bare amount, or one after a `$`, with a point for cents and commas between thousands: 15 µs
# less than price-parser's general reading (three prices a card), and the same result. Matched
# against the stripped text.
_PLAIN_DOLLARS = re.compile(
    r"(?P<symbol>\$)?\s*(?P<whole>[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d{0,11}|0)(?:\.(?P<cents>\d{2}))?"
)

#: A minus before the first amount of a stripped price string, alone or around its currency: "-500",
#: "-$5", "US $-5", "EUR −5" (not "Sale - $5", nor the dash of a range "5 - 10").
_MINUS_BEFORE = re.compile(r"(?:[A-Z]{0,3}\s?[^\w\s\-−]{0,3}\s?)?[-−]\s?(?:[^\w\s]{1,3}\s?)?")

#: How much of a price string is read (see the module's docstring).
PRICE_TEXT_MAX = 64

#: The territory of a BCP 47 or POSIX locale: "en-GB", "zh-Hant-TW", "sv_SE.UTF-8".
_LOCALE_TERRITORY = re.compile(r"[a-z]{2,3}(?:[-_][a-z]{4})?[-_]([a-z]{2})(?![a-z])", re.IGNORECASE)


@cache
def _currencies_in_use() -> frozenset[str]:
    """The ISO 4217 codes some territory pays in today, from CLDR (through Babel): withdrawn codes
    (HRK, DEM) and the ones that are never a price's (XXX, XTS) are not among them."""
    territories = get_global("territory_currencies")
    return frozenset(code for territory in territories for code in get_territory_currencies(territory, tender=True))


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


def currency_code(symbol: str | None, text: str, default_currency: str) -> str:
    """The ISO 4217 code a price string means on a site whose own currency is `default_currency`."""
    return _symbol_currency(symbol, text, default_currency) or default_currency


def _symbol_currency(symbol: str | None, text: str, default_currency: str) -> str | None:
    """The code a price string's symbol names, None when it has none this module knows; a bare `$`
    is the site's own dollar."""
    prefixed = _PREFIXED_DOLLAR.search(text)
    if prefixed:
        return _DOLLAR_PREFIXES[prefixed.group(1)]
    if symbol is None:
        return None
    symbol = symbol.strip()
    if re.fullmatch(r"[A-Z]{3}", symbol):
        return symbol
    if symbol == "$":
        return default_currency if default_currency in _DOLLAR_CURRENCIES else "USD"
    return _SYMBOLS.get(symbol)


def stated_currency(text: str, *, dollar: str = "USD") -> str | None:
    """The ISO 4217 currency a price string states by its symbol or code ("24,99 zł" → PLN), None
    when it states none; a bare `$` means `dollar` when that is a dollar currency, else USD."""
    text = text.strip()[:PRICE_TEXT_MAX]
    code = _symbol_currency(Price.fromstring(text).currency, text, dollar)
    return code if code in _currencies_in_use() else None


def iso_currency(code: str | None) -> str | None:
    """`code` as an ISO 4217 code ("eur" → EUR), None when it is none ("ABC", "US$", "Euro")."""
    normalized = code.strip().upper() if code else None
    return normalized if normalized in _currencies_in_use() else None


def locale_currency(locale: str | None) -> str | None:
    """The currency a locale's territory pays in today ("sv-SE", "en_GB"; CLDR's, through Babel),
    None for a locale without a territory ("de": Germany, Austria or Switzerland?)."""
    territory = _LOCALE_TERRITORY.match(locale.strip()) if locale else None
    currencies = get_territory_currencies(territory.group(1).upper(), tender=True) if territory else []
    return currencies[0] if currencies else None


def parse_price(text: str | None, *, default_currency: str, decimal_separator: str | None = None) -> Money | None:
    """The first amount in `text` (the low end of a range), or None when there is no price.

    "Free" is a price of zero; a minus before the amount is kept. `decimal_separator` is the
    site's ("," on ebay.de). Only the first `PRICE_TEXT_MAX` characters count.
    """
    text = text.strip()[:PRICE_TEXT_MAX] if text else None
    if not text:
        return None
    if _FREE.match(text):
        return Money(Decimal("0.00"), default_currency)
    plain = _PLAIN_DOLLARS.fullmatch(text) if decimal_separator is None else None
    if plain:  # "$1,299.99", "120" — most prices on a results page, read as price-parser reads them
        amount = Decimal(plain["whole"].replace(",", "") + (f".{plain['cents']}" if plain["cents"] else ""))
        return Money(amount, currency_code(plain["symbol"], text, default_currency))
    price = Price.fromstring(text, decimal_separator=decimal_separator)
    if price.amount is None:
        return None
    amount = -price.amount if price.amount and _negative(text, price.amount_text) else price.amount
    return Money(amount, currency_code(price.currency, text, default_currency))


def _negative(text: str, amount_text: str | None) -> bool:
    """Whether a minus stands before the amount price-parser read (`amount_text`, found in `text`)."""
    start = text.find(amount_text) if amount_text else -1
    return start > 0 and _MINUS_BEFORE.fullmatch(text, 0, start) is not None
