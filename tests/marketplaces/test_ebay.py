"""The eBay adapter: the search results page in both markups and every country format, the
Browse API with its cached token and paging, and how it spends the daily call quota it is given
(a count in memory, and once the database's that scans pass in: `tests/scanner/test_quota.py`)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

import scanner.marketplaces.ebay
from models.settings import Settings, load_settings
from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter
from scanner.marketplaces.base import ListingData, QuotaStatus, SearchQuery
from scanner.marketplaces.ebay import EbayAdapter
from scanner.quota import DatabaseQuota, calls_today, record_calls
from tests.clock import Clock
from tests.marketplaces.fake_http import FakeClient, by_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ebay"
NOW = datetime(2026, 3, 5, 15, 30, 20, tzinfo=UTC)
TOKEN = "v^1.1#i^1#p^1#r^0#I^3#f^0#t^H4sIAAAA"
TOKEN_BODY = json.dumps({"access_token": TOKEN, "expires_in": 7200, "token_type": "Application Access Token"})


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def parse(name: str, source_url: str | None = None) -> dict[str, ListingData]:
    listings = EbayAdapter(load_settings(), clock=lambda: NOW).parse(fixture(name), source_url=source_url)
    return {listing.external_id: listing for listing in listings}


def test_the_registry_builds_the_adapter_with_the_configured_settings() -> None:
    assert isinstance(get_adapter("ebay"), EbayAdapter)


# -- the web search page ---------------------------------------------------------------------------


def test_old_markup_reads_the_results_and_skips_placeholder_carousel_and_fewer_word_matches() -> None:
    assert list(parse("search_s_item_us.html")) == [
        "296512345678",
        "134298765432",
        "256398712345",
        "115987654321",
        "175566778899",
    ]


def test_new_markup_reads_the_results_and_skips_the_placeholder() -> None:
    assert list(parse("search_s_card_us.html")) == ["389012345671", "266789012345", "405512349876", "197703456789"]


@pytest.mark.parametrize(
    ("page", "item_id", "title"),
    [
        ("search_s_item_us.html", "296512345678", "Apple iPhone 13 128GB Midnight & Case – Unlocked"),
        ("search_s_card_us.html", "389012345671", "Nintendo Switch OLED – White & Neon – Model HEG-001"),
        ("search_s_card_de.html", "145678901234", "ThinkPad T14s Gen 2 Ryzen 7 PRO – Tastatur QWERTZ (Ö/Ä/Ü)"),
    ],
)
def test_new_listing_label_is_not_part_of_the_title(page: str, item_id: str, title: str) -> None:
    assert parse(page)[item_id].title == title


def test_titles_keep_entities_decoded_and_non_ascii_text() -> None:
    assert (
        parse("search_s_item_us.html")["256398712345"].title
        == 'Hülle für iPhone 13 – Magnetisch, Café Braun, Leder "Vintage"'
    )
    assert (
        parse("search_s_card_us.html")["405512349876"].title
        == "Pokémon Karmesin – Nintendo Switch Spiel (Deutsch) – 日本語 対応"
    )


def test_listing_url_is_the_canonical_item_url_without_tracking() -> None:
    assert parse("search_s_item_us.html")["296512345678"].url == "https://www.ebay.com/itm/296512345678"
    assert parse("search_s_item_us.html")["115987654321"].url == "https://www.ebay.com/itm/115987654321"  # slug link


@pytest.mark.parametrize(
    ("page", "item_id", "bids", "time_left"),
    [
        ("search_s_item_us.html", "296512345678", 12, timedelta(days=2, hours=4)),
        ("search_s_card_us.html", "389012345671", 18, timedelta(days=1, hours=3)),
        ("search_s_card_de.html", "145678901234", 7, timedelta(days=2, hours=4)),
    ],
)
def test_auction_carries_bids_and_its_end_from_the_time_left(
    page: str, item_id: str, bids: int, time_left: timedelta
) -> None:
    listing = parse(page)[item_id]
    assert listing.extra["bids"] == bids
    assert listing.ends_at == (NOW + time_left).replace(second=0)
    assert listing.ends_at.tzinfo is not None


def test_fixed_price_listing_has_no_bids_and_no_end() -> None:
    listing = parse("search_s_item_us.html")["175566778899"]
    assert "bids" not in listing.extra
    assert listing.ends_at is None


@pytest.mark.parametrize(
    ("page", "item_id", "price"),
    [
        ("search_s_item_us.html", "134298765432", Decimal("349.99")),  # "$349.99 to $419.99"
        ("search_s_card_us.html", "266789012345", Decimal("24.99")),  # "$24.99 to $39.99"
        ("search_s_card_de.html", "305566778812", Decimal("12.99")),  # "EUR 12,99 bis EUR 24,99"
    ],
)
def test_price_range_keeps_its_low_end(page: str, item_id: str, price: Decimal) -> None:
    assert parse(page)[item_id].price == price


@pytest.mark.parametrize(
    ("page", "item_id", "price", "original"),
    [
        ("search_s_item_us.html", "134298765432", Decimal("349.99"), Decimal("529.99")),
        ("search_s_card_us.html", "266789012345", Decimal("24.99"), Decimal("49.99")),
        ("search_s_card_de.html", "226512340987", Decimal("1049.00"), Decimal("1299.00")),
    ],
)
def test_struck_out_was_price_is_the_original_price_never_the_price(
    page: str, item_id: str, price: Decimal, original: Decimal
) -> None:
    listing = parse(page)[item_id]
    assert (listing.price, listing.original_price) == (price, original)


def test_see_price_item_has_no_price_rather_than_a_wrong_one() -> None:
    listing = parse("search_s_item_us.html")["115987654321"]
    assert listing.price is None
    assert listing.currency == "USD"


@pytest.mark.parametrize(
    ("page", "item_id", "shipping"),
    [
        ("search_s_item_us.html", "296512345678", Decimal("5.89")),  # "+$5.89 shipping"
        ("search_s_item_us.html", "134298765432", Decimal("0")),  # "Free shipping"
        ("search_s_item_us.html", "175566778899", Decimal("0")),  # "Free 3 day shipping"
        ("search_s_item_us.html", "256398712345", Decimal("2.49")),  # beside a "Free shipping over $50" promo
        ("search_s_item_us.html", "115987654321", None),  # "Shipping not specified"
        ("search_s_card_us.html", "389012345671", Decimal("12.35")),  # "+$12.35 delivery"
        ("search_s_card_us.html", "266789012345", Decimal("0")),  # "Free delivery in 2-4 days"
        ("search_s_card_us.html", "197703456789", None),  # "Free delivery on orders over $35"
        ("search_s_card_de.html", "226512340987", Decimal("0")),  # "Kostenloser Versand"
        ("search_s_card_de.html", "145678901234", Decimal("4.99")),  # "+EUR 4,99 Versand"
        ("search_s_item_au.html", "354987612345", Decimal("12.00")),  # "+AU $12.00 postage"
        ("search_s_item_au.html", "166012398765", Decimal("0")),  # "Free postage"
    ],
)
def test_shipping_cost_from_the_shipping_line(page: str, item_id: str, shipping: Decimal | None) -> None:
    assert parse(page)[item_id].shipping == shipping


def test_promotional_free_shipping_line_is_never_read_as_the_price() -> None:
    assert parse("search_s_item_us.html")["256398712345"].price == Decimal("8.99")


def test_lazily_loaded_image_uses_the_real_picture_and_a_placeholder_means_none() -> None:
    old, new = parse("search_s_item_us.html"), parse("search_s_card_us.html")
    assert old["134298765432"].image_url == "https://i.ebayimg.com/thumbs/images/g/kY8AAOSwq7Fk3Ll9/s-l300.webp"
    assert old["256398712345"].image_url is None  # only the 1x2 gif
    assert new["405512349876"].image_url is None  # only an inline data: image


def test_s_item_picture_is_found_in_the_2023_image_wrapper_and_its_lazy_attributes() -> None:
    listings = parse("search_s_item_de_pictures.html")
    assert {item_id: listing.image_url for item_id, listing in listings.items()} == {
        "275501234561": "https://i.ebayimg.com/thumbs/images/g/Hn4AAOSwq1Bk7Xy2/s-l225.webp",  # a bare <img>
        "166209876542": "https://i.ebayimg.com/thumbs/images/g/Pq7AAOSwz3Nl2Ab5/s-l225.webp",  # data-src, not the gif
        "335123450987": "https://i.ebayimg.com/thumbs/images/g/Vw2AAOSwk5Rm9Cd3/s-l225.webp",  # srcset, not data:
        "404987650123": None,  # only the placeholder gif
    }


def test_condition_location_and_seller_of_both_markups() -> None:
    old, new = parse("search_s_item_us.html")["296512345678"], parse("search_s_card_us.html")["389012345671"]
    assert (old.condition, old.location, old.seller) == ("Pre-Owned", "United States", "phonedepot_us")
    assert (new.condition, new.location, new.seller) == ("Pre-Owned", "United States", "gamexchange")
    assert parse("search_s_card_de.html")["145678901234"].location == "Österreich"


def test_ebay_de_number_format_and_currency_are_recognised_from_the_item_links() -> None:
    listing = parse("search_s_card_de.html")["226512340987"]
    assert (listing.price, listing.currency) == (Decimal("1049.00"), "EUR")
    assert listing.url == "https://www.ebay.de/itm/226512340987"
    assert listing.seller == "notebook-outlet"


def test_ebay_australia_dollars_are_aud() -> None:
    listings = parse("search_s_item_au.html", source_url="https://www.ebay.com.au/sch/i.html?_nkw=kindle")
    assert [(listing.price, listing.currency) for listing in listings.values()] == [
        (Decimal("1234.50"), "AUD"),
        (Decimal("95.00"), "AUD"),
    ]
    assert listings["354987612345"].url == "https://www.ebay.com.au/itm/354987612345"


def test_no_exact_matches_page_is_a_genuine_zero_result() -> None:
    assert parse("search_no_exact_matches.html") == {}


def test_bot_check_page_answered_with_200_is_a_blocked_error() -> None:
    with pytest.raises(ScanError) as raised:
        parse("bot_check.html")
    assert raised.value.error_class is ErrorClass.BLOCKED


def test_results_page_carrying_an_invisible_recaptcha_is_read_not_taken_for_a_bot_check() -> None:
    listings = parse("search_s_card_recaptcha_us.html")
    assert list(listings) == ["398811223344", "177722334455"]
    assert listings["398811223344"].price == Decimal("429.00")


def test_result_list_of_unknown_cards_is_markup_changed_not_zero_results() -> None:
    with pytest.raises(ScanError) as raised:
        parse("search_changed_markup.html")
    assert raised.value.error_class is ErrorClass.MARKUP_CHANGED


@pytest.mark.parametrize(
    "body",
    [
        "",
        "<html><body><p>Hello</p></body></html>",
        "<<<>>>",
        "{",
        "[1, 2]",
        '{"itemSummaries": [{"price": 3}]}',
        "null",
    ],
)
def test_unreadable_input_raises_markup_changed_and_nothing_else(body: str) -> None:
    with pytest.raises(ScanError) as raised:
        EbayAdapter(load_settings()).parse(body)
    assert raised.value.error_class is ErrorClass.MARKUP_CHANGED


def test_web_search_asks_for_newest_first_with_price_and_condition_and_stops_on_the_last_page() -> None:
    client = FakeClient(by_path({"/sch/i.html": [fixture("search_s_item_us.html"), fixture("search_s_card_us.html")]}))
    query = SearchQuery(
        "iphone 13", min_price=Decimal("100"), max_price=Decimal("650.50"), condition="used", max_pages=5
    )
    listings = EbayAdapter(load_settings(), clock=lambda: NOW).search(query, client)
    assert [call.url for call in client.calls] == ["https://www.ebay.com/sch/i.html"] * 2  # page 2 has no "next"
    assert client.calls[1].params == {
        "_nkw": "iphone 13",
        "_sop": "10",
        "_pgn": "2",
        "_udlo": "100",
        "_udhi": "650.50",
        "LH_ItemCondition": "2990|3000|3010|4000|5000|6000",
    }
    assert len(listings) == 9


def test_web_search_in_euros_runs_on_ebay_de() -> None:
    client = FakeClient(by_path({"/sch/i.html": [fixture("search_s_card_de.html")]}))
    listings = EbayAdapter(load_settings()).search(SearchQuery("thinkpad", currency="EUR", max_pages=1), client)
    assert client.calls[0].url == "https://www.ebay.de/sch/i.html"
    assert {listing.currency for listing in listings} == {"EUR"}


def test_search_in_a_currency_no_ebay_site_uses_is_a_configuration_error() -> None:
    with pytest.raises(ScanError) as raised:
        EbayAdapter(load_settings()).search(SearchQuery("kindle", currency="JPY"), FakeClient(by_path({})))
    assert raised.value.error_class is ErrorClass.CONFIGURATION


# -- the Browse API --------------------------------------------------------------------------------


@dataclass
class MemoryQuota:
    """Today's count kept in memory, for the rules of spending it without a database."""

    calls: int = 0

    def status(self, limit: int) -> QuotaStatus:
        return QuotaStatus("ebay", NOW.date(), self.calls, limit)

    def record_call(self) -> None:
        self.calls += 1


