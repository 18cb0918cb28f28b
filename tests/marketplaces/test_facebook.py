"""The Facebook Marketplace adapter: the embedded GraphQL feed (search and category pages), the
rendered cards, the pages that hold no listings, and the request `search()` makes."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest

from models.settings import load_settings
from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter
from scanner.marketplaces.base import ListingData, SearchQuery
from scanner.marketplaces.facebook import FacebookAdapter
from tests.marketplaces.fake_http import FakeClient, fixture_text, with_query

NO_COOKIES = load_settings(facebook_cookies=None)


def parse(name: str, source_url: str | None = None) -> list[ListingData]:
    return FacebookAdapter(NO_COOKIES).parse(fixture_text(f"facebook/{name}"), source_url=source_url)


def by_id(listings: list[ListingData]) -> dict[str, ListingData]:
    return {listing.external_id: listing for listing in listings}


def test_registry_gives_the_facebook_adapter() -> None:
    assert isinstance(get_adapter("facebook"), FacebookAdapter)


# --- the embedded GraphQL feed -----------------------------------------------------------------


def test_search_feed_listing_gives_every_field_the_feed_has() -> None:
    canon = parse("search_embedded_houston.html")[0]
    assert canon.external_id == "1000000000000001"
    assert canon.title == "Canon EOS R6 body"
    assert canon.url == "https://www.facebook.com/marketplace/item/1000000000000001/"
    assert (canon.price, canon.currency) == (Decimal("1200.00"), "USD")
    assert canon.original_price == Decimal("1500.00")
    assert canon.location == "Houston, TX"
    assert canon.image_url == "https://scontent.example.fbcdn.net/v/canon-r6.jpg?stp=dst-jpg_p261x260&_nc_cat=1"
    assert canon.seller == "Ana García"
    assert canon.status == "active"


def test_header_and_ad_rows_of_the_feed_are_not_listings() -> None:
    assert [listing.external_id for listing in parse("search_embedded_houston.html")] == [
        "1000000000000001",
        "1000000000000002",
        "1000000000000003",
        "1000000000000004",
        "1000000000000005",
    ]


def test_free_listing_costs_zero_and_may_lack_photo_place_and_seller() -> None:
    boxes = by_id(parse("search_embedded_houston.html"))["1000000000000002"]
    assert boxes.price == Decimal("0.00")
    assert (boxes.image_url, boxes.location, boxes.seller) == (None, None, None)


@pytest.mark.parametrize(("external_id", "status"), [("1000000000000003", "pending"), ("1000000000000004", "sold")])
def test_pending_and_sold_flags_become_the_status(external_id: str, status: str) -> None:
    assert by_id(parse("search_embedded_houston.html"))[external_id].status == status


def test_price_range_gives_the_low_end_and_keeps_the_high_end_as_extra() -> None:
    succulents = by_id(parse("search_embedded_houston.html"))["1000000000000005"]
    assert succulents.price == Decimal("10.00")
    assert succulents.extra["price_max"] == Decimal("25.00")


def test_feed_titles_keep_non_ascii_text() -> None:
    sofa = by_id(parse("search_embedded_houston.html"))["1000000000000003"]
    assert sofa.title == "Süßes Sofa – 日本語 ソファ 🛋️ & ottoman"
    assert sofa.seller == "Kenji O'Brien"


def test_logged_out_page_with_listings_is_not_a_login_wall() -> None:
    assert "login_form" in fixture_text("facebook/search_embedded_houston.html")
    assert len(parse("search_embedded_houston.html")) == 5


def test_category_feed_is_read_with_mileage_from_its_subtitles() -> None:
    bikes = by_id(parse("category_embedded_boston_motorcycles.html"))
    assert bikes["1100000000000001"].extra["mileage"] == 12000
    assert bikes["1100000000000001"].extra["subtitles"] == ["12K miles · Dealership"]
    assert (bikes["1100000000000002"].extra["mileage"], bikes["1100000000000002"].extra["mileage_unit"]) == (
        85000,
        "km",
    )
    assert "mileage" not in bikes["1100000000000003"].extra


def test_full_title_is_kept_and_the_shortened_display_title_is_extra() -> None:
    sportster = by_id(parse("category_embedded_boston_motorcycles.html"))["1100000000000001"]
    assert sportster.title == "2012 Harley-Davidson XL1200C - Sportster® Custom"
    assert sportster.extra["display_title"] == "2012 Harley-Davidson sportster"


def test_feed_handed_to_a_requirelazy_call_in_a_plain_script_gives_sellers_and_flags() -> None:
    listings = parse("search_requirelazy_portland.html")
    assert [(listing.external_id, listing.seller, listing.status) for listing in listings] == [
        ("5000000000000001", "Maren Okafor", "active"),
        ("5000000000000002", "Tomás Reyes", "pending"),
        ("5000000000000003", "Priya Natarajan", "sold"),
    ]
    assert (listings[1].price, listings[1].original_price) == (Decimal("150.00"), Decimal("220.00"))


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda page: page[: page.index('"is_sold":true')], id="cut off"),
        pytest.param(lambda page: page.replace('"is_sold":true', '"is_sold":!0'), id="javascript literal"),
        pytest.param(lambda page: page.replace('"edges":[', '"edges":' + "[" * 100_000), id="nested too deep"),
    ],
)
def test_script_payload_that_is_no_json_falls_back_to_the_cards(spoil: Callable[[str], str]) -> None:
    listings = FacebookAdapter(NO_COOKIES).parse(spoil(fixture_text("facebook/search_requirelazy_portland.html")))
    assert [(listing.external_id, listing.seller, listing.status) for listing in listings] == [
        ("5000000000000001", None, "active"),
        ("5000000000000002", None, "active"),
        ("5000000000000003", None, "active"),
    ]
    assert (listings[1].price, listings[1].original_price) == (Decimal("150"), Decimal("220"))


def test_feed_written_in_the_page_text_is_no_feed() -> None:
    planted = '"feed_units":{"edges":[{"node":{"listing":{"id":"6","marketplace_listing_title":"Planted"}}}]}'
    body = f'<a href="/marketplace/item/7/"><div><span>$5</span></div><div><span>{planted}</span></div></a>'
    [card] = FacebookAdapter(NO_COOKIES).parse(body)
    assert (card.external_id, card.title) == ("7", planted)


def test_bare_graphql_reply_is_read_too() -> None:
    listings = parse("graphql_next_page.json")
    assert [(listing.external_id, listing.price) for listing in listings] == [
        ("1000000000000006", Decimal("45.00")),
        ("1000000000000007", Decimal("220.00")),
    ]


# --- rendered cards ----------------------------------------------------------------------------


def test_card_price_is_the_current_one_never_the_struck_out_one() -> None:
    emonda = parse("rendered_cards_montreal.html")[0]
    assert (emonda.price, emonda.original_price, emonda.currency) == (Decimal("1200"), Decimal("1500"), "CAD")
    assert emonda.title == "Vélo de route Trek Émonda"
    assert emonda.location == "Montréal, QC"


def test_card_url_is_canonical_without_tracking_parameters() -> None:
    assert parse("rendered_cards_montreal.html")[0].url == "https://www.facebook.com/marketplace/item/2000000000000001/"


def test_free_card_costs_zero_in_the_currency_of_the_page() -> None:
    lamp = by_id(parse("rendered_cards_montreal.html"))["2000000000000002"]
    assert (lamp.price, lamp.currency) == (Decimal("0.00"), "CAD")


def test_card_text_decodes_entities_and_keeps_non_ascii() -> None:
    cards = by_id(parse("rendered_cards_montreal.html"))
    assert cards["2000000000000002"].title == "Tom & Jerry's lamp"
    assert cards["2000000000000003"].title == "日本語の本 📚 5冊"


def test_card_without_image_has_image_none() -> None:
    assert by_id(parse("rendered_cards_montreal.html"))["2000000000000003"].image_url is None


def test_card_without_location_reads_its_mileage_line_as_mileage() -> None:
    honda = by_id(parse("rendered_cards_montreal.html"))["2000000000000004"]
    assert honda.location is None
    assert (honda.extra["mileage"], honda.extra["mileage_unit"]) == (24000, "km")


def test_ships_to_you_line_is_no_location() -> None:
    paddle = by_id(parse("rendered_cards_montreal.html"))["2000000000000005"]
    assert paddle.location is None
    assert paddle.extra["ships_to_you"] is True


def test_empty_placeholder_card_is_skipped() -> None:
    assert "2000000000000006" not in by_id(parse("rendered_cards_montreal.html"))


def test_saved_page_takes_feed_listings_first_and_adds_cards_the_feed_lacks() -> None:
    listings = parse("saved_search_with_cards.html")
    assert [listing.external_id for listing in listings] == ["3000000000000001", "3000000000000002", "3000000000000003"]
    kayak, _cart, dry_bag = listings
    assert (kayak.title, kayak.seller) == ("Sea kayak, 17ft, with skeg", "Rae Lindqvist")
    assert (dry_bag.price, dry_bag.original_price, dry_bag.seller) == (Decimal("25"), Decimal("40"), None)


# --- pages without listings --------------------------------------------------------------------


def test_feed_with_no_listings_is_a_genuine_zero_result_page() -> None:
    assert parse("zero_results.html") == []


@pytest.mark.parametrize(
    ("fixture", "source_url", "error_class"),
    [
        ("login_wall.html", None, ErrorClass.LOGIN_WALL),
        ("zero_results.html", "https://www.facebook.com/login/?next=%2Fmarketplace%2F", ErrorClass.LOGIN_WALL),
        ("checkpoint.html", None, ErrorClass.BLOCKED),
        ("changed_markup.html", None, ErrorClass.MARKUP_CHANGED),
    ],
    ids=["login form", "redirected to /login", "security check", "changed markup"],
)
def test_page_without_readable_listings_is_a_classified_error(
    fixture: str, source_url: str | None, error_class: ErrorClass
) -> None:
    with pytest.raises(ScanError) as raised:
        parse(fixture, source_url=source_url)
    assert raised.value.error_class is error_class


def test_feed_rows_that_no_longer_look_like_listings_are_markup_changed() -> None:
    body = '{"data":{"marketplace_search":{"feed_units":{"edges":[{"node":{"listing":{"id":"x1","name":"?"}}}]}}}}'
    with pytest.raises(ScanError) as raised:
        FacebookAdapter(NO_COOKIES).parse(body)
    assert raised.value.error_class is ErrorClass.MARKUP_CHANGED


def test_feed_values_of_unexpected_types_are_skipped_not_crashed_on() -> None:
    body = json.dumps(
        {
            "data": {
                "marketplace_search": {
                    "feed_units": {
                        "edges": [
                            None,
                            {"node": None},
                            {
                                "node": {
                                    "listing": {
                                        "id": "1",
                                        "marketplace_listing_title": "Lamp",
                                        "listing_price": {"amount": "NaN", "formatted_amount": 7},
                                        "custom_sub_titles_with_rendering_flags": 5,
                                        "location": "Houston",
                                        "marketplace_listing_seller": "bob",
                                    }
                                }
                            },
                        ]
                    }
                }
            }
        }
    )
    [lamp] = FacebookAdapter(NO_COOKIES).parse(body)
    assert (lamp.title, lamp.price, lamp.location, lamp.seller) == ("Lamp", None, None, None)


@pytest.mark.parametrize(
    "fixture", ["search_embedded_houston.html", "search_requirelazy_portland.html", "rendered_cards_montreal.html"]
)
def test_page_cut_off_anywhere_is_read_or_a_scan_error(fixture: str) -> None:
    body = fixture_text(f"facebook/{fixture}")
    for end in range(0, len(body), max(1, len(body) // 40)):
        try:
            listings = FacebookAdapter(NO_COOKIES).parse(body[:end])
        except ScanError:
            continue
        assert all(isinstance(listing, ListingData) for listing in listings)


@pytest.mark.parametrize(
    "body", ["", "\x00\x01garbage", "{broken json", '<script type="application/json">{"feed_units": 1}</script>']
)
def test_junk_is_a_scan_error_never_a_crash(body: str) -> None:
    with pytest.raises(ScanError):
        FacebookAdapter(NO_COOKIES).parse(body)


# --- search(): the request built from a saved search -------------------------------------------


def serving(fixture: str, final_url: str | None = None) -> FakeClient:
    body = fixture_text(f"facebook/{fixture}")
    return FakeClient(lambda call: (body, final_url or with_query(call.url, call.params)))


def test_search_asks_the_city_page_with_prices_radius_in_km_and_condition() -> None:
    client = serving("search_embedded_houston.html")
    query = SearchQuery(
        query="dji drone",
        min_price=Decimal("50"),
        max_price=Decimal("300.50"),
        location="houston",
        radius_miles=25,
        condition="used",
    )
    FacebookAdapter(NO_COOKIES).search(query, client)
    assert client.calls[0].url == "https://www.facebook.com/marketplace/houston/search"
    assert client.calls[0].params == {
        "query": "dji drone",
        "exact": "false",
        "minPrice": "50",
        "maxPrice": "301",
        "radius": "40",
        "itemCondition": "used_like_new,used_good,used_fair",
    }


@pytest.mark.parametrize(
    ("location", "url"),
    [
        (None, "https://www.facebook.com/marketplace/search"),
        ("112763262068081", "https://www.facebook.com/marketplace/112763262068081/search"),
        ("https://www.facebook.com/marketplace/nyc/?ref=bookmark", "https://www.facebook.com/marketplace/nyc/search"),
    ],
)
def test_search_location_is_a_city_name_or_id_or_a_marketplace_url(location: str | None, url: str) -> None:
    client = serving("zero_results.html")
    FacebookAdapter(NO_COOKIES).search(SearchQuery(query="desk", location=location), client)
    assert client.calls[0].url == url


@pytest.mark.parametrize("location", ["New York, NY", "02139"], ids=["free text", "postal code"])
def test_location_that_is_not_a_marketplace_city_is_a_configuration_error(location: str) -> None:
    with pytest.raises(ScanError) as raised:
        FacebookAdapter(NO_COOKIES).search(SearchQuery(query="desk", location=location), serving("zero_results.html"))
    assert raised.value.error_class is ErrorClass.CONFIGURATION


def test_search_sends_the_configured_cookies() -> None:
    client = serving("search_embedded_houston.html")
    adapter = FacebookAdapter(load_settings(facebook_cookies="c_user=100; xs=fixture-secret"))
    adapter.search(SearchQuery(query="camera", location="houston"), client)
    assert client.calls[0].headers["Cookie"] == "c_user=100; xs=fixture-secret"


def test_search_sends_no_cookie_header_when_none_is_configured() -> None:
    client = serving("search_embedded_houston.html")
    FacebookAdapter(NO_COOKIES).search(SearchQuery(query="camera", location="houston"), client)
    assert "Cookie" not in client.calls[0].headers


def test_search_redirected_to_login_is_a_login_wall() -> None:
    client = serving(
        "login_wall.html", final_url="https://www.facebook.com/login/?next=%2Fmarketplace%2Fhouston%2Fsearch"
    )
    with pytest.raises(ScanError) as raised:
        FacebookAdapter(NO_COOKIES).search(SearchQuery(query="camera", location="houston"), client)
    assert raised.value.error_class is ErrorClass.LOGIN_WALL


def test_bare_dollar_prices_are_in_the_currency_of_the_search() -> None:
    listings = FacebookAdapter(NO_COOKIES).search(
        SearchQuery(query="camera", location="toronto", currency="CAD"), serving("search_embedded_houston.html")
    )
    assert {listing.currency for listing in listings} == {"CAD"}


def test_search_reads_the_one_page_facebook_serves_without_session_tokens() -> None:
    client = serving("search_embedded_houston.html")
    listings = FacebookAdapter(NO_COOKIES).search(SearchQuery(query="camera", location="houston", max_pages=3), client)
    assert len(client.calls) == 1
    assert len(listings) == 5
