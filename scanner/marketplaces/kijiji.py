"""Kijiji (kijiji.ca) search results: the page's Apollo cache first, its rendered cards as fallback.

Kijiji's search pages are a Next.js app. The server renders the first page of results twice:

* `<script id="__NEXT_DATA__" type="application/json">` holds `props.pageProps.__APOLLO_STATE__`,
  the app's normalized GraphQL cache. Each listing is one entry keyed `<Type>:<id>` whose
  `__typename` ends in `Listing` (`RealEstateListing`, `AutosListing`, `StandardListing`…):
  `id`, `title`, `url` (absolute `/v-<category>/<area>/<slug>/<id>`), `imageUrls`,
  `activationDate` (posted), `location` {`name`, `address`, `coordinates`},
  `price` {`type`, `amount`, `originalAmount`}, `posterInfo` {`posterId`, …}, `flags`
  {`topAd`, `priceDrop`, …} and `attributes.all` [{`canonicalName`, `canonicalValues`}].
  Amounts are in cents; `originalAmount` is the struck-out "was" price. A price `type` other than
  `FIXED` has no amount: `GIVE_AWAY` shows as "Free" (read as 0, as `parse_price` reads "Free"),
  `CONTACT` ("Please Contact") and `SWAP_TRADE` ("Swap / Trade") as no price (None).
  `ROOT_QUERY["searchResultsPageByUrl:<path>"]` is the search itself: `pagination` {`offset`,
  `limit` (40), `totalCount`} and `results` {`topListings`, `mainListings(...)`}, lists of
  `{"__ref": "<Type>:<id>"}` in page order. Top (promoted) listings come first and repeat in the
  main list, so a page shows some listings twice; each is kept once. Listings are read in the
  results' order; a cache without results (a trimmed capture) is read in its own order.
  A search that found nothing has `totalCount` 0 and empty result lists.
* The cards: `section[data-testid=listing-card][data-listingid]`, holding elements whose
  `data-testid` is `listing-link` (the `a`, inside `listing-title`), `listing-price`
  ("$1,800.00", "Please Contact", "Free"), `listing-location` and `listing-card-image`. They
  are read only when the page has no usable cache (a page saved without its scripts, a cut-off
  script, a cache whose entries no longer read).

`parse` also takes the `__NEXT_DATA__` JSON alone (a body starting with `{`). A page with neither
listings nor a recognisable empty search raises `ScanError`: `BLOCKED` for a bot check or block
page (DataDome, Cloudflare, Imperva markers) that came with a 200, else `MARKUP_CHANGED`.

Search URLs: `/b-[<category-slug>/]<location-slug>/<keywords>/[page-<n>/]k0[c<category>]l<location>`
(`/b-canada/road-bike/k0l0`, `/b-cars-trucks/city-of-toronto/honda-civic/page-2/k0c174l1700273`),
with `?price=<min>__<max>` in whole dollars and `ad=offering` (no "wanted" ads). Without
keywords the segment and the `k0` go (`/b-apartments-condos/greater-vancouver-area/c37l80003`).
A search's condition and excluded words are not sent: no URL form for them was verified (Kijiji's
attribute filters are path codes, `a<id>`, which are not mapped here). Results name no seller, so `seller` is the poster's stable id,
which is what repost detection compares.

Parse cost on the 1.4 MB Vancouver capture (`time.process_time`, median of 15 runs on a busy
2-core machine; the spread over repeated runs in brackets): Apollo cache 1.0 ms per 100 KB
(0.7–1.2), since the script is found with `str.find` and decoded with `json.loads`, with no HTML
tree at all; cards 3.0 ms per 100 KB (2.4–3.2) with lxml directly (`scanner.marketplaces.html`). BeautifulSoup, even
with a `SoupStrainer` keeping only the cards, took 15–17 ms per 100 KB on that page, over the
budget of 10 ms per 100 KB, so the cards are read with lxml.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeGuard, TypeVar
from urllib.parse import parse_qsl, quote, urlsplit

from models.tables import Condition, ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces.base import (
    HttpClient,
    ListingData,
    MarketplaceAdapter,
    SearchQuery,
    first_sightings,
)
from scanner.marketplaces.block_pages import looks_blocked
from scanner.marketplaces.html import Element, parse_html, text
from scanner.marketplaces.nextjs import next_data_script
from scanner.marketplaces.prices import iso_currency, parse_price
from scanner.marketplaces.text import clean_text
from scanner.marketplaces.urls import canonical_url, is_tracking_parameter

BASE_URL = "https://www.kijiji.ca"
CURRENCY = "CAD"
_CARD_MARKER = 'data-testid="listing-card"'
_CARDS = './/section[@data-testid="listing-card"]'
# Price types without an amount that still say what the item costs: Kijiji shows "Free".
_FREE_TYPES = frozenset({"GIVE_AWAY", "FREE"})
_LISTING_ID = re.compile(r"/(\d{6,})/?$")
_SEARCH_CODE = re.compile(r"(k0)?(?:c(\d+))?l(\d+)((?:a\d+)*)")
_PAGE_SEGMENT = re.compile(r"page-\d+")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_NON_WORD = re.compile(r"[\W_]+")
_ROOM_COUNT = re.compile(r"\d{1,3}(?:\.\d)?")
_MILES_TO_KM = 1.609344

# Location and category ids as they appear in kijiji.ca URLs (the captures' canonical URLs and
# public search links). Any other place or category is given as `<slug>/<id>` or as a search URL.
_LOCATIONS: dict[str, tuple[str, int]] = {
    "canada": ("canada", 0),
    "british-columbia": ("british-columbia", 9007),
    "greater-vancouver-area": ("greater-vancouver-area", 80003),
    "vancouver": ("greater-vancouver-area", 80003),
    "ontario": ("ontario", 9004),
    "gta-greater-toronto-area": ("gta-greater-toronto-area", 1700272),
    "city-of-toronto": ("city-of-toronto", 1700273),
    "toronto": ("city-of-toronto", 1700273),
    "ottawa": ("ottawa", 1700185),
    "hamilton": ("hamilton", 80014),
    "edmonton-area": ("edmonton-area", 1700202),
    "edmonton": ("edmonton-area", 1700202),
    "grand-montreal": ("grand-montreal", 80002),
    "ville-de-montreal": ("ville-de-montreal", 1700281),
    "montreal": ("ville-de-montreal", 1700281),
}
_CATEGORIES: dict[int, str] = {
    34: "real-estate",
    30349001: "for-rent",
    37: "apartments-condos",
    174: "cars-trucks",
    644: "bikes",
}
# `attributes.all` values: conditions, and rentals' bathrooms counted in tenths ("15" is 1.5).
_CONDITIONS = {
    "new": Condition.NEW.value,
    "usedlikenew": Condition.USED.value,
    "usedgood": Condition.USED.value,
    "usedfair": Condition.USED.value,
    "usedpoor": Condition.USED.value,
}

log = logging.getLogger(__name__)
_Item = TypeVar("_Item")


class KijijiAdapter(MarketplaceAdapter):
    name = "kijiji"
    default_currency = CURRENCY

    def search(self, query: SearchQuery, client: HttpClient) -> list[ListingData]:
        """Result pages `page-1`, `page-2`… until `query.max_pages`, the last page the search's
        count allows, or a page that brings nothing new (past its end Kijiji repeats a page)."""
        target = search_target(query)
        listings: list[ListingData] = []
        seen: set[str] = set()
        for number in range(1, query.max_pages + 1):
            url = target.page_url(number)
            response = client.get(url, params=target.params)
            page = read_page(response.text)
            fresh = [listing for listing in page.listings if listing.external_id not in seen]
            if not fresh:
                break
            seen.update(listing.external_id for listing in fresh)
            listings.extend(fresh)
            if not page.more:
                break
        return listings

    def parse(self, body: str, *, source_url: str | None = None) -> list[ListingData]:
        """Listings of a results page or of its `__NEXT_DATA__` JSON (links are absolute on
        kijiji.ca, so `source_url` is not needed to resolve them)."""
        return read_page(body).listings


# --- the search's URLs ------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchTarget:
    """A search as Kijiji's URL scheme spells it; `page_url(n)` is its n-th results page."""

    location: tuple[str, int]  # (slug, id); ("canada", 0) is the whole country
    category: tuple[str, int] | None = None  # (slug, id)
    keywords: str = ""  # the path's keyword segment, already a slug
    params: dict[str, str] = field(default_factory=dict)

    def page_url(self, number: int) -> str:
        (location_slug, location_id), category = self.location, self.category
        segments = [f"b-{category[0]}", location_slug] if category else [f"b-{location_slug}"]
        if self.keywords:
            segments.append(self.keywords)
        if number > 1:
            segments.append(f"page-{number}")
        code = f"c{category[1]}l{location_id}" if category else f"l{location_id}"
        segments.append(f"k0{code}" if self.keywords else code)
        return f"{BASE_URL}/{'/'.join(segments)}"