def api_settings(**settings: Any) -> Settings:
    """Credentials of their own (the token cache is process-wide, keyed by app id)."""
    return load_settings(ebay_app_id=f"DealScou-test-{uuid.uuid4().hex[:8]}", ebay_cert_id="PRD-5ecret", **settings)


def api_adapter(quota: MemoryQuota | None = None, clock: Clock | None = None, **settings: Any) -> EbayAdapter:
    return EbayAdapter(api_settings(**settings), quota=quota or MemoryQuota(), clock=clock or Clock(NOW))


def api_client(*pages: str, tokens: int = 1) -> FakeClient:
    return FakeClient(
        by_path({"/identity/v1/oauth2/token": [TOKEN_BODY] * tokens, "/buy/browse/v1/item_summary/search": list(pages)})
    )


def test_api_item_fields_map_to_the_listing() -> None:
    listings = parse("browse_search_page1.json")
    auction, variation, calculated = listings["296512345678"], listings["134298765432"], listings["256398712345"]
    assert (auction.price, auction.currency, auction.shipping) == (Decimal("305.00"), "USD", Decimal("5.89"))
    assert auction.extra["bids"] == 12
    assert auction.ends_at == datetime(2026, 3, 7, 19, 45, tzinfo=UTC)
    assert (auction.seller, auction.location, auction.condition) == ("phonedepot_us", "331**, US", "Used")
    assert (variation.price, variation.original_price, variation.shipping) == (
        Decimal("349.99"),
        Decimal("529.99"),
        Decimal("0.00"),
    )
    assert variation.location == "Miami, Florida, 331**, US"
    assert variation.extra["item_group_type"] == "SELLER_DEFINED_VARIATIONS"
    assert (calculated.shipping, calculated.image_url) == (None, None)  # calculated shipping, no picture
    assert calculated.title == 'Hülle für iPhone 13 – Magnetisch, Café Braun, Leder "Vintage"'


