"""Craigslist search results: the site's JSON search API (`sapi`) first, its HTML pages as fallback.

The search page itself is a script that asks `sapi.craigslist.org/web/v8/postings/search/full`
(`batch=<areaId>-<offset>-<count>-0-0`, `searchPath=[<subarea>/]<category>`, and the page's own
filters) for the newest 360 results at once. Its answer, `data`, holds `items` as compact arrays
and a `decode` section they refer to:

* `decode.minPostingId`, `decode.minPostedDate`: bases of the items' first two numbers;
  `decode.locations[i]` = `[areaId, hostname, subarea?]`; `decode.locationDescriptions[j]` = the
  poster's neighbourhood text (index 0 of both is a placeholder `0`); `data.areas[areaId]`
  gives the area's currency; `data.categoryAbbr` the category searched (`apa`).
* An item: `[0]` posting id - minPostingId, `[1]` posted time - minPostedDate (Unix seconds),
  `[2]` a kind number (always 1 in an `apa` capture; unused), `[3]` price in whole units,
  `[4]` `"i:j~lat~lon"` (location i, description j, coordinates), `[5]` the size code ending the
  first image id, or 0 when there are no images. Then, in no fixed order: the title (the one
  bare string), small negative numbers (meaning unknown; unused) and tagged arrays
  `[tag, ...]`: 4 image ids (`"3:<id>"`, served as `images.craigslist.org/<id>_600x450.jpg`),
  5 `[bedrooms, square feet or 0]`, 6 the URL slug, 10 the price as shown (`"$2,495"`),
  13 the token of the `/view/d/<slug>/<token>` URL, 2 a few decimals (meaning unknown; unused).

The API needs the site's area id, from Craigslist's own area list (`craigslist_areas`); a search
by postal code alone, and any sapi answer that is an HTTP error or unreadable, go to the HTML
search page.

A plain HTTP request gets the static no-JS list (`li.cl-static-search-result`: title, price,
location, link), paged with `s=<offset>`. A page saved from a browser holds the rendered gallery
cards (`li.cl-search-result[data-pid]`), whose own paging (`#search=…~gallery~<page>`) is
JavaScript only. Both carry a JSON-LD `ItemList`; it is used to add images and coordinates, but
only where a card and an entry pair up unambiguously — on rendered pages the list is not aligned
with the cards.

Parser of the HTML pages: lxml directly (`scanner.marketplaces.html`), not BeautifulSoup, which
took 40–75 ms of CPU per 100 KB here against a budget of ≤ 10. No `SoupStrainer` could help:
relaying lxml's parse events to Python costs BeautifulSoup 8–15 ms per 100 KB on these pages
before it builds anything. With lxml and one walk per card (medians on an idle machine, `python
-m bench --only parse_speed`; about 1.7 times that while other work shares the two cores): the
rendered Boston gallery (`search_boston_sss_rendered.html`, 415 KB, 120 cards) 7 ms per 100 KB;
the static Manhattan list (`search_manhattan_apa_static.html`, 154 KB, 153 rows) 11 ms, over the
budget — a dense page (1 KB a row) where `canonical_url` and `parse_price` take 40 % of the time
and the JSON-LD enrichment another 15 %.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit

from models.tables import Condition, ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces.base import (
    HttpClient,
    ListingData,
    MarketplaceAdapter,
    SearchQuery,
)
from scanner.marketplaces.craigslist_areas import PROCESS_AREAS, Area, AreaDirectory
from scanner.marketplaces.html import (
    Element,
    canonical_link,
    class_index,
    classes,
    elements,
    first,
    first_of,
    has_class,
    og_url,
    parse_html,
    stripped_strings,
    text,
)
from scanner.marketplaces.prices import parse_price
from scanner.marketplaces.text import clean_text
from scanner.marketplaces.urls import canonical_url

# Craigslist sites in Canada, where prices are in Canadian dollars (the rest of North America: USD).
_CANADIAN_SITES = frozenset(
    """abbotsford barrie belleville brantford calgary cariboo chatham comoxvalley cornwall edmonton
    ftmcmurray guelph halifax hamilton hat kamloops kelowna kingston kitchener kootenays lethbridge
    londonon montreal nanaimo newbrunswick newfoundland niagara ottawa owensound peace pei
    peterborough princegeorge quebec reddeer regina saguenay sarnia saskatoon sherbrooke skeena soo
    sudbury sunshine territories thunderbay toronto troisrivieres vancouver victoria whistler
    whitehorse windsor winnipeg yellowknife""".split()
)
_DEFAULT_HOST = "www.craigslist.org"
_US_ZIP = re.compile(r"\d{5}(?:-\d{4})?")
_CA_POSTAL = re.compile(r"[A-Za-z]\d[A-Za-z]\d[A-Za-z]\d")
_CA_POSTAL_SPACED = re.compile(r"\b([A-Za-z]\d[A-Za-z]) (\d[A-Za-z]\d)\b")
_SITE_NAME = re.compile(r"[a-z][a-z0-9-]*")
# Craigslist's own condition codes: 10 new, 20 like new, 30 excellent, 40 good, 50 fair, 60 salvage.
_CONDITION_CODES: dict[str, list[str]] = {
    Condition.NEW: ["10"],
    Condition.USED: ["20", "30", "40", "50"],
    Condition.FOR_PARTS: ["60"],
}
_POSTING_ID = re.compile(r"/(\d{6,})\.html$")
_VIEW_TOKEN = re.compile(r"/view/d/[^/]+/([A-Za-z0-9_-]+)/?$")
_DISTANCE = re.compile(r"(\d+(?:\.\d+)?)\s?(mi|km)", re.IGNORECASE)
_POSTED = re.compile(r"\bago$|^\d{1,2}/\d{1,2}$|^(?:now|just now|yesterday)$", re.IGNORECASE)
# Saved pages rewrite image sources to a local folder; the file name still names the image.
_IMAGE_FILE = re.compile(r"(?:^|/)([0-9A-Za-z]{5}_[0-9A-Za-z]+_[0-9A-Za-z]+_\d+x\d+\.(?:jpg|jpeg|png|webp))$")
_BLOCKED = re.compile(r"has been automatically blocked", re.IGNORECASE)

SAPI_URL = "https://sapi.craigslist.org/web/v8/postings/search/full"
_SAPI_BATCH = 360  # what the site's own search page asks for
# Answers after which the HTML page may still work; a block or rate limit applies to both.
_SAPI_FALLBACK = frozenset({ErrorClass.HTTP_ERROR, ErrorClass.MARKUP_CHANGED, ErrorClass.ROBOTS_DISALLOWED})
# Sections spanning several categories: their postings' own category is not in the answer.
_AGGREGATE_SECTIONS = frozenset({"sss", "hhh", "jjj", "ccc", "ggg", "bbb"})
_TAG_IMAGES, _TAG_HOUSING, _TAG_SLUG, _TAG_TOKEN = 4, 5, 6, 13
_SAPI_PLACE = re.compile(r"(\d+):(\d+)(?:~(-?\d+(?:\.\d+)?)~(-?\d+(?:\.\d+)?))?")
_SAPI_IMAGE = re.compile(r"\d+:([0-9A-Za-z]+_[0-9A-Za-z]+_[0-9A-Za-z]+)")

log = logging.getLogger(__name__)
_Row = TypeVar("_Row")


@dataclass(frozen=True)
class _Target:
    """Where a search goes: the search page URL and the postal code it is centred on."""

    url: str
    postal: str | None


class CraigslistAdapter(MarketplaceAdapter):
    name = "craigslist"
    default_currency = "USD"

    def __init__(self, areas: AreaDirectory = PROCESS_AREAS) -> None:
        self._areas = areas

    def search(self, query: SearchQuery, client: HttpClient) -> list[ListingData]:
        """One sapi request (360 results, more than the pages would give) for a city site; the
        HTML pages for a search by postal code alone, a site Craigslist's area list does not have,
        or when sapi fails in a way they may not."""
        target = search_target(query.location, query.category)
        area = self._areas.area(_site_name(target), client)
        if area is not None:
            try:
                return parse_sapi(client.get(SAPI_URL, params=sapi_params(query, target, area)).text)
            except ScanError as error:
                if error.error_class not in _SAPI_FALLBACK:
                    raise
                log.warning("craigslist sapi failed (%s); reading the search page %s instead", error, target.url)
        return self._search_pages(target, search_params(query, target), query.max_pages, client)

    def _search_pages(
        self, target: _Target, params: dict[str, Any], max_pages: int, client: HttpClient
    ) -> list[ListingData]:
        """Fetch the static result pages, `s=<offset>` apart, until one brings nothing new."""
        listings: list[ListingData] = []
        seen: set[str] = set()
        for _page in range(max_pages):
            page_params = {**params, "s": len(listings)} if listings else params
            response = client.get(target.url, params=page_params)
            page = self.parse(response.text, source_url=response.url or target.url)
            fresh = [listing for listing in page if listing.external_id not in seen]
            if not fresh:
                break
            seen.update(listing.external_id for listing in fresh)
            listings.extend(fresh)
        return listings

    def parse(self, body: str, *, source_url: str | None = None) -> list[ListingData]:
        """A sapi answer (JSON) or a results page (HTML), told apart by the first character."""
        if body.lstrip().startswith("{"):
            return parse_sapi(body)
        root = parse_html(body)
        base = source_url or _page_url(root) or f"https://{_DEFAULT_HOST}/"
        currency = site_currency(base)
        # A rendered page still carries the (empty, hidden) static list, so cards are looked for first.
        cards: list[Element] = []
        rows: list[Element] = []
        for item in root.iter("li"):
            names = classes(item)
            if "cl-search-result" in names:
                cards.append(item)
            if "cl-static-search-result" in names:
                rows.append(item)
        if cards:
            listings = _read_rows(cards, lambda card: _card_listing(card, base, currency))
        elif rows:
            listings = _read_rows(rows, lambda row: _static_listing(row, base, currency))
        elif any(map(_is_result_list, elements(root, inclusive=True))):
            return []  # the result list is there and empty: a genuine "no results"
        elif _BLOCKED.search(" ".join(stripped_strings(root))):
            raise ScanError(ErrorClass.BLOCKED, "craigslist has blocked this address")
        else:
            raise ScanError(ErrorClass.MARKUP_CHANGED, "no craigslist result list (static or rendered) on the page")
        return _enrich(listings, _json_ld_items(root))


def _is_result_list(element: Element) -> bool:
    """`ol.cl-static-search-results, .cl-results-page`: a result list, maybe empty."""
    return (element.tag == "ol" and has_class(element, "cl-static-search-results")) or has_class(
        element, "cl-results-page"
    )


def search_target(location: str | None, category: str | None = None) -> _Target:
    """The search page for a saved search's location: a city site (`boston`,
    `boston.craigslist.org`, or a URL whose `/search/<area>/<cat>` path picks a category), a
    postal code, or a site followed by a postal code (`boston 02139`). A search's category in
    letters (`msa`, `bia`) is the section searched; numeric ones are eBay's."""
    section = category.lower() if category and category.isalpha() else "sss"
    host, path, postal = _DEFAULT_HOST, f"/search/{section}", None
    location = _CA_POSTAL_SPACED.sub(r"\1\2", location or "")  # "M5V 2T6" is one token
    for token in re.split(r"[\s,]+", location.strip()):
        if not token:
            continue
        if host != _DEFAULT_HOST and not (_US_ZIP.fullmatch(token) or _CA_POSTAL.fullmatch(token)):
            raise ScanError(ErrorClass.CONFIGURATION, f"craigslist location '{location}' names more than one site")
        if _US_ZIP.fullmatch(token):
            postal = token
        elif _CA_POSTAL.fullmatch(token):
            postal = f"{token[:3]} {token[3:]}".upper()
        elif "://" in token or "." in token:
            try:
                parts = urlsplit(token if "://" in token else f"https://{token}")
            except ValueError:  # `http://[::1` and the like
                raise ScanError(ErrorClass.CONFIGURATION, f"'{token}' is not a craigslist site") from None
            if not _is_craigslist_host(parts.hostname or ""):
                raise ScanError(ErrorClass.CONFIGURATION, f"'{token}' is not a craigslist site")
            host = parts.hostname or host
            if parts.path.startswith("/search/"):
                path = parts.path.rstrip("/")
        elif _SITE_NAME.fullmatch(token.lower()):
            host = f"{token.lower()}.craigslist.org"
        else:
            raise ScanError(
                ErrorClass.CONFIGURATION, f"craigslist location '{token}' is neither a city site nor a postal code"
            )
    return _Target(url=f"https://{host}{path}", postal=postal)


