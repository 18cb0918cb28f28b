"""How Deal Scout words money, percentages, times, links and marketplaces — shared by the
e-mails, the dashboard and the CLI, so a deal reads the same everywhere."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit

from models.tables import ErrorClass, Marketplace
from models.types import utcnow

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "CHF": "CHF "}
_MARKETPLACE_NAMES = {
    Marketplace.DEMO: "Demo market",
    Marketplace.EBAY: "eBay",
    Marketplace.CRAIGSLIST: "Craigslist",
    Marketplace.FACEBOOK: "Facebook Marketplace",
    Marketplace.MERCARI: "Mercari",
    Marketplace.JSONLD: "Web shop",
    Marketplace.KIJIJI: "Kijiji",
    Marketplace.MARKTPLAATS: "Marktplaats",
}


def money(amount: Decimal, currency: str | None) -> str:
    """`$1,299.99`, `$600` (no `.00`), `1,200 SEK` for currencies without a short symbol, and
    `1,200 (currency unknown)` where the page did not say."""
    number = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    if currency is None:
        return f"{number} (currency unknown)"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}"


def percent(value: Decimal) -> str:
    return f"{value.quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


def safe_url(url: str | None) -> str | None:
    """The URL if it is absolute http(s) — never `javascript:`, `data:` or a relative path."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def one_line(text: str) -> str:
    """Collapse whitespace, so marketplace text cannot break an e-mail header."""
    return " ".join(text.split())


def marketplace_name(marketplace: str) -> str:
    try:
        return _MARKETPLACE_NAMES[Marketplace(marketplace)]
    except ValueError:
        return marketplace


def confidence_word(confidence: Decimal) -> str:
    """How sure a market price is, in a word: high from 0.6, medium from 0.35, else low."""
    return "high" if confidence >= Decimal("0.6") else "medium" if confidence >= Decimal("0.35") else "low"


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes} min" if minutes and hours < 6 else f"{hours} h"
    return f"{seconds // 86400} d"


def relative(moment: datetime, now: datetime | None = None) -> str:
    """`in 5 min`, `3 h ago`, `now` — for schedules and "last seen" columns."""
    delta = moment - (now or utcnow())
    if abs(delta) < timedelta(seconds=30):
        return "now"
    return f"in {_span(delta)}" if delta > timedelta(0) else f"{_span(delta)} ago"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    return relative(moment, now) if moment else "never"


def error_label(error_class: str | None) -> str:
    """An error class as the dashboard and `marketplace status` show it: robots.txt refusals are
    the operator's call (`ROBOTS_TXT_OBEY`), so they say so in words."""
    if error_class == ErrorClass.ROBOTS_DISALLOWED:
        return "blocked by robots.txt"
    return error_class or ""
