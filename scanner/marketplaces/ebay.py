"""eBay: the Browse API when credentials are configured, the public search page otherwise.

Both paths give a listing the numeric legacy item number as its id and `https://<site>/itm/<id>`
as its URL, so an item seen through the API and through the web page is one row. The API is
metered per day (`scanner.quota`); the web page comes in two markups (the older `li.s-item` and
the newer `li.s-card`) and in every country site's language and number format.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, ElementFilter, Tag
from sqlalchemy.engine import Engine

from models.db import get_engine
from models.settings import Settings, get_settings
from models.tables import Condition
from models.types import utcnow
from scanner.errors import ErrorClass, ScanError
from scanner.marketplaces.base import (
    HttpClient,
    ListingData,
    MarketplaceAdapter,
    SearchQuery,
)
from scanner.marketplaces.prices import Money, parse_price
from scanner.quota import QuotaStatus, quota_status, record_calls


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

API_BASES = {"production": "https://api.ebay.com", "sandbox": "https://api.sandbox.ebay.com"}
SEARCH_PATH = "/buy/browse/v1/item_summary/search"
TOKEN_PATH = "/identity/v1/oauth2/token"
API_SCOPE = "https://api.ebay.com/oauth/api_scope"
API_PAGE_SIZE = 200  # the Browse API maximum: fewest calls against the daily quota
TOKEN_REFRESH_MARGIN = timedelta(minutes=5)
#: The hidden "Shop on eBay" card every results page carries links to this item number.
PLACEHOLDER_ITEM_ID = "123456"


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


class EbayAdapter(MarketplaceAdapter):
    name = "ebay"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engine: Engine | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._settings = settings or get_settings()
        self._engine = engine
        self._clock = clock

    @property
    def uses_api(self) -> bool:
        return bool(self._settings.ebay_app_id and self._settings.ebay_cert_id)

    def search(self, query: SearchQuery, client: HttpClient) -> list[ListingData]:
        site = site_for_currency(query.currency)
        if self.uses_api:
            return self._search_api(query, client, site)
        return self._search_web(query, client, site)

    def parse(self, body: str, *, source_url: str | None = None) -> list[ListingData]:
        if body.lstrip().startswith(("{", "[")):
            return parse_api_page(_load_json(body)).listings
        return parse_web_page(body, source_url=source_url, now=self._clock()).listings

    # -- Browse API ------------------------------------------------------------------------------

    def _search_api(self, query: SearchQuery, client: HttpClient, site: EbaySite) -> list[ListingData]:
        pages = 1 if self._require_quota().slow else query.max_pages  # near the limit: newest listings only
        base = API_BASES[self._settings.ebay_env]
        headers = {
            "Authorization": f"Bearer {self._token(client, base)}",
            "X-EBAY-C-MARKETPLACE-ID": site.marketplace_id,
        }
        url: str | None = base + SEARCH_PATH
        params: dict[str, str] | None = api_search_params(query)
        listings: list[ListingData] = []
        for page_number in range(pages):
            if url is None or (page_number and self._quota().exhausted):
                break  # a quota used up mid-scan keeps what the earlier pages found
            self._count_call()
            page = parse_api_page(
                _load_json(client.get(url, params=params, headers=headers, respect_robots=False).text)
            )
            listings.extend(page.listings)
            url, params = page.next_url, None  # `next` carries every parameter of the first request
        return _unique(listings)

    def _token(self, client: HttpClient, base: str) -> str:
        app_id = self._settings.ebay_app_id or ""
        cert_id = self._settings.ebay_cert_id.get_secret_value() if self._settings.ebay_cert_id else ""

        def fetch() -> tuple[str, int]:
            self._count_call()
            response = client.post(
                base + TOKEN_PATH,
                data={"grant_type": "client_credentials", "scope": API_SCOPE},
                auth=(app_id, cert_id),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            data = _load_json(response.text)
            try:
                return str(data["access_token"]), int(data.get("expires_in", 7200))
            except (KeyError, TypeError, ValueError):
                raise ScanError(ErrorClass.MARKUP_CHANGED, "eBay's token response has no access_token") from None

        return _TOKENS.get((base, app_id), self._clock(), fetch)

    @property
    def _db(self) -> Engine:
        return self._engine or get_engine(self._settings)

    def _quota(self) -> QuotaStatus:
        return quota_status(self._db, self.name, self._settings.ebay_daily_call_limit, self._clock())

    def _require_quota(self) -> QuotaStatus:
        """Today's use of the daily call limit; `QUOTA_EXHAUSTED` once it is used up."""
        status = self._quota()
        if status.exhausted:
            raise ScanError(ErrorClass.QUOTA_EXHAUSTED, f"{status.describe()}; calls resume after midnight UTC")
        return status

    def _count_call(self) -> None:
        """Every Browse API and token call counts against the daily quota, failed ones too."""
        self._require_quota()
        record_calls(self._db, self.name, 1, self._clock())

    # -- web search page -------------------------------------------------------------------------

    def _search_web(self, query: SearchQuery, client: HttpClient, site: EbaySite) -> list[ListingData]:
        url = f"https://{site.host}/sch/i.html"
        listings: list[ListingData] = []
        for page_number in range(1, query.max_pages + 1):
            response = client.get(url, params=web_search_params(query, page_number))
            page = parse_web_page(response.text, source_url=url, now=self._clock())
            listings.extend(page.listings)
            if not page.has_next:
                break
        return _unique(listings)