def _is_craigslist_host(host: str) -> bool:
    """craigslist.org or .ca, or one of their subdomains: whole labels compared, so that
    `evilcraigslist.org` is not taken for a craigslist site."""
    return any(host == domain or host.endswith(f".{domain}") for domain in ("craigslist.org", "craigslist.ca"))


def search_params(query: SearchQuery, target: _Target) -> dict[str, Any]:
    """Query-string parameters of the first result page (craigslist prices are whole units)."""
    params: dict[str, Any] = {"query": query.query}
    if query.min_price is not None:
        params["min_price"] = str(math.floor(query.min_price))
    if query.max_price is not None:
        params["max_price"] = str(math.ceil(query.max_price))
    if query.condition and query.condition in _CONDITION_CODES:
        params["condition"] = _CONDITION_CODES[query.condition]
    if target.postal:
        params["postal"] = target.postal
        if query.radius_miles:
            params["search_distance"] = str(query.radius_miles)
    return params


def _site_name(target: _Target) -> str:
    """`boston` of `https://boston.craigslist.org/search/sss` (`www` for the postal-code search)."""
    return (urlsplit(target.url).hostname or "").split(".")[0]


def sapi_params(query: SearchQuery, target: _Target, area: Area) -> dict[str, Any]:
    """The sapi request for the search page `target` (same filters) on the site's `area`."""
    parts = urlsplit(target.url)
    return {
        "batch": f"{area.id}-0-{_SAPI_BATCH}-0-0",
        "cc": area.country,
        "lang": "en",
        "searchPath": parts.path.removeprefix("/search/"),
        **search_params(query, target),
    }


