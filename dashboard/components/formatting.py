"""How the dashboard words things: money, relative times, reasons, junk kinds, how a price compares
with its market, how sure that market is, and marketplace names.

Money, times and marketplace names come from the core's `models.formatting`, so a deal reads
the same in the e-mail, on the page and in the CLI."""

from __future__ import annotations

import re
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from models.formatting import ago, confidence_word, marketplace_name, money, relative, safe_url
from models.tables import DealReason, JunkKind, Marketplace

__all__ = [
    "JUNK_LABELS",
    "REASON_LABELS",
    "ago",
    "browser_zone",
    "confidence_label",
    "marketplace_name",
    "money",
    "relative",
    "plain",
    "safe_url",
    "versus_market",
]

REASON_LABELS = {
    DealReason.TARGET_PRICE: "Under target",
    DealReason.BELOW_MARKET: "Below market",
    DealReason.PRICE_DROP: "Price drop",
    DealReason.NEW_LISTING: "New listing",
}

JUNK_LABELS = {
    JunkKind.FOR_PARTS: "for parts / not working",
    JunkKind.ACCESSORY: "accessory or part",
    JunkKind.PLACEHOLDER_PRICE: "placeholder price",
    JunkKind.WANTED: "wanted post",
    JunkKind.BUNDLE: "bundle or lot",
    JunkKind.OFF_QUERY: "different product",
}

MARKETPLACE_HELP = {
    Marketplace.DEMO: "the built-in demo market: try Deal Scout without touching a real site",
    Marketplace.EBAY: "eBay Browse API (needs EBAY_APP_ID / EBAY_CERT_ID)",
    Marketplace.CRAIGSLIST: "Craigslist search pages (set a location)",
    Marketplace.FACEBOOK: "Facebook Marketplace (needs FACEBOOK_COOKIES)",
    Marketplace.MERCARI: "Mercari",
    Marketplace.JSONLD: "any shop page with schema.org product data",
    Marketplace.KIJIJI: "Kijiji, Canada's classifieds (location: a kijiji.ca search URL, `city-of-toronto/1700273` or a big city's name)",
    Marketplace.MARKTPLAATS: "Marktplaats, the Netherlands' classifieds (prices in euros)",
}


def browser_zone() -> ZoneInfo:
    """The viewer's time zone (from the browser), UTC when it is unknown."""
    try:
        return ZoneInfo(st.context.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: object) -> str:
    """Text from outside (marketplace data, error texts, names and reasons people typed) shown
    inside Markdown as the characters it is: it cannot make a link, an image, emphasis, a
    directive or a formula, and on one line it cannot start a heading, list or table either.

    Every Streamlit element that renders Markdown (`st.markdown`, `st.caption`, `st.info` and
    the other alerts, `st.toast`, labels and `help=` tooltips) gets outside text through this."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).splitlines()))


def versus_market(percent_under: Decimal, *, suspicious: bool = False) -> str:
    """`25 % under market`, `12 % above market`, `at market`; a suspicious deal's `16 % of market`
    (what share of it the price is)."""
    if suspicious:
        return f"{100 - percent_under:.0f} % of market"
    rounded = f"{abs(percent_under):.0f}"
    if rounded == "0":
        return "at market"
    return f"{rounded} % {'under' if percent_under > 0 else 'above'} market"


def confidence_label(confidence: Decimal | None) -> str:
    """`High (0.72)`, `Medium (0.40)`, `Low (0.20)`; `Unknown` for deals that did not record it."""
    if confidence is None:
        return "Unknown"
    return f"{confidence_word(confidence).capitalize()} ({confidence:.2f})"  # the e-mail's word, and the figure
