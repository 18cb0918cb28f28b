"""eBay's country sites and the ids both search paths share.

The Browse API and the web page must agree on them: an item seen through either gets the same
numeric id, the same `https://<site>/itm/<id>` URL and its site's currency, so it is one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from models.tables import Condition, ErrorClass
from scanner.errors import ScanError


@dataclass(frozen=True)
class EbaySite:
    """One eBay country site: where to search and how it writes prices."""

    host: str
    marketplace_id: str
    currency: str
    decimal_separator: str


SITES = (
    EbaySite("www.ebay.com", "EBAY_US", "USD", "."),
    EbaySite("www.ebay.de", "EBAY_DE", "EUR", ","),
    EbaySite("www.ebay.co.uk", "EBAY_GB", "GBP", "."),
    EbaySite("www.ebay.com.au", "EBAY_AU", "AUD", "."),
    EbaySite("www.ebay.ca", "EBAY_CA", "CAD", "."),
    EbaySite("www.ebay.ch", "EBAY_CH", "CHF", "."),
    EbaySite("www.ebay.pl", "EBAY_PL", "PLN", ","),
    EbaySite("www.ebay.at", "EBAY_AT", "EUR", ","),
    EbaySite("www.ebay.fr", "EBAY_FR", "EUR", ","),
    EbaySite("www.ebay.it", "EBAY_IT", "EUR", ","),
    EbaySite("www.ebay.es", "EBAY_ES", "EUR", ","),
    EbaySite("www.ebay.nl", "EBAY_NL", "EUR", ","),
    EbaySite("www.ebay.ie", "EBAY_IE", "EUR", "."),
)
US_SITE = SITES[0]

#: eBay condition ids per search condition: the same ids filter the API and the web page.
CONDITION_IDS: Mapping[str, tuple[str, ...]] = {
    Condition.NEW: ("1000", "1500", "1750"),
    Condition.USED: ("2990", "3000", "3010", "4000", "5000", "6000"),
    Condition.REFURBISHED: ("2000", "2010", "2020", "2030", "2500"),
    Condition.FOR_PARTS: ("7000",),
}


def site_for_host(host: str | None) -> EbaySite | None:
    if not host:
        return None
    bare = host.lower().split(":")[0].removeprefix("www.").removeprefix("m.")
    return next((site for site in SITES if site.host.removeprefix("www.") == bare), None)


def site_for_currency(currency: str) -> EbaySite:
    """The site a search in `currency` runs on (the first listed, e.g. ebay.de for EUR)."""
    site = next((site for site in SITES if site.currency == currency), None)
    if site is None:
        known = ", ".join(sorted({site.currency for site in SITES}))
        raise ScanError(ErrorClass.CONFIGURATION, f"eBay has no site selling in {currency} (known: {known})")
    return site


def item_url(site: EbaySite, item_id: str) -> str:
    return f"https://{site.host}/itm/{item_id}"


def is_ebay_category(category: str | None) -> bool:
    """eBay's categories are numeric ids; a search's other marketplaces may use words."""
    return bool(category and category.isdigit())