def search_target(query: SearchQuery) -> SearchTarget:
    """Where a saved search goes. Its location is a kijiji.ca search URL (its area, category
    and query-string filters are kept; filters spelled in the path, `a<id>` codes, are not), a
    `<slug>/<id>` pair as in those URLs (`city-of-toronto/1700273`), or a place named in
    `_LOCATIONS`; none means all of Canada. Its category is `<slug>/<id>` or an id of
    `_CATEGORIES`."""
    from_url = _url_target(query.location) if _is_url(query.location) else None
    location = from_url.location if from_url else _location(query.location)
    category = _category(query.category) if query.category else from_url.category if from_url else None
    keywords = keyword_slug(query.query) or (from_url.keywords if from_url else "")
    params = dict(from_url.params) if from_url else {}
    params.setdefault("ad", "offering")
    if query.min_price is not None or query.max_price is not None:
        low = str(math.floor(query.min_price)) if query.min_price is not None else ""
        high = str(math.ceil(query.max_price)) if query.max_price is not None else ""
        params["price"] = f"{low}__{high}"
    if query.radius_miles and ("ll" in params or "address" in params):
        params["radius"] = f"{query.radius_miles * _MILES_TO_KM:.1f}"  # a radius needs the URL's centre
    return SearchTarget(location=location, category=category, keywords=keywords, params=params)


