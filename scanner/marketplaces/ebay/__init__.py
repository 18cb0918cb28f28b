"""eBay: the Browse API when credentials are configured, the public search page otherwise.

Both paths give a listing the numeric legacy item number as its id and `https://<site>/itm/<id>`
as its URL (`sites`), so an item seen through the API and through the web page is one row. The
API (`browse_api`) is metered per day, so it needs the `Quota` its caller passes in; the web page
(`web`) needs none, and neither does parsing a saved response.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from models.settings import Settings, get_settings
from models.tables import ErrorClass
from models.types import utcnow
from scanner.errors import ScanError
from scanner.marketplaces.base import HttpClient, ListingData, MarketplaceAdapter, Quota, SearchQuery
from scanner.marketplaces.ebay import web
from scanner.marketplaces.ebay.browse_api import BrowseApi, parse_api_page
from scanner.marketplaces.ebay.sites import site_for_currency


class EbayAdapter(MarketplaceAdapter):
    name = "ebay"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        quota: Quota | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._settings = settings or get_settings()
        self._quota = quota
        self._clock = clock

    @property
    def uses_api(self) -> bool:
        return bool(self._settings.ebay_app_id and self._settings.ebay_cert_id)

    def search(self, query: SearchQuery, client: HttpClient) -> list[ListingData]:
        site = site_for_currency(query.currency)
        if not self.uses_api:
            return web.search(query, client, site, self._clock)
        if self._quota is None:
            raise ScanError(ErrorClass.INTERNAL, "the eBay adapter was built without a quota to count API calls in")
        return BrowseApi(self._settings, self._quota, self._clock).search(query, client, site)

    def parse(self, body: str, *, source_url: str | None = None) -> list[ListingData]:
        if body.lstrip().startswith(("{", "[")):
            return parse_api_page(body).listings
        return web.parse_web_page(body, source_url=source_url, now=self._clock()).listings