@dataclass(frozen=True)
class _SapiDecode:
    """What a sapi answer's items refer to (see the module docstring)."""

    min_posting_id: int
    min_posted_date: int
    locations: list[Any]
    descriptions: list[Any]
    currencies: Mapping[str, Any]
    category: str | None


def parse_sapi(text: str) -> list[ListingData]:
    """Listings of a sapi search answer. An item that cannot be read is left out; an answer
    without items, or none of whose items can be read, is changed markup."""
    try:
        data = _mapping(_mapping(json.loads(text)).get("data"))
    except ValueError:
        data = {}
    items = data.get("items")
    if not isinstance(items, list):
        raise ScanError(ErrorClass.MARKUP_CHANGED, "craigslist sapi answer has no data.items")
    decode = _mapping(data.get("decode"))
    min_id, min_date = decode.get("minPostingId"), decode.get("minPostedDate")
    if items and not (type(min_id) is int and type(min_date) is int):
        raise ScanError(ErrorClass.MARKUP_CHANGED, "craigslist sapi answer has no minPostingId/minPostedDate")
    category = data.get("categoryAbbr")
    context = _SapiDecode(
        min_posting_id=min_id if type(min_id) is int else 0,
        min_posted_date=min_date if type(min_date) is int else 0,
        locations=_list(decode.get("locations")),
        descriptions=_list(decode.get("locationDescriptions")),
        currencies={area: _mapping(info).get("currency") for area, info in _mapping(data.get("areas")).items()},
        category=category if isinstance(category, str) and category.isalpha() else None,
    )
    return _read_rows(items, lambda item: _sapi_listing(item, context))