class _TokenCache:
    """Application tokens by (API base, app id), shared by every thread of the process and
    refreshed a few minutes before eBay expires them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], tuple[str, datetime]] = {}

    def get(self, key: tuple[str, str], now: datetime, fetch: Callable[[], tuple[str, int]]) -> str:
        with self._lock:  # one fetch at a time: parallel scans wait for the first one's token
            cached = self._tokens.get(key)
            if cached is None or now >= cached[1] - TOKEN_REFRESH_MARGIN:
                token, lifetime = fetch()
                cached = (token, now + timedelta(seconds=lifetime))
                self._tokens[key] = cached
            return cached[0]


_TOKENS = _TokenCache()


def api_search_params(query: SearchQuery) -> dict[str, str]:
    params = {"q": query.query, "limit": str(API_PAGE_SIZE), "sort": "newlyListed"}
    filters = []
    if query.min_price is not None or query.max_price is not None:
        low = "" if query.min_price is None else str(query.min_price)
        high = "" if query.max_price is None else str(query.max_price)
        filters += [f"price:[{low}..{high}]", f"priceCurrency:{query.currency}"]
    if query.condition:
        filters.append("conditionIds:{" + "|".join(CONDITION_IDS[query.condition]) + "}")
    if filters:
        params["filter"] = ",".join(filters)
    if is_ebay_category(query.category):
        params["category_ids"] = str(query.category)
    return params


def web_search_params(query: SearchQuery, page_number: int) -> dict[str, str]:
    params = {"_nkw": query.query, "_sop": "10", "_pgn": str(page_number)}
    if query.min_price is not None:
        params["_udlo"] = str(query.min_price)
    if query.max_price is not None:
        params["_udhi"] = str(query.max_price)
    if query.condition:
        params["LH_ItemCondition"] = "|".join(CONDITION_IDS[query.condition])
    if is_ebay_category(query.category):
        params["_sacat"] = str(query.category)
    return params


def is_ebay_category(category: str | None) -> bool:
    """eBay's categories are numeric ids; a search's other marketplaces may use words."""
    return bool(category and category.isdigit())


@dataclass(frozen=True)
class ApiPage:
    listings: list[ListingData]
    next_url: str | None


def parse_api_page(data: Any) -> ApiPage:
    """One Browse API `item_summary/search` response."""
    if not isinstance(data, dict) or ("itemSummaries" not in data and "total" not in data):
        raise ScanError(ErrorClass.MARKUP_CHANGED, "not an eBay Browse API search response")
    items = data.get("itemSummaries") or []
    try:
        listings = [_api_listing(item) for item in items]
    except (KeyError, TypeError, ValueError, IndexError, InvalidOperation, AttributeError) as error:
        raise ScanError(
            ErrorClass.MARKUP_CHANGED, f"unexpected Browse API item ({type(error).__name__}: {error})"
        ) from None
    next_url = data.get("next") or None
    if "total" in data and int(data.get("offset") or 0) + int(data.get("limit") or 0) >= int(data["total"]):
        next_url = None
    return ApiPage(listings, next_url)


def _api_listing(item: Mapping[str, Any]) -> ListingData:
    item_id = str(item.get("legacyItemId") or item["itemId"].split("|")[1])
    site = site_for_host(urlsplit(item.get("itemWebUrl") or "").hostname) or US_SITE
    price = item.get("price") or item.get("currentBidPrice")
    original = (item.get("marketingPrice") or {}).get("originalPrice")
    options = list(item.get("buyingOptions") or [])
    extra: dict[str, Any] = {"buying_options": options}
    ends_at = None
    if "AUCTION" in options:
        extra["bids"] = int(item.get("bidCount") or 0)
        ends_at = _iso_datetime(item.get("itemEndDate"))
    if item.get("itemGroupType"):
        extra["item_group_type"] = item["itemGroupType"]
    return ListingData(
        external_id=item_id,
        title=" ".join(str(item["title"]).split()),
        url=item_url(site, item_id),
        price=Decimal(price["value"]) if price else None,
        currency=price["currency"] if price else site.currency,
        image_url=(item.get("image") or {}).get("imageUrl") or _first_image(item.get("thumbnailImages")),
        location=_api_location(item.get("itemLocation") or {}),
        condition=item.get("condition"),
        shipping=_api_shipping(item.get("shippingOptions") or []),
        seller=(item.get("seller") or {}).get("username"),
        original_price=Decimal(original["value"]) if original else None,
        ends_at=ends_at,
        extra=extra,
    )


def _api_shipping(options: Iterable[Mapping[str, Any]]) -> Decimal | None:
    costs = [Decimal(option["shippingCost"]["value"]) for option in options if option.get("shippingCost")]
    return min(costs) if costs else None


def _api_location(location: Mapping[str, Any]) -> str | None:
    parts = [location.get(key) for key in ("city", "stateOrProvince", "postalCode", "country")]
    return ", ".join(part for part in parts if part) or None


def _first_image(images: list[Mapping[str, Any]] | None) -> str | None:
    return images[0].get("imageUrl") if images else None


def _iso_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"end date without a time zone: {value}")
    return parsed.astimezone(UTC)


# -- the web search page -------------------------------------------------------------------------

_NEW_LISTING_LABEL = re.compile(
    r"^(new listing|neues angebot|nouvelle annonce|nuova inserzione|nuevo anuncio|nieuwe advertentie)\s*", re.I
)
_BIDS = re.compile(r"(\d+)\s*(bids?|gebote?|enchères?|offerte?|pujas?|biedingen|bod|ofert[ay]?)\b", re.I)
_DURATION = re.compile(r"(\d+)\s*(tage?|days?|stunden?|std|hours?|hrs?|minuten?|mins?|sek|secs?|d|t|j|g|h|m|s)\b", re.I)
_FREE = re.compile(r"\b(free|gratis|kostenlos\w*|gratuit[eoa]?|darmowa)\b", re.I)
_AMOUNT_WITH_CURRENCY = re.compile(r"[$€£¥]\s?\d|\d\s?[$€£¥]|\b[A-Z]{3}\s?\d|\d\s?[A-Z]{3}\b")
_SHIPPING_WORDS = re.compile(
    r"shipping|delivery|postage|versand|lieferung|livraison|spedizione|envío|envio|verzending|wysyłka", re.I
)
_LOCATION_PREFIX = re.compile(r"^(located in|from|aus|standort:?|de|da|desde|uit|z)\s+", re.I)
_SELLER_FEEDBACK = re.compile(r"\s*(\(|[\d.,]+\s*%).*$")
_SELLER_RATING = re.compile(r"\d\s*%\s*positi", re.I)
_SOLD = re.compile(r"^(sold|verkauft|vendu|venduto|vendido|verkocht|sprzedane)\b", re.I)
_BOT_CHECK_TITLES = ("pardon our interruption", "security measure", "sicherheitsmaßnahme", "mesure de sécurité")
_CAPTCHA_URL = re.compile("captcha", re.I)
_ITEM_LINK = re.compile(r"/itm/")


@dataclass(frozen=True)
class WebPage:
    listings: list[ListingData]
    has_next: bool


@dataclass(frozen=True)
class _Card:
    """What one result card shows, as text, whichever markup it came in."""

    item_id: str
    title: str
    price: str | None
    was_price: str | None
    shipping: str | None
    bids: str | None
    time_left: str | None
    condition: str | None
    location: str | None
    seller: str | None
    image_url: str | None
    sold: bool


class _SearchPageParts(ElementFilter):
    """Builds only the parts of a results page the parser reads (head, result list, pagination):
    a page is 1–2 MB of scripts, menus and filters, and skipping them saves a fifth of the parse."""

    TAGS = frozenset({"title", "link", "meta", "form", "iframe"})
    CLASSES = frozenset(
        {"srp-results", "srp-save-null-search", "srp-controls__count-heading", "pagination", "g-recaptcha", "h-captcha"}
    )

    def allow_tag_creation(self, nsprefix: str | None, name: str, attrs: Any) -> bool:
        if name in self.TAGS:
            return True
        classes = (attrs or {}).get("class") or ()
        return bool(self.CLASSES.intersection(classes.split() if isinstance(classes, str) else classes))


def parse_web_page(body: str, *, source_url: str | None, now: datetime) -> WebPage:
    """Listings of one eBay search results page; zero for an honest "no exact matches" page."""
    soup = BeautifulSoup(body, "lxml", parse_only=_SearchPageParts())
    index = _class_index(soup)  # one walk; CSS queries over a 2 MB page would take a second
    _raise_if_blocked(soup, index)
    if _first(index, "srp-save-null-search", "srp-save-null-search__heading"):
        return WebPage([], False)
    results = _first(index, "srp-results")
    if results is None:
        raise ScanError(ErrorClass.MARKUP_CHANGED, "eBay page has no result list (ul.srp-results)")
    rows = []
    for row in results.find_all("li", recursive=False):
        classes = row.get("class") or []
        if "srp-river-answer--REWRITE_START" in classes:
            break  # what follows "matches fewer words", not the search
        if "s-item" in classes or "s-card" in classes:
            rows.append(row)
    cards = [card for card in map(_read_card, rows) if card is not None]
    if rows and not cards:
        raise ScanError(
            ErrorClass.MARKUP_CHANGED, f"none of the {len(rows)} eBay result cards has an item id and title"
        )
    if not rows and _result_count(index) != 0:
        raise ScanError(ErrorClass.MARKUP_CHANGED, "eBay result list holds no s-item or s-card rows")
    site = _page_site(soup, results, source_url)
    listings = [_card_listing(card, site, now) for card in cards if card.item_id != PLACEHOLDER_ITEM_ID]
    has_next = any(
        link.get("href") and link.get("aria-disabled") != "true" for link in index.get("pagination__next", [])
    )
    return WebPage(_unique(listings), has_next)


def _raise_if_blocked(soup: BeautifulSoup, index: Mapping[str, list[Tag]]) -> None:
    title = soup.title.get_text(" ", strip=True).lower() if soup.title else ""
    captcha = (
        _first(index, "g-recaptcha", "h-captcha")
        or soup.find("form", id="captcha_form")
        or soup.find(["form", "iframe"], attrs={"action": _CAPTCHA_URL})
        or soup.find("iframe", src=_CAPTCHA_URL)
    )
    if captcha or any(marker in title for marker in _BOT_CHECK_TITLES):
        raise ScanError(ErrorClass.CAPTCHA, f"eBay answered with a bot check ({title or 'captcha form'})")
    if soup.find("form", id="signin-form") or title.startswith(("sign in", "einloggen")):
        raise ScanError(ErrorClass.LOGIN_WALL, "eBay asked to sign in")


def _result_count(index: Mapping[str, list[Tag]]) -> int | None:
    heading = _first(index, "srp-controls__count-heading")
    match = re.match(r"\s*([\d.,]+)", heading.get_text(" ", strip=True)) if heading else None
    return int(re.sub(r"\D", "", match.group(1))) if match else None


def _page_site(soup: BeautifulSoup, results: Tag, source_url: str | None) -> EbaySite:
    """The country site from the URL, the page's canonical link, its item links, or its currency."""
    canonical = soup.find("link", rel="canonical", href=True)
    og_url = soup.find("meta", property="og:url", content=True)
    candidates = [source_url, canonical and canonical["href"], og_url and og_url["content"]]
    candidates += [
        link["href"]
        for link in results.find_all("a", href=_ITEM_LINK, limit=5)
        if f"/itm/{PLACEHOLDER_ITEM_ID}" not in link["href"]
    ]
    for candidate in candidates:
        site = site_for_host(urlsplit(str(candidate)).hostname) if candidate else None
        if site:
            return site
    price = results.find(class_=("s-item__price", "s-card__price"))
    money = parse_price(price.get_text(" ", strip=True), default_currency="USD") if price else None
    return next((site for site in SITES if money and site.currency == money.currency), US_SITE)


