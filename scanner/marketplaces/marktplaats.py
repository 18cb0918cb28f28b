"""Marktplaats (marktplaats.nl) search results: the site's JSON search API first, its search page as fallback.

The search page is a Next.js page: its results are in the `<script id="__NEXT_DATA__">` JSON, at
`props.pageProps.searchRequestAndResponse`. That object is what the page's own script fetches
from `/lrp/api/search` when a filter changes, so both hold the same fields: `listings`,
`totalResultCount`, `maxAllowedPageNumber`, `searchRequest` (the request as the site read it),
`hasErrors`, `topBlock` (the featured listings, repeated from `listings`; not read) and facets.

A listing: `itemId` (`m…` for an ordinary ad, `a…` for an Admarkt ad — the pay-per-click ads of
businesses), `title`, `vipUrl` (the site path of its page), `priceInfo` {`priceCents`,
`priceType`}, `location` {`cityName`, `distanceMeters` (-1000 when no postcode was given),
`latitude`, `longitude` (0 for unknown)}, `date` ("Vandaag", "Gisteren", "Eergisteren" or
"10 mrt 24"), `sellerInformation` {`sellerId`, `sellerName`}, `pictures` (sized URLs:
`extraExtraLargeUrl` is size 85, the largest one named), `imageUrls` (protocol-relative),
`attributes` and `extendedAttributes` ([{`key`, `value`}]: `condition` "Gebruikt", `delivery`
"Ophalen of Verzenden", `city`…), `priorityProduct` (NONE, or the paid placement bought) and
`reserved`.

`priceType` says what `priceCents` means (names as the site and open-source clients use them):
FIXED (vraagprijs), MIN_BID ("bieden vanaf": the asking price, bids welcome) and NOTK or
NEGOTIABLE (n.o.t.k.) carry an asking price when they give an amount; FAST_BID or BID ("bieden":
make an offer), SEE_DESCRIPTION, ON_REQUEST, EXCHANGE (ruilen) and RESERVED carry none; FREE
(gratis) is zero. Any other type is read without a price (and logged once). The type is kept in
`extra["price_type"]`.

Admarkt ads are kept: they are real offers (27 of the 30 on the captured rentals page, most of
what that section has), marked `extra["admarkt"]`, and paid placements `extra["promotion"]`.
The seller's `cityName` of an Admarkt ad is the business's address; the item's own `city`
attribute, where there is one, is its location.

The API takes `query`, `limit` (at most 100), `offset`, `sortBy`/`sortOrder`, `postcode` with
`distanceMeters`, `l1CategoryId`/`l2CategoryId`, `attributeRanges[]=PriceCents:<min>:<max>`
(cents, `null` for an open end) and `attributesById[]` (condition: 30 new, 31 as good as new,
32 used). Search pages carry their filters in the URL fragment, which is never sent: the
fallback page (`/q/<query>/`, then `/q/<query>/p/<n>/`) can only search words, so it is used
only for searches without a postcode or category (prices and condition are filtered after the
scan, by the pipeline, whichever way the listings came).

Not results: a redirect to a consent manager (DPG Media's `myprivacy.dpgmedia.nl`, Sourcepoint)
is classified by the HTTP client; a page without `__NEXT_DATA__` whose text is a consent,
challenge or block page is `BLOCKED`, any other answer without listings `MARKUP_CHANGED`. An
answer with an empty `listings` array is a genuine "no results".

Parse cost: the capture (966 KB, 298 KB of it `__NEXT_DATA__`, 30 listings) parses in 7-9 ms of
CPU, 0.7-0.9 ms per 100 KB (`time.process_time`, 5 rounds of 200 parses), a tenth of the budget
of 10 ms per 100 KB. The page is never made a tree: one `str.find` for the script's id (0.2 ms),
then `json.loads` of the script alone (three quarters of the time) and 80 µs per listing. A
BeautifulSoup tree of the page alone takes about 300 ms.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
from scanner.marketplaces.nextjs import next_data_script
from scanner.marketplaces.text import clean_text
from scanner.marketplaces.urls import canonical_url

BASE_URL = "https://www.marktplaats.nl"
SEARCH_API_URL = f"{BASE_URL}/lrp/api/search"
PAGE_SIZE = 100  # the most the API gives per request

_ASKING_PRICE = frozenset({"FIXED", "MIN_BID", "NOTK", "NEGOTIABLE"})
_NO_PRICE = frozenset({"FAST_BID", "BID", "SEE_DESCRIPTION", "ON_REQUEST", "EXCHANGE", "RESERVED"})
_FREE = "FREE"
_unknown_price_types: set[str] = set()  # logged once each
# The site's condition values, in the words `scanner.appraisal.condition` reads.
_CONDITIONS = {
    "nieuw": "New",
    "zo goed als nieuw": "Like new",
    "gebruikt": "Used",
    "refurbished": "Refurbished",
    "niet werkend": "Not working (for parts)",
}
# Condition filters that exist in every category; the others are applied after the scan.
_CONDITION_FILTER: Mapping[str, list[int]] = {Condition.NEW: [30], Condition.USED: [31, 32]}
_MONTHS = {m: i for i, m in enumerate("jan feb mrt apr mei jun jul aug sep okt nov dec".split(), start=1)}
_RELATIVE_DAYS = {"vandaag": 0, "gisteren": 1, "eergisteren": 2}
_DATE = re.compile(r"(\d{1,2}) ([a-z]{3})\.? '?(\d{2})")
_POSTCODE = re.compile(r"(\d{4}) ?([A-Za-z]{2})?")
_CATEGORY = re.compile(r"(\d+)(?:[/:](\d+))?")
_METERS_PER_MILE = 1609.344
# Dutch wording of a consent or block page, besides what every block page says (`block_pages`).
_DUTCH_BLOCK_WORDS = ("toestemming", "geblokkeerd")
# API failures after which the search page may still answer (a 403 may be the API's own, wanting the
# site's script); a block, a captcha, a rate limit or a timeout would meet the page too (same host).
_FALLBACK = frozenset(
    {
        ErrorClass.HTTP_ERROR,
        ErrorClass.FORBIDDEN,
        ErrorClass.SERVER_ERROR,
        ErrorClass.MARKUP_CHANGED,
        ErrorClass.ROBOTS_DISALLOWED,
    }
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Page:
    """One answer's listings, and what paging needs of it."""

    listings: list[ListingData]
    count: int  # listing objects in the answer, readable or not
    total: int | None  # totalResultCount