def _sapi_listing(item: Any, decode: _SapiDecode) -> ListingData | None:
    if not isinstance(item, list) or len(item) < 6:
        return None
    id_offset, posted_offset, _kind, price, place = item[:5]
    rest = item[6:]
    titles = [clean_text(entry) for entry in rest if isinstance(entry, str)]
    tagged = {entry[0]: entry[1:] for entry in rest if isinstance(entry, list) and entry and type(entry[0]) is int}
    slug = next(iter(_list(tagged.get(_TAG_SLUG))), None)
    located = _SAPI_PLACE.fullmatch(place) if isinstance(place, str) else None
    site = _sapi_site(decode, int(located.group(1))) if located else None
    if type(id_offset) is not int or type(posted_offset) is not int or len(titles) != 1 or not titles[0]:
        return None
    if located is None or site is None or not isinstance(slug, str):
        return None
    area, host, subarea = site
    pid = decode.min_posting_id + id_offset
    token = next(iter(_list(tagged.get(_TAG_TOKEN))), None)
    if decode.category and decode.category not in _AGGREGATE_SECTIONS:
        url = f"https://{host}/{subarea}{decode.category}/d/{slug}/{pid}.html"
    elif isinstance(token, str):
        url = f"https://{host}/view/d/{slug}/{token}"
    else:
        return None
    images = [
        f"https://images.craigslist.org/{match.group(1)}_600x450.jpg"
        for match in (_SAPI_IMAGE.fullmatch(code) for code in _list(tagged.get(_TAG_IMAGES)) if isinstance(code, str))
        if match
    ]
    extra: dict[str, Any] = {
        "posted_at": datetime.fromtimestamp(decode.min_posted_date + posted_offset, UTC).isoformat()
    }
    if located.group(3) is not None:
        extra["latitude"], extra["longitude"] = Decimal(located.group(3)), Decimal(located.group(4))
    bedrooms = next(iter(_list(tagged.get(_TAG_HOUSING))), None)
    if type(bedrooms) is int:
        extra["bedrooms"] = bedrooms
    if images:
        extra["image_urls"] = images
    description = int(located.group(2))
    currency = decode.currencies.get(area)
    return ListingData(
        external_id=str(pid),
        title=titles[0],
        url=url,
        price=Decimal(price) if type(price) is int and price >= 0 else None,
        currency=currency if isinstance(currency, str) else site_currency(f"https://{host}/"),
        image_url=images[0] if images else None,
        location=clean_text(decode.descriptions[description]) if 0 < description < len(decode.descriptions) else None,
        extra=extra,
    )