def keyword_slug(text: str) -> str:
    """Search words as Kijiji's path spells them: lower case, joined by hyphens ("Road bike 54cm"
    → `road-bike-54cm`); letters outside ASCII are percent-encoded."""
    return quote(_NON_WORD.sub("-", text.lower()).strip("-"))


def _is_url(location: str | None) -> bool:
    text = (location or "").strip()
    return "://" in text or text.startswith(("kijiji.ca", "www.kijiji.ca", "/b-", "b-"))


def _url_target(location: str | None) -> SearchTarget:
    """Area, category, keywords and filters of a kijiji.ca search URL (or of its path)."""
    text = (location or "").strip()
    if not text.startswith(("/", "b-")) and "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text if "://" in text else f"{BASE_URL}/{text.lstrip('/')}")
    host = (parts.hostname or "").lower()
    segments = [segment for segment in parts.path.split("/") if segment]
    code = _SEARCH_CODE.fullmatch(segments[-1]) if segments else None
    if not (host == "kijiji.ca" or host.endswith(".kijiji.ca")) or code is None or not segments[0].startswith("b-"):
        raise ScanError(
            ErrorClass.CONFIGURATION,
            f"'{location}' is not a kijiji.ca search URL (https://www.kijiji.ca/b-<place>/<words>/k0l<id>)",
        )
    words = [segment for segment in segments[:-1] if not _PAGE_SEGMENT.fullmatch(segment)]
    category_id = int(code.group(2)) if code.group(2) else 0
    if category_id:  # /b-<category>/<location>[/<keywords>]/k0c<c>l<l>
        category: tuple[str, int] | None = (words[0][2:], category_id)
        location_slug = words[1] if len(words) > 1 else "canada"
        keywords = words[2] if code.group(1) and len(words) > 2 else ""
    else:  # /b-<location>[/<keywords>]/k0l<l>
        category, location_slug = None, words[0][2:]
        keywords = words[1] if code.group(1) and len(words) > 1 else ""
    params = {
        name: value
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_parameter(name) and name != "page"
    }
    return SearchTarget((location_slug, int(code.group(3))), category, keywords, params)


def _location(location: str | None) -> tuple[str, int]:
    """A `<slug>/<id>` pair (`city-of-toronto/1700273`, `l` before the id allowed) or a known place."""
    text = (location or "").strip().lower()
    if not text:
        return _LOCATIONS["canada"]
    known = _LOCATIONS.get(_NON_WORD.sub("-", text.replace("é", "e")).strip("-"))
    if known is not None:
        return known
    slug, _, number = text.partition("/")
    number = number.strip("/").removeprefix("l")
    if _SLUG.fullmatch(slug) and number.isdigit():
        return slug, int(number)
    raise ScanError(
        ErrorClass.CONFIGURATION,
        f"kijiji location '{location}' is neither a kijiji.ca search URL nor '<place-slug>/<id>' as in one "
        f"(e.g. city-of-toronto/1700273; known places: {', '.join(sorted(_LOCATIONS))})",
    )


