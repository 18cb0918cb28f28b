"""The adapter contract: what every marketplace module provides and returns.

An adapter turns a search into requests (through the shared polite HTTP client) and response
bodies into `ListingData`. It knows nothing of the database. A page it cannot read raises
`ScanError` with a class (markup changed, login wall, captcha…) — never an empty list that
would look like "no results".
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal, Protocol

ListingStatusName = Literal["active", "pending", "sold"]


@dataclass(frozen=True)
class ListingData:
    """One listing as a marketplace showed it, normalized."""

    external_id: str
    title: str
    url: str  # absolute and canonical: no tracking parameters
    price: Decimal | None  # None when the site shows no price
    currency: str | None  # ISO 4217; None when the page does not say and nothing implies it
    image_url: str | None = None
    location: str | None = None
    condition: str | None = None
    shipping: Decimal | None = None  # 0 for free shipping, None when unknown
    seller: str | None = None
    original_price: Decimal | None = None  # a struck-out "was" price
    status: ListingStatusName = "active"
    ends_at: datetime | None = None  # auctions
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)  # bids, distance, postal code…

    def total_cost(self) -> Decimal | None:
        """What the buyer pays: price plus shipping where known. None without a price or without
        its currency: an amount of unknown money is compared with nothing and is never a deal."""
        if self.price is None or self.currency is None:
            return None
        return self.price + (self.shipping or Decimal(0))

    def to_json(self) -> dict[str, Any]:
        """The JSON shape `python -m scanner parse` prints: decimals as strings, times in ISO 8601."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, Decimal):
                data[key] = str(value)
            elif isinstance(value, datetime):
                data[key] = value.isoformat()
        data["extra"] = json.loads(json.dumps(dict(self.extra), default=str))
        return data


@dataclass(frozen=True)
class SearchQuery:
    """What an adapter needs of a saved search (built from `models.tables.Search`)."""

    query: str
    excluded_words: tuple[str, ...] = ()  # sites that can exclude words server-side get them too
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    condition: str | None = None  # models.tables.Condition value
    category: str | None = None  # the marketplace's own category id or section code
    location: str | None = None  # a city site, postal code or URL, depending on the marketplace
    radius_miles: int | None = None
    currency: str = "USD"
    max_pages: int = 3


class HttpResponse(Protocol):
    """A fetched page as adapters read it (`scanner.http.PoliteResponse`): adapters only need its
    final URL and its text, so a plain `requests.Response` serves as well in tests."""

    @property
    def url(self) -> str: ...

    @property
    def text(self) -> str: ...


class HttpClient(Protocol):
    """The polite HTTP client (`scanner.http.PoliteClient`) as adapters see it.

    It applies timeouts, retries, the per-marketplace rate limit, robots.txt (when
    `respect_robots`), the size cap, and raises `ScanError` for blocked or failed responses.
    """

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        respect_robots: bool = True,
    ) -> HttpResponse: ...

    def post(
        self,
        url: str,
        *,
        data: Mapping[str, Any] | str | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> HttpResponse: ...


#: Above this share of the daily limit a scan fetches only its first page.
SLOWDOWN_FRACTION = 0.8


@dataclass(frozen=True)
class QuotaStatus:
    """Today's use of one marketplace's daily call limit, for the scanner and the dashboard."""

    marketplace: str
    day: date
    calls: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.calls, 0)

    @property
    def used_fraction(self) -> float:
        return self.calls / self.limit

    @property
    def exhausted(self) -> bool:
        return self.calls >= self.limit

    @property
    def slow(self) -> bool:
        """Close to the limit: scans should fetch as little as possible for the rest of the day."""
        return self.used_fraction >= SLOWDOWN_FRACTION

    def describe(self) -> str:
        return f"{self.marketplace}: {self.calls} of {self.limit} API calls used on {self.day.isoformat()} (UTC)"


class Quota(Protocol):
    """One marketplace's count of metered API calls per UTC day, shared by every worker.

    Adapters know nothing of the database where the count lives (`scanner.quota.DatabaseQuota`),
    so it is passed in, as the rate limit is passed in with the HTTP client. The adapter brings
    the limit: it is the marketplace's own setting, like its credentials.
    """

    def status(self, limit: int) -> QuotaStatus:
        """Today's use of an allowance of `limit` calls: may another call be sent?"""

    def record_call(self) -> None:
        """Count one call sent today, whatever its outcome: the marketplace counts failed ones too."""


def first_sightings(listings: Iterable[ListingData]) -> list[ListingData]:
    """Each item once, as first seen: result pages shift while new listings arrive, and
    carousels repeat items, so one search can show an item twice."""
    seen: dict[str, ListingData] = {}
    for listing in listings:
        seen.setdefault(listing.external_id, listing)
    return list(seen.values())


class MarketplaceAdapter(ABC):
    """One marketplace. Subclasses live in `scanner/marketplaces/<name>.py` (or a package of that name)."""

    name: ClassVar[str]
    #: The currency a bare `$` (or no symbol) means on this site.
    default_currency: ClassVar[str] = "USD"

    @abstractmethod
    def search(self, query: SearchQuery, client: HttpClient) -> list[ListingData]:
        """Fetch up to `query.max_pages` pages of results and return their listings."""

    @abstractmethod
    def parse(self, body: str, *, source_url: str | None = None) -> list[ListingData]:
        """Listings of one saved response, whichever of the adapter's formats it is in."""

    def check_url(self, url: str) -> None:
        """Raise `ScanError` for a URL this adapter must never request (every redirect hop is
        checked before it is sent). Marketplaces with fixed hosts accept everything."""