class MarktplaatsAdapter(MarketplaceAdapter):
    name = "marktplaats"
    default_currency = "EUR"

    def search(self, query: SearchQuery, client: HttpClient) -> list[ListingData]:
        """The API, a page of 100 per request; the search page when the API fails in a way the
        page may not and the page can express the search."""
        params = api_params(query)

        def api_page(index: int) -> str:
            offset = {"offset": str(index * PAGE_SIZE)}
            return client.get(SEARCH_API_URL, params=params | offset, headers={"Accept": "application/json"}).text

        try:
            return _pages(api_page, query.max_pages, page_size=PAGE_SIZE)
        except ScanError as error:
            if error.error_class not in _FALLBACK:
                raise
            if query.location or query.category:
                log.warning("marktplaats API failed (%s); the search page cannot filter by place or category", error)
                raise
            log.warning("marktplaats API failed (%s); reading the search page instead", error)
        url = search_page_url(query.query)
        return _pages(lambda index: client.get(f"{url}p/{index + 1}/" if index else url).text, query.max_pages)

    def parse(self, body: str, *, source_url: str | None = None) -> list[ListingData]:
        """An API answer, a `__NEXT_DATA__` JSON or a search page, whichever `body` is."""
        return read_page(body).listings


def _pages(fetch: Callable[[int], str], max_pages: int, *, page_size: int | None = None) -> list[ListingData]:
    """Fetch pages `fetch(0)`, `fetch(1)`… until one brings nothing new, is short of `page_size`,
    or the results end."""
    today = _amsterdam_today()
    listings: list[ListingData] = []
    for index in range(max_pages):
        page = read_page(fetch(index), today=today)
        known = {listing.external_id for listing in listings}
        fresh = [listing for listing in page.listings if listing.external_id not in known]
        listings.extend(fresh)
        if not fresh or (page_size is not None and page.count < page_size):
            break
        if page.total is not None and len(listings) >= page.total:
            break
    return listings


