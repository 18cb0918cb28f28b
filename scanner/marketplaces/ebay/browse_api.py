"""eBay's Browse API (`item_summary/search`), used when the operator configured credentials.

It is metered per day, so every call, the token's too, counts against the `Quota` passed in,
and the OAuth application token is cached for the whole process rather than fetched per scan.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from models.formatting import one_line
from models.settings import Settings
from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces.base import (
    HttpClient,
    ListingData,
    Quota,
    QuotaStatus,
    SearchQuery,
    first_sightings,
)
from scanner.marketplaces.ebay.sites import (
    CONDITION_IDS,
    US_SITE,
    EbaySite,
    is_ebay_category,
    item_url,
    site_for_host,
)

API_BASES = {"production": "https://api.ebay.com", "sandbox": "https://api.sandbox.ebay.com"}
SEARCH_PATH = "/buy/browse/v1/item_summary/search"
TOKEN_PATH = "/identity/v1/oauth2/token"
API_SCOPE = "https://api.ebay.com/oauth/api_scope"
API_PAGE_SIZE = 200  # the Browse API maximum: fewest calls against the daily quota
TOKEN_REFRESH_MARGIN = timedelta(minutes=5)


class BrowseApi:
    """Searches through the API with the configured credentials, within the daily call limit."""

    def __init__(self, settings: Settings, quota: Quota, clock: Callable[[], datetime]) -> None:
        self._settings = settings
        self._quota = quota
        self._clock = clock

    def search(self, query: SearchQuery, client: HttpClient, site: EbaySite) -> list[ListingData]:
        pages = 1 if self._require_quota().slow else query.max_pages  # near the limit: newest listings only
        base = API_BASES[self._settings.ebay_env]
        headers = {
            "Authorization": f"Bearer {self._token(client, base)}",
            "X-EBAY-C-MARKETPLACE-ID": site.marketplace_id,
        }
        url: str | None = base + SEARCH_PATH
        params: dict[str, str] | None = search_params(query)
        listings: list[ListingData] = []
        for page_number in range(pages):
            if url is None or (page_number and self._status().exhausted):
                break  # a quota used up mid-scan keeps what the earlier pages found
            self._count_call()
            page = parse_api_page(client.get(url, params=params, headers=headers, respect_robots=False).text)
            listings.extend(page.listings)
            url, params = page.next_url, None  # `next` carries every parameter of the first request
        return first_sightings(listings)

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

    def _status(self) -> QuotaStatus:
        return self._quota.status(self._settings.ebay_daily_call_limit)

    def _require_quota(self) -> QuotaStatus:
        """Today's use of the daily call limit; `QUOTA_EXHAUSTED` once it is used up."""
        status = self._status()
        if status.exhausted:
            raise ScanError(ErrorClass.QUOTA_EXHAUSTED, f"{status.describe()}; calls resume after midnight UTC")
        return status

    def _count_call(self) -> None:
        """Every Browse API and token call counts against the daily quota, failed ones too."""
        self._require_quota()
        self._quota.record_call()


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


def search_params(query: SearchQuery) -> dict[str, str]:
    """The search's request. Browse returns only listings one can buy now unless asked: an auction
    without Buy It Now, or one whose Buy It Now went with its first bid, needs `buyingOptions`."""
    params = {"q": query.query, "limit": str(API_PAGE_SIZE), "sort": "newlyListed"}
    filters = ["buyingOptions:{FIXED_PRICE|AUCTION}"]
    if query.min_price is not None or query.max_price is not None:
        low = "" if query.min_price is None else str(query.min_price)
        high = "" if query.max_price is None else str(query.max_price)
        filters += [f"price:[{low}..{high}]", f"priceCurrency:{query.currency}"]
    if query.condition:
        filters.append("conditionIds:{" + "|".join(CONDITION_IDS[query.condition]) + "}")
    params["filter"] = ",".join(filters)
    if is_ebay_category(query.category):
        params["category_ids"] = str(query.category)
    return params


@dataclass(frozen=True)
class ApiPage:
    listings: list[ListingData]
    next_url: str | None


def parse_api_page(body: str) -> ApiPage:
    """One Browse API `item_summary/search` response."""
    data = _load_json(body)
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
        title=one_line(str(item["title"])),
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


def _load_json(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise ScanError(ErrorClass.MARKUP_CHANGED, "eBay answered with something that is not JSON") from None