def test_api_and_web_page_give_the_same_item_the_same_id_and_url() -> None:
    from_api = {item_id: listing.url for item_id, listing in parse("browse_search_page1.json").items()}
    from_web = {item_id: listing.url for item_id, listing in parse("search_s_item_us.html").items()}
    assert from_api == {item_id: url for item_id, url in from_web.items() if item_id in from_api}
    assert set(from_api) <= set(from_web)


def test_api_without_results_is_a_genuine_zero() -> None:
    assert parse("browse_search_empty.json") == {}


def test_api_search_sends_query_filter_sort_and_marketplace() -> None:
    client = api_client(fixture("browse_search_empty.json"))
    query = SearchQuery("iphone 13", min_price=Decimal("100"), max_price=Decimal("500"), condition="new", max_pages=1)
    api_adapter().search(query, client)
    search = client.calls[1]
    assert search.url == "https://api.ebay.com/buy/browse/v1/item_summary/search"
    assert search.params == {
        "q": "iphone 13",
        "limit": "200",
        "sort": "newlyListed",
        "filter": "buyingOptions:{FIXED_PRICE|AUCTION},price:[100..500],priceCurrency:USD,conditionIds:{1000|1500|1750}",
    }
    assert search.headers["X-EBAY-C-MARKETPLACE-ID"] == "EBAY_US"
    assert search.headers["Authorization"] == f"Bearer {TOKEN}"