def api_params(query: SearchQuery) -> dict[str, Any]:
    """The API's query string for a saved search (without `offset`), newest listings first.

    Prices bound the search only when it is in euros; the location is a Dutch postcode ("2611AB",
    "2611 AB" or "2611"); the category the site's own id, `<l1>` or `<l1>/<l2>`."""
    if not query.query.strip() and not query.category:
        raise ScanError(ErrorClass.CONFIGURATION, "a marktplaats search needs words or a category")
    params: dict[str, Any] = {
        "query": query.query.strip(),
        "limit": str(PAGE_SIZE),
        "searchInTitleAndDescription": "true",
        "viewOptions": "list-view",
        "sortBy": "SORT_INDEX",
        "sortOrder": "DECREASING",
    }
    if query.location:
        params["postcode"] = postcode(query.location)
        if query.radius_miles:
            params["distanceMeters"] = str(round(query.radius_miles * _METERS_PER_MILE))
    if query.category:
        ids = _CATEGORY.fullmatch(query.category.strip())
        if ids is None:
            raise ScanError(
                ErrorClass.CONFIGURATION,
                f"marktplaats category '{query.category}' is not an id (<l1> or <l1>/<l2>, e.g. 1032/2143)",
            )
        params["l1CategoryId"] = ids.group(1)
        if ids.group(2):
            params["l2CategoryId"] = ids.group(2)
    if query.currency == "EUR" and (query.min_price is not None or query.max_price is not None):
        low = str(math.floor(query.min_price * 100)) if query.min_price is not None else "null"
        high = str(math.ceil(query.max_price * 100)) if query.max_price is not None else "null"
        params["attributeRanges[]"] = [f"PriceCents:{low}:{high}"]
    if query.condition and query.condition in _CONDITION_FILTER:
        params["attributesById[]"] = list(_CONDITION_FILTER[query.condition])
    return params


def postcode(location: str) -> str:
    """A Dutch postcode as the site writes it ("2611AB"); anything else is a configuration error."""
    match = _POSTCODE.fullmatch(location.strip())
    if match is None:
        raise ScanError(ErrorClass.CONFIGURATION, f"marktplaats location '{location}' is not a Dutch postcode")
    return match.group(1) + (match.group(2) or "").upper()


def search_page_url(words: str) -> str:
    """The site's search page for some words, spaces as `+` as the site writes them."""
    return f"{BASE_URL}/q/{quote_plus(words.strip())}/"


# --- reading an answer ----------------------------------------------------------------------------


def read_page(body: str, *, today: date | None = None) -> _Page:
    """The listings of an API answer, a bare `__NEXT_DATA__` or a search page. `today` (the
    date in the Netherlands when the page was fetched) dates "Vandaag"/"Gisteren" listings."""
    results = _results(_answer(body))
    raw = results.get("listings")
    if not isinstance(raw, list):
        raise ScanError(ErrorClass.MARKUP_CHANGED, "marktplaats results have no listings array")
    if not raw and results.get("hasErrors") is True:
        raise ScanError(ErrorClass.SERVER_ERROR, "marktplaats answered with a search error and no listings")
    listings = [listing for listing in (_guarded(item, today) for item in raw) if listing is not None]
    if raw and not listings:
        raise ScanError(ErrorClass.MARKUP_CHANGED, f"none of the {len(raw)} marktplaats listings could be read")
    total = results.get("totalResultCount")
    return _Page(first_sightings(listings), len(raw), total if type(total) is int else None)