def _sapi_site(decode: _SapiDecode, index: int) -> tuple[str, str, str] | None:
    """Entry `index` of `decode.locations` as (area id, host, `subarea/` or "")."""
    entry = _list(decode.locations[index]) if 0 < index < len(decode.locations) else []
    if len(entry) < 2 or not isinstance(entry[1], str) or not _SITE_NAME.fullmatch(entry[1]):
        return None
    subarea = entry[2] if len(entry) > 2 and isinstance(entry[2], str) and entry[2].isalnum() else ""
    return str(entry[0]), f"{entry[1]}.craigslist.org", f"{subarea}/" if subarea else ""


def _list(value: Any) -> list[Any]:
    """A sapi array; anything else reads as empty (the format is undocumented and may change)."""
    return value if isinstance(value, list) else []


def site_currency(url: str) -> str:
    """CAD on Canadian city sites (and the old craigslist.ca hosts), USD elsewhere."""
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(".craigslist.ca") or host.split(".")[0] in _CANADIAN_SITES:
        return "CAD"
    return "USD"


def _read_rows(rows: list[_Row], read: Callable[[_Row], ListingData | None]) -> list[ListingData]:
    """Listings of the rows that are listings; rows there but none readable is changed markup."""
    listings = [listing for listing in map(_or_none(read), rows) if listing is not None]
    if rows and not listings:
        raise ScanError(ErrorClass.MARKUP_CHANGED, f"none of the {len(rows)} craigslist result rows could be read")
    return listings