def _read_card(row: Tag) -> _Card | None:
    return _read_s_item(row) if "s-item" in (row.get("class") or []) else _read_s_card(row)


def _read_s_item(row: Tag) -> _Card | None:
    """The older markup: every field has its own `s-item__*` class."""
    index = _class_index(row)
    link = _first(index, "s-item__link")
    item_id = _item_id(row.get("data-listingid") or (link.get("href") if link else None))
    title = _text(_first(index, "s-item__title"), drop={"clipped", "LIGHT_HIGHLIGHT", "s-item__title--tag"})
    if item_id is None or not title:
        return None
    return _Card(
        item_id=item_id,
        title=title,
        price=_text(_first(index, "s-item__price")),
        was_price=_text(_first(index, "STRIKETHROUGH")),
        shipping=_text(_first(index, "s-item__shipping", "s-item__logisticsCost", "s-item__freeXDays")),
        bids=_text(_first(index, "s-item__bids", "s-item__bidCount")),
        time_left=_text(_first(index, "s-item__time-left")),
        condition=_text(_first(index, "SECONDARY_INFO")),
        location=_text(_first(index, "s-item__location", "s-item__itemLocation")),
        seller=_text(_first(index, "s-item__seller-info-text")),
        image_url=_image(_first(index, "s-item__image-img")),
        sold=bool(_SOLD.match(_text(_first(index, "s-item__caption--signal", "s-item__title--tagblock")) or "")),
    )