def test_api_filter_with_only_a_maximum_price_leaves_the_minimum_open() -> None:
    client = api_client(fixture("browse_search_empty.json"))
    api_adapter().search(SearchQuery("kindle", max_price=Decimal("80"), currency="GBP"), client)
    assert client.calls[1].params["filter"] == "buyingOptions:{FIXED_PRICE|AUCTION},price:[..80],priceCurrency:GBP"
    assert client.calls[1].headers["X-EBAY-C-MARKETPLACE-ID"] == "EBAY_GB"


def test_token_request_uses_client_credentials_with_basic_auth() -> None:
    client = api_client(fixture("browse_search_empty.json"))
    adapter = api_adapter(ebay_env="sandbox")
    adapter.search(SearchQuery("kindle"), client)
    token = client.calls[0]
    assert token.url == "https://api.sandbox.ebay.com/identity/v1/oauth2/token"
    assert token.data == {"grant_type": "client_credentials", "scope": "https://api.ebay.com/oauth/api_scope"}
    assert token.auth is not None and token.auth[1] == "PRD-5ecret"
    assert client.calls[1].url.startswith("https://api.sandbox.ebay.com/")


def test_one_token_serves_two_searches() -> None:
    settings = api_settings()
    client = api_client(fixture("browse_search_empty.json"), fixture("browse_search_empty.json"))
    for _ in range(2):  # a fresh adapter per scan, as get_adapter() gives
        EbayAdapter(settings, quota=MemoryQuota(), clock=Clock(NOW)).search(SearchQuery("kindle"), client)
    assert client.paths() == [
        "/identity/v1/oauth2/token",
        "/buy/browse/v1/item_summary/search",
        "/buy/browse/v1/item_summary/search",
    ]