def _or_none(read: Callable[[_Row], ListingData | None]) -> Callable[[_Row], ListingData | None]:
    """A row whose link is not even a URL (`http://[broken`) is a row we cannot read."""

    def guarded(row: _Row) -> ListingData | None:
        try:
            return read(row)
        except ValueError:
            return None

    return guarded


def _static_listing(row: Element, base: str, currency: str) -> ListingData | None:
    index = class_index(row)  # one walk of the row rather than a search per field
    link = first(row, "a", attr="href")
    title = text(first_of(index, "title")) or clean_text(row.get("title"))
    if link is None or not title:
        return None
    url = canonical_url(str(link.get("href")), base=base, keep=frozenset())
    external_id = posting_id(url)
    if external_id is None:
        return None
    price, currency = _price(text(first_of(index, "price")), currency)
    return ListingData(
        external_id=external_id,
        title=title,
        url=url,
        price=price,
        currency=currency,
        location=text(first_of(index, "location")),
    )


def _card_listing(card: Element, base: str, currency: str) -> ListingData | None:
    index = class_index(card)  # one walk of the card rather than a search per field
    titled = (
        element for element in index.get("posting-title", ()) if element.tag == "a" and element.get("href") is not None
    )
    link = next(titled, None)
    if link is None:
        link = first(card, "a", attr="href")
    title_link = first_of(index, "posting-title")
    label = first(title_link, class_="label") if title_link is not None else None
    title = text(label if label is not None else title_link) or clean_text(card.get("title"))
    if link is None or not title:
        return None
    url = canonical_url(str(link.get("href")), base=base, keep=frozenset())
    pid = str(card.get("data-pid") or "")
    external_id = pid if pid.isdigit() else posting_id(url)
    if external_id is None:
        return None
    price, currency = _price(text(first_of(index, "priceinfo")), currency)
    location, extra = _meta(first_of(index, "meta"))
    image = first(card, "img", attr="src")
    return ListingData(
        external_id=external_id,
        title=title,
        url=url,
        price=price,
        currency=currency,
        image_url=image_url(str(image.get("src")), base) if image is not None else None,
        location=location,
        extra=extra,
    )


def posting_id(url: str) -> str | None:
    """The posting's id: the digits of `/<area>/<cat>/d/<slug>/<digits>.html`, or the token of
    `/view/d/<slug>/<token>`."""
    path = urlsplit(url).path
    match = _POSTING_ID.search(path) or _VIEW_TOKEN.search(path)
    return match.group(1) if match else None


def image_url(src: str, base: str) -> str | None:
    """An absolute image URL; a saved page's local copy is mapped back to images.craigslist.org."""
    src = src.strip()
    if not src or src.startswith("data:"):
        return None
    named = _IMAGE_FILE.search(urlsplit(src).path)
    if named:
        return f"https://images.craigslist.org/{named.group(1)}"
    return canonical_url(src, base=base)