def _read_s_card(row: Tag) -> _Card | None:
    """The newer markup: generic attribute rows whose meaning is in their text."""
    index = _class_index(row)
    link = _first(index, "s-card__link") or row.find("a", href=_ITEM_LINK)
    item_id = _item_id(row.get("data-listingid") or (link.get("href") if link else None))
    title = _text(_first(index, "s-card__title"), drop={"clipped", "s-card__new-listing"})
    if item_id is None or not title:
        return None
    price = _first(index, "s-card__price")
    price_row = price.find_parent(class_="s-card__attribute-row") if price else None
    texts = [text for r in index.get("s-card__attribute-row", []) if r is not price_row and (text := _text(r))]
    subtitle = _first(index, "s-card__subtitle")
    return _Card(
        item_id=item_id,
        title=title,
        price=_text(price),
        was_price=_text(_first(index, "strikethrough", "s-card__price--was")),
        shipping=next((t for t in texts if _SHIPPING_WORDS.search(t) and not _BIDS.search(t)), None),
        bids=next((t for t in texts if _BIDS.search(t)), None),
        time_left=_text(_first(index, "s-card__time-left")) or next((t for t in texts if " left" in t), None),
        condition=_text(subtitle.find(class_="su-styled-text") or subtitle) if subtitle else None,
        location=next((t for t in texts if _LOCATION_PREFIX.match(t) and not _SHIPPING_WORDS.search(t)), None),
        seller=next((t for t in texts if _SELLER_RATING.search(t)), None),
        image_url=_image(_first(index, "s-card__image") or row.find("img")),
        sold=bool(_SOLD.match(_text(_first(index, "s-card__caption")) or "")),
    )