def test_token_is_renewed_shortly_before_it_expires() -> None:
    clock = Clock(NOW)
    client = api_client(*[fixture("browse_search_empty.json")] * 3, tokens=2)
    adapter = api_adapter(clock=clock)
    adapter.search(SearchQuery("kindle"), client)
    clock.now = NOW + timedelta(minutes=100)  # token valid for 120 minutes
    adapter.search(SearchQuery("kindle"), client)
    clock.now = NOW + timedelta(minutes=116)  # within the refresh margin
    adapter.search(SearchQuery("kindle"), client)
    assert client.paths().count("/identity/v1/oauth2/token") == 2


def test_api_search_follows_next_until_the_last_page() -> None:
    client = api_client(fixture("browse_search_page1.json"), fixture("browse_search_page2.json"))
    listings = api_adapter().search(SearchQuery("iphone 13", max_pages=5), client)
    searches = client.calls[1:]
    assert [call.url for call in searches] == [
        "https://api.ebay.com/buy/browse/v1/item_summary/search",
        "https://api.ebay.com/buy/browse/v1/item_summary/search?q=iphone+13&limit=3&sort=newlyListed&offset=3",
    ]
    assert searches[1].params == {}  # `next` already carries every parameter
    assert len(listings) == 5


def test_api_search_stops_at_max_pages() -> None:
    client = api_client(fixture("browse_search_page1.json"), fixture("browse_search_page2.json"))
    listings = api_adapter().search(SearchQuery("iphone 13", max_pages=1), client)
    assert len(listings) == 3
    assert len(client.calls) == 2


def test_every_api_call_counts_against_the_daily_quota_token_calls_too() -> None:
    quota = MemoryQuota()
    client = api_client(fixture("browse_search_page1.json"), fixture("browse_search_page2.json"))
    api_adapter(quota).search(SearchQuery("iphone 13", max_pages=5), client)
    assert quota.calls == 3


def test_above_80_percent_of_the_quota_only_the_first_page_is_fetched() -> None:
    quota = MemoryQuota(calls=80)
    client = api_client(fixture("browse_search_page1.json"), fixture("browse_search_page2.json"))
    listings = api_adapter(quota, ebay_daily_call_limit=100).search(SearchQuery("iphone 13", max_pages=5), client)
    assert len(listings) == 3
    assert quota.calls == 82  # token + one page


def test_exhausted_quota_stops_the_search_without_calling_ebay() -> None:
    quota = MemoryQuota(calls=100)
    client = api_client(fixture("browse_search_page1.json"))
    with pytest.raises(ScanError) as raised:
        api_adapter(quota, ebay_daily_call_limit=100).search(SearchQuery("iphone 13"), client)
    assert raised.value.error_class is ErrorClass.QUOTA_EXHAUSTED
    assert (
        raised.value.args[0] == "ebay: 100 of 100 API calls used on 2026-03-05 (UTC); calls resume after midnight UTC"
    )
    assert client.calls == []
    assert quota.calls == 100