def _meta(meta: Element | None) -> tuple[str | None, dict[str, Any]]:
    """The card's `when · [distance ·] where` line: location, plus posting age and distance as extras."""
    location: str | None = None
    extra: dict[str, Any] = {}
    for part in stripped_strings(meta) if meta is not None else ():
        if part in {"·", "•", "|"}:
            continue
        distance = _DISTANCE.fullmatch(part)
        if distance:
            extra[f"distance_{distance.group(2).lower()}"] = Decimal(distance.group(1))
        elif _POSTED.search(part) and "posted" not in extra:
            extra["posted"] = part
        else:
            location = part
    return location, extra


def _price(text: str | None, currency: str) -> tuple[Decimal | None, str]:
    money = parse_price(text, default_currency=currency)
    return (money.amount, money.currency) if money else (None, currency)


def _json_ld_items(root: Element) -> list[Mapping[str, Any]]:
    """The entries of the page's JSON-LD result list (empty when absent or unreadable)."""
    script = next((script for script in root.iter("script") if script.get("id") == "ld_searchpage_results"), None)
    try:
        data = json.loads(script.text or "") if script is not None else {}
    except ValueError:
        return []
    elements = data.get("itemListElement") if isinstance(data, dict) else None
    items = [element.get("item") for element in elements or [] if isinstance(element, dict)]
    return [item for item in items if isinstance(item, dict) and isinstance(item.get("name"), str)]


def _enrich(listings: list[ListingData], items: list[Mapping[str, Any]]) -> list[ListingData]:
    """Add JSON-LD details to the listings they certainly belong to.

    When the list is aligned with the cards (same length, same names in order — the static page)
    entries pair by position; otherwise only by a title that appears once on each side and a
    price that agrees.
    """
    names = [clean_text(item["name"]) for item in items]
    if len(items) == len(listings) and all(
        name == listing.title for name, listing in zip(names, listings, strict=True)
    ):
        return [_with_entry(listing, item) for listing, item in zip(listings, items, strict=True)]
    item_counts = Counter(names)
    listing_counts = Counter(listing.title for listing in listings)
    unique = {name: item for name, item in zip(names, items, strict=True) if item_counts[name] == 1}
    enriched = []
    for listing in listings:
        item = unique.get(listing.title) if listing_counts[listing.title] == 1 else None
        enriched.append(_with_entry(listing, item) if item is not None and _prices_agree(listing, item) else listing)
    return enriched


def _prices_agree(listing: ListingData, item: Mapping[str, Any]) -> bool:
    price = _mapping(item.get("offers")).get("price")
    currency = listing.currency or CraigslistAdapter.default_currency  # always set on a craigslist listing
    money = parse_price(str(price), default_currency=currency) if price is not None else None
    return listing.price is None or money is None or money.amount == listing.price


def _with_entry(listing: ListingData, item: Mapping[str, Any]) -> ListingData:
    place = _mapping(_mapping(item.get("offers")).get("availableAtOrFrom"))
    address = _mapping(item.get("address") or place.get("address"))
    geo = _mapping(place.get("geo")) or item  # products nest coordinates in the offer, apartments do not
    extra = dict(listing.extra)
    for key, value in (
        ("postal_code", address.get("postalCode")),
        ("region", address.get("addressRegion")),
        ("latitude", geo.get("latitude")),
        ("longitude", geo.get("longitude")),
        ("bedrooms", item.get("numberOfBedrooms")),
        ("bathrooms", item.get("numberOfBathroomsTotal")),
    ):
        if value not in (None, ""):
            extra.setdefault(key, value)
    images = item.get("image")
    image = images[0] if isinstance(images, list) and images else images
    return replace(
        listing,
        image_url=listing.image_url or (image if isinstance(image, str) and image.startswith("http") else None),
        location=listing.location or clean_text(address.get("addressLocality")),
        extra=extra,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    """JSON-LD nests freely (an offer may be a list): anything but an object reads as empty."""
    return value if isinstance(value, dict) else {}


def _page_url(root: Element) -> str | None:
    canonical = canonical_link(root)
    return canonical if canonical is not None else og_url(root)