def _class_index(root: Tag) -> dict[str, list[Tag]]:
    """Elements by class, in document order: one walk instead of a CSS query per field."""
    index: dict[str, list[Tag]] = {}
    for element in root.find_all(True):
        for name in element.get("class") or ():
            index.setdefault(name, []).append(element)
    return index


def _first(index: Mapping[str, list[Tag]], *names: str) -> Tag | None:
    return next((index[name][0] for name in names if name in index), None)


def _card_listing(card: _Card, site: EbaySite, now: datetime) -> ListingData:
    price = _money(card.price, site)
    original = _money(card.was_price, site)
    bids = _BIDS.search(card.bids or "")
    ends_at = _ends_at(card.time_left, now)
    extra: dict[str, Any] = {}
    if bids:
        extra["bids"] = int(bids.group(1))
    return ListingData(
        external_id=card.item_id,
        title=_NEW_LISTING_LABEL.sub("", card.title),
        url=item_url(site, card.item_id),
        price=price.amount if price else None,
        currency=price.currency if price else site.currency,
        image_url=card.image_url,
        location=_LOCATION_PREFIX.sub("", card.location) if card.location else None,
        condition=card.condition,
        shipping=_shipping_cost(card.shipping, site),
        seller=(_SELLER_FEEDBACK.sub("", card.seller) or None) if card.seller else None,
        original_price=original.amount if original else None,
        status="sold" if card.sold else "active",
        ends_at=ends_at,
        extra=extra,
    )