def _answer(body: str) -> Any:
    """The JSON of an answer: the body itself, or the page's `__NEXT_DATA__` script."""
    text = body.lstrip()
    if text.startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError:
            raise ScanError(ErrorClass.MARKUP_CHANGED, "marktplaats answered with broken JSON") from None
    script = next_data_script(body)
    if script is None:
        if looks_blocked(body, also=_DUTCH_BLOCK_WORDS):
            raise ScanError(ErrorClass.BLOCKED, "marktplaats showed a consent, challenge or block page")
        raise ScanError(ErrorClass.MARKUP_CHANGED, "no __NEXT_DATA__ script on the marktplaats page")
    try:
        return json.loads(script)
    except ValueError:
        raise ScanError(ErrorClass.MARKUP_CHANGED, "the marktplaats __NEXT_DATA__ script is not JSON") from None


def _results(data: Any) -> Mapping[str, Any]:
    """The object holding `listings`: the API answer itself, or the page's search response."""
    if isinstance(data, dict) and "listings" in data:
        return data
    props = _mapping(_mapping(_mapping(data).get("props")).get("pageProps"))
    results = props.get("searchRequestAndResponse")
    if not isinstance(results, dict):
        raise ScanError(ErrorClass.MARKUP_CHANGED, "no searchRequestAndResponse in the marktplaats page data")
    return results


def _guarded(item: Any, today: date | None) -> ListingData | None:
    """One listing, or None (logged) when it cannot be read: the rest of the page stands."""
    try:
        return _listing(item, today)
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
        item_id = item.get("itemId") if isinstance(item, dict) else None
        log.warning("marktplaats listing %s left out: %s: %s", item_id, type(error).__name__, error)
        return None


def _listing(item: Mapping[str, Any], today: date | None) -> ListingData:
    item_id, title = item["itemId"], clean_text(item["title"])
    if not isinstance(item_id, str) or not item_id or not title:
        raise ValueError("no itemId or title")
    price_info = _mapping(item.get("priceInfo"))
    price_type = str(price_info.get("priceType") or "")
    attributes = _attributes(item)
    place = _mapping(item.get("location"))
    seller = _mapping(item.get("sellerInformation"))
    extra: dict[str, Any] = {"price_type": price_type, "admarkt": item_id.startswith("a")}
    if item.get("priorityProduct") not in (None, "", "NONE"):
        extra["promotion"] = item["priorityProduct"]
    extra.update(_posted(item.get("date"), today))
    extra.update(_place_extra(place))
    if seller.get("sellerId") is not None:
        extra["seller_id"] = str(seller["sellerId"])
    condition = attributes.pop("condition", None)
    if condition:
        extra["condition_nl"] = condition
    delivery = attributes.pop("delivery", None)
    if delivery:
        extra["delivery"] = delivery
    city = attributes.pop("city", None)
    seller_city = clean_text(place.get("cityName"))
    if city and seller_city and city != seller_city:
        extra["seller_location"] = seller_city
    if attributes:
        extra["attributes"] = attributes
    if isinstance(item.get("categoryId"), int):
        extra["category_id"] = item["categoryId"]
    reserved = item.get("reserved") is True or price_type == "RESERVED"
    return ListingData(
        external_id=item_id,
        title=title,
        url=listing_url(item["vipUrl"]),
        price=_price(price_type, price_info.get("priceCents")),
        currency="EUR",
        image_url=_image(item),
        location=city or seller_city,
        condition=_CONDITIONS.get(condition.casefold(), condition) if condition else None,
        seller=clean_text(seller.get("sellerName")),
        status="pending" if reserved else "active",
        extra=extra,
    )


def listing_url(vip_url: Any) -> str:
    """The listing's page on www.marktplaats.nl, without query string or fragment."""
    if not isinstance(vip_url, str) or not vip_url.strip():
        raise ValueError("no vipUrl")
    url = canonical_url(vip_url, base=BASE_URL, keep=frozenset())
    if not url.startswith(f"{BASE_URL}/"):
        raise ValueError(f"vipUrl {vip_url!r} is not a marktplaats.nl page")
    return url


