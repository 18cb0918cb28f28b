"""The demo adapter reads the demo market like any real site, and never passes off a broken page."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from bs4 import BeautifulSoup

from demo_market import DemoMarket, catalogue, pages
from demo_market.catalogue import DemoListing
from models.settings import get_settings
from models.tables import ErrorClass, JunkKind
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter
from scanner.marketplaces.base import ListingData, SearchQuery
from scanner.marketplaces.demo import DemoAdapter
from tests.cli import Cli, Result
from tests.clock import Clock

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "demo"


class RequestsClient:
    """The `HttpClient` protocol over plain requests, recording what the adapter asked for."""

    def __init__(self, after_each: Any = None) -> None:
        self.urls: list[str] = []
        self.after_each = after_each

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        respect_robots: bool = True,
    ) -> requests.Response:
        response = requests.get(url, params=params, headers=headers, timeout=5)
        response.raise_for_status()
        self.urls.append(response.url)
        if self.after_each is not None:
            self.after_each()
        return response

    def post(self, url: str, **_kwargs: Any) -> requests.Response:
        raise AssertionError(f"the demo adapter only reads, yet it posted to {url}")


def fetch(market: DemoMarket, path: str) -> requests.Response:
    return requests.get(f"{market.url}{path}", timeout=5)


def parse(market: DemoMarket, path: str) -> list[ListingData]:
    response = fetch(market, path)
    return DemoAdapter(market.url).parse(response.text, source_url=response.url)


def expected(listing: DemoListing, base_url: str) -> ListingData:
    """What the adapter should make of a listing the catalogue generated."""
    return ListingData(
        external_id=listing.listing_id,
        title=listing.title,
        url=f"{base_url}/item/{listing.listing_id}",
        price=listing.price,
        currency="USD",
        image_url=f"{base_url}/img/{listing.listing_id}.svg",
        location=listing.location,
        condition=listing.condition.value,
        shipping=listing.shipping,
        seller=listing.seller,
        original_price=listing.original_price,
        status=listing.status,
    )


def test_every_field_of_every_listing_on_every_page_is_read(market: DemoMarket, clock: Clock) -> None:
    for query in ("guitar", "camera", "laptop"):
        listings = DemoAdapter(market.url).search(SearchQuery(query, max_pages=10), RequestsClient())
        truth = catalogue.search(query, clock.now)
        assert listings == [expected(listing, market.url) for listing in truth]


def test_titles_keep_non_ascii_text_and_decode_entities(market: DemoMarket) -> None:
    raw = fetch(market, "/search?q=laptop").text
    titles = {listing.title for listing in parse(market, "/search?q=laptop")}
    assert "&amp;" in raw and "&quot;" in raw
    assert any('"' in title for title in titles) and any("&" in title for title in titles)
    assert any("ç" in title or "ü" in title or "日本" in title for title in titles)
    assert not any("&amp;" in title or "&quot;" in title or "&#x27;" in title for title in titles)


def test_free_is_zero_a_range_keeps_its_low_end_and_no_price_is_none(clock: Clock) -> None:
    """One listing of every way the market shows a price, placeholders ($0, $1, 9,999,999) included."""
    shown: dict[tuple[str, Decimal | None], DemoListing] = {}
    for hours in range(24):
        for listing in catalogue.listings(clock.now + timedelta(hours=hours)):
            placeholder = listing.price if listing.junk is JunkKind.PLACEHOLDER_PRICE else None
            shown.setdefault((listing.price_kind, placeholder), listing)
    assert {("free", None), ("range", None), ("fixed", Decimal(0)), ("fixed", Decimal(1))} <= shown.keys()
    assert {("fixed", Decimal(9_999_999)), ("contact", None), ("on_request", None), ("offer", None)} <= shown.keys()
    page = pages.results_page({"q": "all"}, pages.paginate(list(shown.values()), 1, len(shown)), "http://demo")
    parsed = {listing.external_id: listing for listing in DemoAdapter().parse(page, source_url="http://demo/")}
    for (kind, _), listing in shown.items():
        assert parsed[listing.listing_id].price == listing.price, kind
        assert (parsed[listing.listing_id].price is None) == (kind in catalogue.UNPRICED), kind
    assert shown[("free", None)].price == 0 and shown[("range", None)].price < shown[("range", None)].price_high  # type: ignore[operator]
    assert "Price on request" in page and "Make an offer" in page and "Contact seller" in page
    assert "$9,999,999.00" in page and "Free" in page


def test_free_shipping_is_zero_and_pickup_only_is_unknown(market: DemoMarket) -> None:
    shipping = {listing.shipping for listing in parse(market, "/search?q=laptop")}
    assert Decimal(0) in shipping and None in shipping and len(shipping) > 2


def test_sold_and_pending_badges_become_statuses(market: DemoMarket) -> None:
    listings = DemoAdapter(market.url).search(SearchQuery("laptop", max_pages=10), RequestsClient())
    assert {listing.status for listing in listings} == {"active", "pending", "sold"}


def test_links_are_absolute_and_lose_their_tracking_parameters(market: DemoMarket) -> None:
    raw = fetch(market, "/search?q=guitar").text
    assert "?ref=srp&amp;pos=1" in raw
    for listing in parse(market, "/search?q=guitar"):
        assert listing.url == f"{market.url}/item/{listing.external_id}"


def test_without_a_source_url_links_resolve_against_the_canonical_link(market: DemoMarket) -> None:
    body = fetch(market, "/search?q=camera").text
    assert DemoAdapter().parse(body)[0].url.startswith(f"{market.url}/item/")


def test_a_no_results_page_is_an_empty_list(market: DemoMarket) -> None:
    assert parse(market, "/search?q=harpsichord") == []


def test_a_truncated_page_is_markup_changed(market: DemoMarket) -> None:
    with pytest.raises(ScanError) as caught:
        parse(market, "/search?q=guitar&fail=truncate")
    assert caught.value.error_class is ErrorClass.MARKUP_CHANGED
    assert "truncated" in str(caught.value)


def test_changed_markup_is_markup_changed(market: DemoMarket) -> None:
    with pytest.raises(ScanError) as caught:
        parse(market, "/search?q=guitar&fail=markup")
    assert caught.value.error_class is ErrorClass.MARKUP_CHANGED


def test_cards_that_do_not_add_up_are_markup_changed(market: DemoMarket) -> None:
    soup = BeautifulSoup(fetch(market, "/search?q=guitar").text, "lxml")
    soup.select("li.dm-card")[3].decompose()
    with pytest.raises(ScanError, match="announces '20' results but holds 19 cards"):
        DemoAdapter(market.url).parse(str(soup), source_url=market.url)


def test_a_card_without_its_title_link_is_markup_changed(market: DemoMarket) -> None:
    soup = BeautifulSoup(fetch(market, "/search?q=guitar").text, "lxml")
    soup.select(".dm-card__title a")[0].decompose()
    with pytest.raises(ScanError, match="lacks its id, title or link"):
        DemoAdapter(market.url).parse(str(soup), source_url=market.url)


def test_search_follows_next_links_up_to_max_pages(market: DemoMarket, clock: Clock) -> None:
    client = RequestsClient()
    listings = DemoAdapter(market.url).search(SearchQuery("guitar", max_pages=2), client)
    assert client.urls == [f"{market.url}/search?q=guitar", f"{market.url}/search?q=guitar&page=2"]
    assert [listing.external_id for listing in listings] == [
        listing.listing_id for listing in catalogue.search("guitar", clock.now)[:40]
    ]
    assert market.hits("/search") == 2


def test_search_stops_at_the_last_page(market: DemoMarket, clock: Clock) -> None:
    client = RequestsClient()
    listings = DemoAdapter(market.url).search(SearchQuery("camera", max_pages=50), client)
    total = len(catalogue.search("camera", clock.now))
    assert len(client.urls) == -(-total // 20) and len(listings) == total


def test_search_asks_the_market_to_filter_by_price_and_condition(market: DemoMarket) -> None:
    client = RequestsClient()
    query = SearchQuery("guitar", min_price=Decimal("200"), max_price=Decimal("800"), condition="used")
    listings = DemoAdapter(market.url).search(query, client)
    assert client.urls[0] == f"{market.url}/search?q=guitar&min_price=200&max_price=800&condition=used"
    assert listings and all(200 <= listing.price <= 800 and listing.condition == "used" for listing in listings)  # type: ignore[operator]


def test_a_listing_that_moves_to_the_next_page_while_paging_counts_once(market: DemoMarket, clock: Clock) -> None:
    client = RequestsClient(after_each=lambda: clock.advance(minutes=12))  # new listings push others down
    listings = DemoAdapter(market.url).search(SearchQuery("guitar", max_pages=3), client)
    ids = [listing.external_id for listing in listings]
    assert len(ids) == len(set(ids))


def test_search_passes_the_clients_errors_on(clock: Clock) -> None:
    with DemoMarket(clock=clock, fail_rate=1.0, fail_mode="500") as failing, pytest.raises(requests.HTTPError):
        DemoAdapter(failing.url).search(SearchQuery("guitar"), RequestsClient())


def test_the_registry_builds_it_for_the_configured_market() -> None:
    adapter = get_adapter("demo")
    assert isinstance(adapter, DemoAdapter)
    assert adapter.search_url(SearchQuery("caméra vintage")) == (
        f"{get_settings().demo_market_url}/search?q=cam%C3%A9ra+vintage"
    )


# --- saved pages and the parse command ----------------------------------------------------------


ParseCommand = Callable[[str], Result]


@pytest.fixture
def scanner_parse(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> ParseCommand:
    """`scanner_parse(name)`: `python -m scanner parse demo` of a saved page, run in process."""
    scanner = Cli(monkeypatch, capsys)
    return lambda name: scanner("parse", "demo", str(FIXTURES / name))


def test_parse_command_prints_the_saved_page_as_json(scanner_parse: ParseCommand) -> None:
    result = scanner_parse("laptop_results_page1.html")
    assert result.returncode == 0, result.stderr
    listings = json.loads(result.stdout)
    assert len(listings) == 20
    assert listings[0]["url"] == f"http://127.0.0.1:8765/item/{listings[0]['external_id']}"
    assert {listing["status"] for listing in listings} == {"active", "pending", "sold"}
    assert {"0.00", None} <= {listing["price"] for listing in listings}
    assert any("日本" in listing["title"] or "ç" in listing["title"] for listing in listings)


def test_parse_command_classifies_the_changed_markup_page(scanner_parse: ParseCommand) -> None:
    result = scanner_parse("laptop_results_markup_changed.html")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and "markup_changed: no results container" in result.stderr