def test_quota_running_out_between_pages_keeps_what_was_found_and_calls_no_more() -> None:
    quota = MemoryQuota(calls=7)  # 78%: full paging allowed, but only 2 calls left
    client = api_client(fixture("browse_search_page1.json"), fixture("browse_search_page2.json"))
    listings = api_adapter(quota, ebay_daily_call_limit=9).search(SearchQuery("iphone 13", max_pages=5), client)
    assert len(listings) == 3
    assert client.paths() == ["/identity/v1/oauth2/token", "/buy/browse/v1/item_summary/search"]
    assert quota.calls == 9


def test_api_calls_are_counted_in_the_database_quota_a_scan_passes_in(engine: Engine) -> None:
    record_calls(engine, "ebay", 80, NOW)
    client = api_client(fixture("browse_search_page1.json"), fixture("browse_search_page2.json"))
    quota = DatabaseQuota(engine, "ebay", Clock(NOW))
    adapter = EbayAdapter(api_settings(ebay_daily_call_limit=100), quota=quota, clock=Clock(NOW))
    assert len(adapter.search(SearchQuery("iphone 13", max_pages=5), client)) == 3  # 80 %: one page
    assert calls_today(engine, "ebay", NOW) == 82


def test_the_registry_hands_the_adapter_the_callers_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanner.marketplaces.ebay, "get_settings", api_settings)
    quota = MemoryQuota()
    get_adapter("ebay", quota=quota).search(SearchQuery("kindle"), api_client(fixture("browse_search_empty.json")))
    assert quota.calls == 2


def test_an_api_search_without_a_quota_is_refused_before_calling_ebay() -> None:
    client = api_client(fixture("browse_search_empty.json"))
    with pytest.raises(ScanError) as raised:
        EbayAdapter(api_settings()).search(SearchQuery("kindle"), client)
    assert raised.value.error_class is ErrorClass.INTERNAL
    assert client.calls == []


@pytest.mark.parametrize(("category", "sent"), [("33034", "33034"), ("msa", None), (None, None)])
def test_a_numeric_category_is_searched_on_ebay(category: str | None, sent: str | None) -> None:
    api = api_client(fixture("browse_search_empty.json"))
    api_adapter().search(SearchQuery("telecaster", category=category, max_pages=1), api)
    assert api.calls[1].params.get("category_ids") == sent
    web = FakeClient(by_path({"/sch/i.html": [fixture("search_no_exact_matches.html")]}))
    EbayAdapter(load_settings()).search(SearchQuery("telecaster", category=category, max_pages=1), web)
    assert web.calls[0].params.get("_sacat") == sent


@pytest.mark.parametrize(
    ("bids", "time_left", "extra", "ends_in"),
    [
        ("1" * 16_000 + " bids", "2d 4h left", {}, timedelta(days=2, hours=4)),  # took 16.7 s, then int() broke
        ("12 bids", "8" * 8_000 + "d left", {"bids": 12}, None),  # took 9.4 s
        ("12 bids", "(" * 10_000 + "2d 4h left", {"bids": 12}, timedelta(days=2, hours=4)),
        ("12 bids", "1d 1d 1d 1d 1d 1d 1d " * 500, {"bids": 12}, timedelta(days=4)),  # no end past year 9999
    ],
)
def test_an_absurd_bid_count_or_time_left_is_no_bid_count_or_end_and_costs_the_page_nothing(
    bids: str, time_left: str, extra: dict[str, int], ends_in: timedelta | None
) -> None:
    page = fixture("search_s_item_us.html").replace("12 bids", bids).replace("2d 4h left", time_left)
    listings = EbayAdapter(load_settings(), clock=lambda: NOW).parse(page)
    auction = next(listing for listing in listings if listing.external_id == "296512345678")
    assert {key: value for key, value in auction.extra.items() if key == "bids"} == extra
    assert auction.ends_at == ((NOW + ends_in).replace(second=0) if ends_in else None)
    assert len(listings) == len(parse("search_s_item_us.html"))
