"""The demo market's HTML: results pages, item pages, and the small pages around them.

Markup is the market's own design, shaped like a real marketplace: cards with a title link
carrying tracking parameters, a price with an optional struck-out one, badges, a pager with
`rel="next"`. A results page says how many cards it holds (`data-count`) and ends with an
end-of-page marker, so a reader can tell a cut-off page from a short one. `REDESIGN` renders
the same data under other class names: the "the site changed its markup" failure.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from urllib.parse import urlencode

from demo_market.catalogue import DemoListing
from models.tables import Condition

PER_PAGE = 20


@dataclass(frozen=True)
class Theme:
    """Class names of one version of the site's design."""

    results: str
    heading: str
    count: str
    list: str
    card: str
    image: str
    title: str
    price: str
    amount: str
    was: str
    shipping: str
    location: str
    condition: str
    seller: str
    seller_name: str
    badge: str
    empty: str
    pager: str
    end: str


CLASSIC = Theme(
    results="dm-results",
    heading="dm-results__heading",
    count="dm-results__count",
    list="dm-results__list",
    card="dm-card",
    image="dm-card__image",
    title="dm-card__title",
    price="dm-card__price",
    amount="dm-price",
    was="dm-price--was",
    shipping="dm-card__shipping",
    location="dm-card__location",
    condition="dm-card__condition",
    seller="dm-card__seller",
    seller_name="dm-seller",
    badge="dm-badge",
    empty="dm-empty",
    pager="dm-pager",
    end="dm-end",
)
REDESIGN = Theme(
    results="srp-v2",
    heading="srp-v2-head",
    count="srp-v2-total",
    list="srp-v2-grid",
    card="tile",
    image="tile-media",
    title="tile-name",
    price="tile-cost",
    amount="cost-now",
    was="cost-before",
    shipping="tile-delivery",
    location="tile-where",
    condition="tile-state",
    seller="tile-by",
    seller_name="tile-by-name",
    badge="flag",
    empty="srp-v2-none",
    pager="srp-v2-pages",
    end="srp-v2-end",
)

_UNPRICED_TEXT = {"contact": "Contact seller", "on_request": "Price on request", "offer": "Make an offer"}
_AVAILABILITY = {"active": "InStock", "pending": "LimitedAvailability", "sold": "SoldOut"}
_ITEM_CONDITION = {
    Condition.NEW: "NewCondition",
    Condition.USED: "UsedCondition",
    Condition.REFURBISHED: "RefurbishedCondition",
    Condition.FOR_PARTS: "DamagedCondition",
}


@dataclass(frozen=True)
class Page:
    """One page of search results."""

    listings: Sequence[DemoListing]
    number: int
    pages: int
    total: int


def paginate(results: Sequence[DemoListing], number: int, per_page: int = PER_PAGE) -> Page:
    """Page `number` (from 1); past the last page it is empty, as on real sites."""
    start = (number - 1) * per_page
    return Page(results[start : start + per_page], number, max(1, math.ceil(len(results) / per_page)), len(results))


def dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _whole_dollars(amount: Decimal) -> str:
    return f"${amount:,.0f}" if amount == amount.to_integral_value() else dollars(amount)


def price_text(listing: DemoListing) -> str:
    """The price as a seller's ad shows it: `$549.00`, `Free`, `$120 – $150`, or words without an amount."""
    if listing.price is None:
        return _UNPRICED_TEXT[listing.price_kind]
    if listing.price_kind == "free":
        return "Free"
    if listing.price_high is not None:
        return f"{_whole_dollars(listing.price)} – {_whole_dollars(listing.price_high)}"
    return dollars(listing.price)


def shipping_text(shipping: Decimal | None) -> str:
    if shipping is None:
        return "Local pickup only"
    return "Free shipping" if shipping == 0 else f"+{dollars(shipping)} shipping"


def _document(title: str, head: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)} – Demo Market</title>\n{head}</head>\n<body>\n"
        '<header class="site-header"><a class="site-logo" href="/">Demo Market</a>\n'
        '<form action="/search" method="get" role="search"><input type="search" name="q" aria-label="Search">'
        "<button>Search</button></form></header>\n"
        f"{body}"
        '<footer class="site-footer">Demo Market – a local stand-in for a real marketplace.</footer>\n'
    )


def _details(listing: DemoListing, theme: Theme) -> str:
    """Price, shipping, place, condition, seller and status: the same on a card and an item page."""
    was = f' <s class="{theme.was}">{dollars(listing.original_price)}</s>' if listing.original_price else ""
    badge = (
        f'<span class="{theme.badge} {theme.badge}--{listing.status}">{listing.status.capitalize()}</span>\n'
        if listing.status != "active"
        else ""
    )
    return (
        f'<p class="{theme.price}"><span class="{theme.amount}">{escape(price_text(listing))}</span>{was}</p>\n'
        f'<p class="{theme.shipping}">{shipping_text(listing.shipping)}</p>\n'
        f'<p class="{theme.location}">{escape(listing.location)}</p>\n'
        f'<p class="{theme.condition}">{escape(listing.condition_label)}</p>\n'
        f'<p class="{theme.seller}">Seller: <span class="{theme.seller_name}">{escape(listing.seller)}</span></p>\n'
        f"{badge}"
    )


def _card(listing: DemoListing, position: int, theme: Theme) -> str:
    link = escape(f"/item/{listing.listing_id}?{urlencode({'ref': 'srp', 'pos': position})}")
    title = escape(listing.title)
    return (
        f'<li class="{theme.card}" data-listing-id="{listing.listing_id}">\n'
        f'<a class="{theme.image}" href="{link}"><img src="/img/{listing.listing_id}.svg" alt="{title}" '
        'width="160" height="120" loading="lazy"></a>\n'
        f'<h2 class="{theme.title}"><a href="{link}">{title}</a></h2>\n'
        f"{_details(listing, theme)}</li>\n"
    )