def _category(category: str) -> tuple[str, int]:
    """`<slug>/<id>` (`cars-trucks/174`, `c` before the id allowed) or an id of `_CATEGORIES`."""
    text = category.strip().lower()
    slug, _, number = text.rpartition("/")
    number = number.removeprefix("c")
    if number.isdigit() and not slug and int(number) in _CATEGORIES:
        return _CATEGORIES[int(number)], int(number)
    if number.isdigit() and _SLUG.fullmatch(slug):
        return slug, int(number)
    raise ScanError(
        ErrorClass.CONFIGURATION,
        f"kijiji category '{category}' is not '<category-slug>/<id>' as in a kijiji.ca search URL (e.g. cars-trucks/174)",
    )


# --- one page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page's listings; `more` is False when the search's count says no page follows."""

    listings: list[ListingData]
    more: bool = True


def read_page(body: str) -> Page:
    """The listings of a results page or of its bare `__NEXT_DATA__` JSON (see the module docstring)."""
    if body.lstrip().startswith("{"):
        try:
            cache = _apollo_cache(json.loads(body))
        except (ValueError, RecursionError):
            cache = None
        page = _apollo_page(cache) if cache is not None else None
        if page is None:
            raise ScanError(ErrorClass.MARKUP_CHANGED, "kijiji JSON without readable Apollo listings")
        return page
    next_data = _next_data(body)
    cache = _apollo_cache(next_data) if next_data is not None else None
    page = _apollo_page(cache) if cache is not None else None
    if page is not None and page.listings:
        return page
    cards = _read_cards(body)
    if cards:
        return Page(cards, more=page.more if page is not None else True)
    if page is not None:
        return page  # a search that found nothing
    if next_data is None and looks_blocked(body):
        raise ScanError(ErrorClass.BLOCKED, "kijiji answered with a bot check or block page instead of results")
    if next_data is None:
        missing = "no readable __NEXT_DATA__ script"
    elif cache is None:
        missing = "a __NEXT_DATA__ script without an Apollo cache"
    else:
        missing = "an Apollo cache without readable search results"
    raise ScanError(ErrorClass.MARKUP_CHANGED, f"no kijiji listings: {missing}, and no listing cards")


def _next_data(body: str) -> Any:
    """The decoded `__NEXT_DATA__` script; None when the page has none or it does not decode (a
    cut-off page)."""
    script = next_data_script(body)
    try:
        return json.loads(script) if script is not None else None
    except (ValueError, RecursionError):
        return None


def _apollo_cache(data: Any) -> Mapping[str, Any] | None:
    """`props.pageProps.__APOLLO_STATE__` of the Next.js data (or the cache itself)."""
    cache = _get(data, "props", "pageProps", "__APOLLO_STATE__")
    if isinstance(cache, dict):
        return cache
    return data if isinstance(data, dict) and isinstance(data.get("ROOT_QUERY"), dict) else None


def _apollo_page(cache: Mapping[str, Any]) -> Page | None:
    """The cache's listings, `Page([])` for a search that found nothing, None when it has neither
    (or none of its listings could be read)."""
    search = _search_results(cache)
    entries = _listing_entries(cache, search)
    listings = _read_each(entries, _apollo_listing, lambda entry: entry.get("id"))
    if listings:
        return Page(listings, more=_has_more(_get(search, "pagination")))
    if not entries and search is not None and _found_nothing(search):
        return Page([], more=False)
    if entries:
        log.warning("kijiji: none of the %d Apollo listings could be read", len(entries))
    return None