def _price(price_type: str, cents: Any) -> Decimal | None:
    """Euros where the type states an asking price and gives an amount (a "bieden vanaf" of 0
    is no price), zero for a free item, else None."""
    if price_type == _FREE:
        return Decimal("0.00")
    if price_type not in _ASKING_PRICE | _NO_PRICE and price_type not in _unknown_price_types:
        _unknown_price_types.add(price_type)
        log.info("marktplaats price type %r is new to this adapter: read as no price", price_type)
    if price_type in _ASKING_PRICE and type(cents) is int and cents > 0:
        return Decimal(cents).scaleb(-2)
    return None


def _image(item: Mapping[str, Any]) -> str | None:
    """The first picture at its largest named size, as an absolute https URL."""
    pictures = item.get("pictures")
    first = _mapping(pictures[0]) if isinstance(pictures, list) and pictures else {}
    urls = item.get("imageUrls")
    candidates = [first.get(key) for key in ("extraExtraLargeUrl", "largeUrl", "mediumUrl")]
    candidates.append(urls[0] if isinstance(urls, list) and urls else None)
    for candidate in candidates:
        url = candidate.strip() if isinstance(candidate, str) else ""
        if url.startswith("//"):  # imageUrls are protocol-relative
            url = f"https:{url}"
        if url.startswith(("https://", "http://")):
            return f"https://{url.split('://', 1)[1]}"
    return None


def _attributes(item: Mapping[str, Any]) -> dict[str, str]:
    """Both attribute lists as {key: value} (with its unit: "69 m²"); `attributes` wins."""
    found: dict[str, str] = {}
    for name in ("extendedAttributes", "attributes"):
        entries = item.get(name)
        for entry in entries if isinstance(entries, list) else []:
            key, value = _mapping(entry).get("key"), clean_text(_mapping(entry).get("value"))
            if isinstance(key, str) and value:
                unit = clean_text(_mapping(entry).get("unit"))
                found[key] = f"{value} {unit}" if unit else value
    return found


def _place_extra(place: Mapping[str, Any]) -> dict[str, Any]:
    """Distance (only when measured from a postcode) and coordinates (0, 0 means unknown)."""
    extra: dict[str, Any] = {}
    distance = place.get("distanceMeters")
    if type(distance) is int and distance >= 0:
        extra["distance_m"] = distance
    latitude, longitude = place.get("latitude"), place.get("longitude")
    if isinstance(latitude, int | float) and isinstance(longitude, int | float) and (latitude or longitude):
        extra["latitude"], extra["longitude"] = latitude, longitude
    country = place.get("countryAbbreviation")
    if isinstance(country, str) and country and country != "NL":
        extra["country"] = country
    return extra


def _posted(text: Any, today: date | None) -> dict[str, Any]:
    """The date as shown, and as a date where it can be known: "10 mrt 24" always, "Gisteren"
    only for a page fetched now (a saved page does not say when it was saved)."""
    shown = clean_text(text)
    if not shown:
        return {}
    posted_on: date | None = None
    lowered = shown.casefold()
    if lowered in _RELATIVE_DAYS:
        posted_on = today - timedelta(days=_RELATIVE_DAYS[lowered]) if today else None
    elif (match := _DATE.fullmatch(lowered)) and match.group(2) in _MONTHS:
        try:
            posted_on = date(2000 + int(match.group(3)), _MONTHS[match.group(2)], int(match.group(1)))
        except ValueError:
            posted_on = None
    return {"posted": shown, **({"posted_on": posted_on.isoformat()} if posted_on else {})}


def _amsterdam_today() -> date:
    """Today where Marktplaats dates its listings; UTC's date where no time zone data is installed."""
    try:
        return datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    except ZoneInfoNotFoundError:
        return datetime.now(UTC).date()


def _mapping(value: Any) -> Mapping[str, Any]:
    """The format is undocumented: anything but an object where one is expected reads as empty."""
    return value if isinstance(value, dict) else {}