def search_url(search: Mapping[str, str], number: int) -> str:
    """The site-relative address of page `number` of a search (its filters kept)."""
    return "/search?" + urlencode({**search, "page": number} if number > 1 else dict(search))


def results_page(search: Mapping[str, str], page: Page, base_url: str, theme: Theme = CLASSIC) -> str:
    """A results page for `search` (the q/min_price/max_price/condition parameters asked)."""
    query = search.get("q", "")
    cards = "".join(_card(listing, index, theme) for index, listing in enumerate(page.listings, start=1))
    if not page.listings:
        message = "No results" if page.total == 0 else "No more results"
        cards = f'<p class="{theme.empty}">{message} for “{escape(query)}”.</p>\n'
    else:
        cards = f'<ol class="{theme.list}">\n{cards}</ol>\n'
    pager = f'<span class="{theme.pager}__where">Page {page.number} of {page.pages}</span>'
    if page.number > 1:
        pager = f'<a rel="prev" href="{escape(search_url(search, page.number - 1))}">‹ Previous</a> {pager}'
    if page.number < page.pages:
        pager += f' <a rel="next" href="{escape(search_url(search, page.number + 1))}">Next ›</a>'
    head = f'<link rel="canonical" href="{escape(base_url + search_url(search, page.number))}">\n'
    body = (
        f'<main class="{theme.results}" data-total="{page.total}" data-page="{page.number}" '
        f'data-pages="{page.pages}" data-count="{len(page.listings)}">\n'
        f'<h1 class="{theme.heading}"><span class="{theme.count}">{page.total}</span> results for '
        f"“{escape(query)}”</h1>\n{cards}"
        f'<nav class="{theme.pager}">{pager}</nav>\n</main>\n'
    )
    end = f'<div class="{theme.end}" data-end-of="results"></div>\n</body>\n</html>\n'
    return _document(f"{query} – {page.total} results", head, body) + end


def _json_ld(listing: DemoListing, base_url: str) -> str:
    """schema.org Product/Offer, as shops embed for search engines."""
    url = f"{base_url}/item/{listing.listing_id}"
    offer: dict[str, object] = {
        "@type": "Offer",
        "url": url,
        "priceCurrency": "USD",
        "availability": f"https://schema.org/{_AVAILABILITY[listing.status]}",
        "itemCondition": f"https://schema.org/{_ITEM_CONDITION[listing.condition]}",
        "seller": {"@type": "Person", "name": listing.seller},
    }
    if listing.price_high is not None:
        offer.update({"@type": "AggregateOffer", "lowPrice": str(listing.price), "highPrice": str(listing.price_high)})
    elif listing.price is not None:
        offer["price"] = str(listing.price)
    if listing.shipping is not None:
        offer["shippingDetails"] = {
            "@type": "OfferShippingDetails",
            "shippingRate": {"@type": "MonetaryAmount", "value": str(listing.shipping), "currency": "USD"},
        }
    product = {
        "@context": "https://schema.org",
        "@type": "Product",
        "sku": listing.listing_id,
        "name": listing.title,
        "image": f"{base_url}/img/{listing.listing_id}.svg",
        "offers": offer,
    }
    return json.dumps(product, ensure_ascii=False, indent=1).replace("</", "<\\/")


def item_page(listing: DemoListing, base_url: str) -> str:
    """One listing's own page, with its JSON-LD."""
    head = (
        f'<link rel="canonical" href="{escape(base_url)}/item/{listing.listing_id}">\n'
        f'<script type="application/ld+json">\n{_json_ld(listing, base_url)}\n</script>\n'
    )
    body = (
        f'<main class="dm-item" data-listing-id="{listing.listing_id}">\n'
        f'<h1 class="dm-item__title">{escape(listing.title)}</h1>\n'
        f'<img src="/img/{listing.listing_id}.svg" alt="{escape(listing.title)}" width="320" height="240">\n'
        f"{_details(listing, CLASSIC)}"
        f'<p class="dm-item__listed">Listed <time datetime="{listing.listed_at.isoformat()}">'
        f"{listing.listed_at:%Y-%m-%d %H:%M} UTC</time></p>\n</main>\n"
    )
    return _document(listing.title, head, body) + "</body>\n</html>\n"


def message_page(title: str, message: str) -> str:
    """A plain page for errors and gone listings."""
    return _document(title, "", f"<main><h1>{escape(title)}</h1>\n<p>{escape(message)}</p>\n</main>\n") + (
        "</body>\n</html>\n"
    )


def index_page(words: Sequence[str]) -> str:
    links = "".join(f'<li><a href="/search?q={word}">{word}</a></li>\n' for word in words)
    body = (
        "<main><h1>Demo Market</h1>\n<p>Listings change every few minutes. Try:</p>\n"
        f"<ul>\n{links}</ul>\n<p>Failures on demand: add <code>&amp;fail=429</code>, <code>500</code>, "
        "<code>timeout</code>, <code>truncate</code> or <code>markup</code> to a search, "
        "or <code>&amp;latency_ms=800</code>.</p>\n</main>\n"
    )
    return _document("Home", "", body) + "</body>\n</html>\n"


ROBOTS_TXT = "User-agent: *\nAllow: /search\nAllow: /item/\nAllow: /img/\nDisallow: /admin\nDisallow: /account\n"