def _search_results(cache: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The `SearchResultsPage` of `ROOT_QUERY` (the search this page shows)."""
    root = cache.get("ROOT_QUERY")
    for key, value in root.items() if isinstance(root, dict) else ():
        if key.startswith("searchResultsPage") and isinstance(value, dict):
            return value
    return None


def _is_listing(value: Any) -> TypeGuard[dict[str, Any]]:
    typename = value.get("__typename") if isinstance(value, dict) else None
    return isinstance(typename, str) and typename.endswith("Listing")


def _result_lists(search: Mapping[str, Any] | None) -> list[list[Any]]:
    """The search's result lists (`topListings`, `mainListings(...)`), in the page's order."""
    results = _get(search, "results")
    return [value for value in results.values() if isinstance(value, list)] if isinstance(results, dict) else []


def _listing_entries(cache: Mapping[str, Any], search: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The search's listings in page order (its results' refs); every listing entry, in the
    cache's order, when it has no result lists."""
    lists = _result_lists(search)
    if not lists:
        return [value for value in cache.values() if _is_listing(value)]
    entries: list[Mapping[str, Any]] = []
    for item in (item for listed in lists for item in listed):
        entry = cache.get(item["__ref"]) if isinstance(item, dict) and isinstance(item.get("__ref"), str) else item
        if _is_listing(entry):
            entries.append(entry)
        else:
            log.warning("kijiji: result %r is not a listing in the Apollo cache", item)
    return entries


def _found_nothing(search: Mapping[str, Any]) -> bool:
    """A search that ran and found nothing: a total of 0, or result lists that are all empty."""
    if _get(search, "pagination", "totalCount") == 0:
        return True
    lists = _result_lists(search)
    return bool(lists) and not any(lists)


def _has_more(pagination: Any) -> bool:
    """Whether a page follows this one, by the search's count (True when it does not say)."""
    offset, limit, total = (_get(pagination, key) for key in ("offset", "limit", "totalCount"))
    if all(type(number) is int for number in (offset, limit, total)):
        return bool(offset + limit < total)
    return True


def _apollo_listing(entry: Mapping[str, Any]) -> ListingData:
    """One cache entry as a listing; `ValueError` when it lacks what a listing cannot do without."""
    listing_id, title, url = _listing_id(entry.get("id")), clean_text(entry.get("title")), entry.get("url")
    if listing_id is None or title is None or not isinstance(url, str):
        raise ValueError("no id, title or url")
    price_data = _mapping(entry.get("price"))
    kind = price_data.get("type") if isinstance(price_data.get("type"), str) else None
    price = _cents(price_data.get("amount"))
    if price is None and kind in _FREE_TYPES:
        price = Decimal("0.00")
    was = _cents(price_data.get("originalAmount"))
    location, poster = _mapping(entry.get("location")), _mapping(entry.get("posterInfo"))
    poster_id = poster.get("posterId")
    attributes = _attributes(entry)
    images = entry.get("imageUrls")
    image = next((src for src in images if isinstance(src, str) and src.startswith("http")), None) if images else None
    extra: dict[str, Any] = {}
    for key, value in (
        ("posted_at", _timestamp(entry.get("activationDate"))),
        ("price_type", kind if kind and kind != "FIXED" else None),
        ("address", clean_text(location.get("address"))),
        ("latitude", _get(location, "coordinates", "latitude")),
        ("longitude", _get(location, "coordinates", "longitude")),
        ("category_id", entry.get("categoryId")),
        ("seller_type", poster.get("sellerType")),
        ("promoted", _get(entry, "flags", "topAd") is True or None),
        ("price_drop", _get(entry, "flags", "priceDrop") is True or None),
        *_attribute_extras(attributes),
    ):
        if value is not None:
            extra[key] = value
    return ListingData(
        external_id=listing_id,
        title=title,
        url=_listing_url(url),
        price=price,
        currency=iso_currency(price_data.get("currency")) or CURRENCY,
        image_url=image,
        location=clean_text(location.get("name")),
        condition=_CONDITIONS.get(attributes.get("condition", "")),
        seller=str(poster_id) if isinstance(poster_id, (str, int)) and str(poster_id) else None,
        original_price=was if was is not None and price is not None and was > price else None,
        extra=extra,
    )


def _attributes(entry: Mapping[str, Any]) -> dict[str, str]:
    """`attributes.all` as canonical name → first canonical value."""
    attributes: dict[str, str] = {}
    items = _get(entry, "attributes", "all")
    for item in items if isinstance(items, list) else ():
        values = _get(item, "canonicalValues")
        name = _get(item, "canonicalName")
        if isinstance(name, str) and isinstance(values, list) and values and isinstance(values[0], str):
            attributes[name] = values[0]
    return attributes


def _attribute_extras(attributes: Mapping[str, str]) -> Iterator[tuple[str, Any]]:
    """Rooms of rentals (bathrooms are stored in tenths) and mileage of vehicles."""
    for key, name, scale in (("bedrooms", "numberbedrooms", 1), ("bathrooms", "numberbathrooms", 10)):
        value = attributes.get(name, "")
        if _ROOM_COUNT.fullmatch(value):
            yield key, Decimal(value) / scale
    mileage = attributes.get("carmileageinkms", "")
    if mileage.isdigit():
        yield "mileage", int(mileage)
        yield "mileage_unit", "km"


# --- the rendered cards -----------------------------------------------------------------------


def _read_cards(body: str) -> list[ListingData]:
    """Listings of the `listing-card` sections, read with lxml (see the module docstring)."""
    if _CARD_MARKER not in body:
        return []
    root = parse_html(body)
    cards = root.findall(_CARDS)
    listings = _read_each(cards, _card_listing, lambda card: card.get("data-listingid"))
    if cards and not listings:
        log.warning("kijiji: none of the %d listing cards could be read", len(cards))
    return listings


def _card_listing(card: Element) -> ListingData:
    """One card as a listing; `ValueError` when it has no link, title or listing id."""
    link = _by_testid(card, "listing-link")
    href = link.get("href") if link is not None else None
    title = text(link) or text(_by_testid(card, "listing-title"))
    if not href or not title:
        raise ValueError("no link or title")
    url = _listing_url(href)
    listing_id = card.get("data-listingid") or ""
    if not listing_id.isdigit():
        match = _LISTING_ID.search(urlsplit(url).path)
        listing_id = match.group(1) if match else ""
    if not listing_id:
        raise ValueError("no listing id")
    price_text = text(_by_testid(card, "listing-price"))
    money = parse_price(price_text, default_currency=CURRENCY)
    image = _by_testid(card, "listing-card-image")
    src = (image.get("src") or "") if image is not None else ""
    extra = {"price_text": price_text} if money is None and price_text else {}
    return ListingData(
        external_id=listing_id,
        title=title,
        url=url,
        price=money.amount if money else None,
        currency=money.currency if money else CURRENCY,
        image_url=src if src.startswith("http") else None,
        location=text(_by_testid(card, "listing-location")),
        extra=extra,
    )


def _by_testid(node: Element, testid: str) -> Element | None:
    return node.find(f'.//*[@data-testid="{testid}"]')


# --- shared pieces ----------------------------------------------------------------------------


def _read_each(
    items: Iterable[_Item], read: Callable[[_Item], ListingData], name: Callable[[_Item], Any]
) -> list[ListingData]:
    """Each item read on its own: one that cannot be read is logged and left out, never the page."""
    listings = []
    for item in items:
        try:
            listings.append(read(item))
        except (ValueError, TypeError, ArithmeticError) as error:
            log.warning("kijiji: listing %s left out: %s", name(item), error)
    return first_sightings(listings)


def _listing_url(href: str) -> str:
    """The listing's absolute kijiji.ca URL without query or fragment (a listing needs neither)."""
    url = canonical_url(href, base=f"{BASE_URL}/", keep=frozenset())
    host = urlsplit(url).hostname or ""
    if host != "kijiji.ca" and not host.endswith(".kijiji.ca"):
        raise ValueError(f"listing link outside kijiji.ca: {href}")
    return url


def _listing_id(value: Any) -> str | None:
    text = str(value) if type(value) is int or isinstance(value, str) else ""
    return text if text.isdigit() else None


def _cents(value: Any) -> Decimal | None:
    """An amount in cents (Apollo's `amount`) in dollars: 180000 → 1800.00."""
    return Decimal(value).scaleb(-2) if type(value) is int and value >= 0 else None


def _timestamp(value: Any) -> str | None:
    """An ISO 8601 time ("2026-06-01T19:45:00.000Z") in the form `ListingData.to_json` writes."""
    try:
        return datetime.fromisoformat(value).isoformat() if isinstance(value, str) else None
    except ValueError:
        return None


def _mapping(value: Any) -> Mapping[str, Any]:
    """A JSON object, or an empty one for anything else (the cache's shape is Kijiji's to change)."""
    return value if isinstance(value, dict) else {}


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