def _money(text: str | None, site: EbaySite) -> Money | None:
    return parse_price(text, default_currency=site.currency, decimal_separator=site.decimal_separator)


def _shipping_cost(text: str | None, site: EbaySite) -> Decimal | None:
    """0 for free shipping, the amount for "+$5.89 shipping", None when unknown or conditional
    ("Free shipping over $50" says nothing about this item's cost)."""
    if not text:
        return None
    if _FREE.search(text):
        return None if _AMOUNT_WITH_CURRENCY.search(text) else Decimal("0.00")
    money = _money(text, site)
    return money.amount if money else None


def _ends_at(time_left: str | None, now: datetime) -> datetime | None:
    """ "6d 23h left", "Noch 6T 23Std" or "23h 39m" from `now`, to the minute."""
    if not time_left:
        return None
    parts = _DURATION.findall(re.sub(r"\(.*?\)", "", time_left))
    if not parts:
        return None
    delta = sum((timedelta(**{_duration_unit(unit): int(amount)}) for amount, unit in parts), timedelta())
    return (now + delta).replace(second=0, microsecond=0)


def _duration_unit(unit: str) -> str:
    unit = unit.lower()
    if unit in ("d", "t", "j", "g") or unit.startswith(("tag", "day")):
        return "days"
    if unit == "h" or unit.startswith(("std", "stund", "hour", "hr")):
        return "hours"
    if unit.startswith("m"):
        return "minutes"
    return "seconds"


def _item_id(value: str | None) -> str | None:
    if not value:
        return None
    if value.isdigit():
        return value
    match = re.search(r"/itm/(?:[^/?#]+/)?(\d+)", value)
    return match.group(1) if match else None


def _text(element: Tag | None, *, drop: Set[str] = frozenset()) -> str | None:
    """An element's visible text on one line, without its descendants of the `drop` classes."""
    if element is None:
        return None
    for unwanted in element.find_all(True) if drop else ():
        if not unwanted.decomposed and drop.intersection(unwanted.get("class") or ()):
            unwanted.decompose()
    return " ".join(element.get_text(" ", strip=True).split()) or None


def _image(image: Tag | None) -> str | None:
    """The real picture of a lazily loaded <img>, not its placeholder."""
    if image is None:
        return None
    for attribute in ("data-src", "data-defer-load", "src"):
        value = image.get(attribute)
        if value and value.startswith("http") and "ebaystatic.com" not in value:
            return str(value)
    return None


def _unique(listings: Iterable[ListingData]) -> list[ListingData]:
    """First sighting of each item: pages shift while new listings arrive, and carousels repeat."""
    seen: dict[str, ListingData] = {}
    for listing in listings:
        seen.setdefault(listing.external_id, listing)
    return list(seen.values())


def _load_json(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise ScanError(ErrorClass.MARKUP_CHANGED, "eBay answered with something that is not JSON") from None
