"""The kijiji adapter: the Apollo cache of a results page, its rendered cards, the bare
`__NEXT_DATA__` JSON, the pages that hold no results, and the search URLs `search()` requests.

The fixtures in tests/fixtures/kijiji are hand-made (invented listings in kijiji.ca's shapes); the
last section reads the real captures in `../shared/fixtures/kijiji/` in place when they are there.
"""

from __future__ import annotations

import json
import logging
import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.marketplaces import get_adapter
from scanner.marketplaces.base import ListingData, SearchQuery
from scanner.marketplaces.kijiji import KijijiAdapter, keyword_slug, search_target
from tests.marketplaces.fake_http import FakeClient, fixture_text, in_turn

CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "kijiji"
BIKES = "search_apollo_ottawa_bikes.html"
TABLES = "search_cards_halifax_tables.html"


def parse(name: str) -> list[ListingData]:
    return KijijiAdapter().parse(fixture_text(f"kijiji/{name}"))


def by_id(listings: list[ListingData]) -> dict[str, ListingData]:
    return {listing.external_id: listing for listing in listings}


def test_registry_gives_the_kijiji_adapter() -> None:
    assert isinstance(get_adapter("kijiji"), KijijiAdapter)


# --- the Apollo cache ----------------------------------------------------------------------------


def test_cache_price_in_cents_reads_as_dollars_with_the_struck_out_price() -> None:
    trek = by_id(parse(BIKES))["1900000001"]
    assert (trek.price, trek.original_price, trek.currency) == (Decimal("650.00"), Decimal("800.00"), "CAD")
    assert trek.extra["price_drop"] is True


def test_cache_listing_gives_title_first_image_location_seller_and_posted_date() -> None:
    trek = by_id(parse(BIKES))["1900000001"]
    assert trek.title == "Trek Domane AL 2 road bike, 56cm"
    assert (
        trek.image_url
        == "https://media.kijiji.ca/api/v1/ca-prod-fsbo-ads/images/aa/aa-trek-front?rule=kijijica-200-jpg"
    )
    assert trek.location == "Ottawa"
    assert trek.extra["address"] == "Bank St, Ottawa, ON K1S 3V5"
    assert trek.seller == "5550001"  # the poster's id: results show no seller name
    assert trek.extra["posted_at"] == "2026-09-01T14:05:00+00:00"
    assert trek.condition == "used"


def test_relative_listing_link_becomes_absolute_without_tracking_or_fragment() -> None:
    trek = by_id(parse(BIKES))["1900000001"]
    assert trek.url == "https://www.kijiji.ca/v-road-bike/ottawa/trek-domane-al-2-road-bike-56cm/1900000001"


def test_listings_come_in_result_order_top_listings_first_each_once() -> None:
    assert [listing.external_id for listing in parse(BIKES)] == [
        "1900000005",
        "1900000001",
        "1900000002",
        "1900000003",
        "1900000006",
    ]


def test_any_typename_ending_in_listing_is_a_listing() -> None:
    allez = by_id(parse(BIKES))["1900000005"]  # cached as `Listing:1900000005`
    assert (allez.title, allez.price, allez.condition) == (
        "Specialized Allez Sport, 54cm, new tires",
        Decimal("1200.00"),
        "new",
    )
    assert allez.extra["promoted"] is True


def test_cached_listing_that_is_not_a_search_result_is_left_out() -> None:
    assert "1900000099" not in by_id(parse(BIKES))


@pytest.mark.parametrize(
    ("external_id", "price", "price_type"),
    [("1900000002", None, "CONTACT"), ("1900000006", None, "SWAP_TRADE"), ("1900000003", Decimal("0.00"), "GIVE_AWAY")],
    ids=["please contact", "swap or trade", "free"],
)
def test_price_without_an_amount_is_none_except_free_which_is_zero(
    external_id: str, price: Decimal | None, price_type: str
) -> None:
    listing = by_id(parse(BIKES))[external_id]
    assert (listing.price, listing.extra["price_type"]) == (price, price_type)


def test_cache_is_read_rather_than_the_cards_beside_it() -> None:
    allez = by_id(parse(BIKES))["1900000005"]
    assert allez.location == "Ottawa"  # its card says "Glebe, Ottawa"


def test_one_broken_listing_is_left_out_alone_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="scanner.marketplaces.kijiji"):
        listings = parse(BIKES)
    assert "1900000004" not in by_id(listings)  # it has no title
    assert len(listings) == 5
    assert "1900000004" in caplog.text


def test_bare_next_data_json_is_read_whatever_the_listing_type() -> None:
    civics = parse("next_data_calgary_civics.json")
    assert [civic.external_id for civic in civics] == ["1922000001", "1922000002"]
    owner, dealer = civics
    assert (owner.price, owner.currency, owner.extra["mileage"], owner.extra["mileage_unit"]) == (
        Decimal("13495.00"),
        "CAD",
        148000,
        "km",
    )
    assert (dealer.price, dealer.original_price) == (Decimal("21999.00"), Decimal("22999.00"))


# --- the rendered cards --------------------------------------------------------------------------


def test_card_gives_title_price_location_image_and_canonical_url() -> None:
    oak = parse(TABLES)[0]
    assert (oak.external_id, oak.title, oak.price, oak.currency, oak.location) == (
        "1911000001",
        "Solid oak dining table & 4 chairs",
        Decimal("450.00"),
        "CAD",
        "Dartmouth, Halifax",
    )
    assert (
        oak.url == "https://www.kijiji.ca/v-dining-table-set/city-of-halifax/solid-oak-dining-table-4-chairs/1911000001"
    )
    assert (
        oak.image_url == "https://media.kijiji.ca/api/v1/ca-prod-fsbo-ads/images/cc/cc-oak-table?rule=kijijica-400-webp"
    )


def test_card_with_a_relative_link_and_the_placeholder_image() -> None:
    glass = by_id(parse(TABLES))["1911000002"]
    assert glass.url == "https://www.kijiji.ca/v-dining-table-set/city-of-halifax/extendable-glass-table/1911000002"
    assert glass.image_url is None


@pytest.mark.parametrize(
    ("external_id", "price"),
    [("1911000002", None), ("1911000004", None), ("1911000003", Decimal("0.00"))],
    ids=["please contact", "swap or trade", "free"],
)
def test_card_price_without_an_amount_is_none_except_free_which_is_zero(
    external_id: str, price: Decimal | None
) -> None:
    assert by_id(parse(TABLES))[external_id].price == price


def test_card_without_a_link_is_left_out_alone() -> None:
    assert [listing.external_id for listing in parse(TABLES)] == [
        "1911000001",
        "1911000002",
        "1911000003",
        "1911000004",
    ]


def test_cut_off_cache_falls_back_to_the_cards() -> None:
    body = fixture_text(f"kijiji/{BIKES}")
    cut_off = body[: body.index('"ROOT_QUERY"')] + "</script></body></html>"
    listings = KijijiAdapter().parse(cut_off)
    assert [(listing.external_id, listing.location) for listing in listings] == [
        ("1900000005", "Glebe, Ottawa"),
        ("1900000001", "Old Ottawa South, Ottawa"),
    ]


# --- pages without listings ----------------------------------------------------------------------


def test_search_that_found_nothing_is_an_empty_list() -> None:
    assert parse("zero_results.html") == []


@pytest.mark.parametrize("fixture", ["changed_markup.html", "next_data_without_search.html"])
def test_page_without_cache_results_or_cards_is_markup_changed(fixture: str) -> None:
    with pytest.raises(ScanError) as caught:
        parse(fixture)
    assert caught.value.error_class is ErrorClass.MARKUP_CHANGED


def test_cache_none_of_whose_listings_reads_is_markup_changed_not_zero_results() -> None:
    data = json.loads(fixture_text("kijiji/next_data_calgary_civics.json"))
    for entry in data["props"]["pageProps"]["__APOLLO_STATE__"].values():
        entry.pop("title", None)
    with pytest.raises(ScanError) as caught:
        KijijiAdapter().parse(json.dumps(data))
    assert caught.value.error_class is ErrorClass.MARKUP_CHANGED


def test_bot_check_served_with_a_200_is_blocked() -> None:
    with pytest.raises(ScanError) as caught:
        parse("blocked_bot_check.html")
    assert caught.value.error_class is ErrorClass.BLOCKED


# --- search URLs and paging ----------------------------------------------------------------------


def page_url(query: SearchQuery, page: int = 1) -> str:
    return search_target(query).page_url(page)


def test_search_without_location_or_category_covers_canada_and_offered_ads_only() -> None:
    query = SearchQuery(query="Road bike 54cm")
    assert page_url(query) == "https://www.kijiji.ca/b-canada/road-bike-54cm/k0l0"
    assert search_target(query).params == {"ad": "offering"}


def test_category_and_location_given_as_slug_and_id() -> None:
    query = SearchQuery(query="honda civic", category="cars-trucks/174", location="city-of-toronto/l1700273")
    assert page_url(query) == "https://www.kijiji.ca/b-cars-trucks/city-of-toronto/honda-civic/k0c174l1700273"


def test_known_place_name_and_category_id() -> None:
    query = SearchQuery(query="honda civic", category="174", location="Toronto")
    assert page_url(query) == "https://www.kijiji.ca/b-cars-trucks/city-of-toronto/honda-civic/k0c174l1700273"


def test_later_pages_put_page_n_before_the_code() -> None:
    query = SearchQuery(query="honda civic", category="cars-trucks/174")
    assert page_url(query, 3) == "https://www.kijiji.ca/b-cars-trucks/canada/honda-civic/page-3/k0c174l0"


@pytest.mark.parametrize(
    ("low", "high", "price"),
    [
        (Decimal("99.50"), Decimal("500.20"), "99__501"),
        (None, Decimal("2500"), "__2500"),
        (Decimal("100"), None, "100__"),
    ],
)
def test_price_range_is_whole_dollars(low: Decimal | None, high: Decimal | None, price: str) -> None:
    assert search_target(SearchQuery(query="sofa", min_price=low, max_price=high)).params["price"] == price


def test_search_url_location_keeps_its_area_category_and_filters_but_not_its_page_or_tracking() -> None:
    url = "https://www.kijiji.ca/b-apartments-condos/greater-vancouver/page-4/c37l80003?ad=offering&price=__2500&utm_source=mail"
    target = search_target(SearchQuery(query="", location=url))
    assert target.page_url(1) == "https://www.kijiji.ca/b-apartments-condos/greater-vancouver/c37l80003"
    assert target.params == {"ad": "offering", "price": "__2500"}


def test_search_url_words_give_way_to_the_saved_search_words() -> None:
    url = "https://www.kijiji.ca/b-grand-montreal/guitar/k0l80002"
    assert (
        page_url(SearchQuery(query="bass amp", location=url))
        == "https://www.kijiji.ca/b-grand-montreal/bass-amp/k0l80002"
    )
    assert page_url(SearchQuery(query="", location=url)) == "https://www.kijiji.ca/b-grand-montreal/guitar/k0l80002"


def test_keywords_are_a_hyphenated_slug_with_non_ascii_letters_encoded() -> None:
    assert keyword_slug("  Vélo de route + casque ") == "v%C3%A9lo-de-route-casque"


@pytest.mark.parametrize(
    ("location", "category"),
    [("M5V 2T6", None), ("https://www.example.com/b-canada/x/k0l0", None), (None, "9999"), (None, "cars trucks")],
    ids=["postal code", "other site", "unknown category id", "category without id"],
)
def test_location_or_category_kijiji_cannot_take_is_a_configuration_error(
    location: str | None, category: str | None
) -> None:
    with pytest.raises(ScanError) as caught:
        search_target(SearchQuery(query="bike", location=location, category=category))
    assert caught.value.error_class is ErrorClass.CONFIGURATION


def results_page(ids: list[int], *, offset: int, total: int) -> str:
    """A minimal results page: the Apollo cache of `ids` with the search's pagination."""
    entries = {
        f"StandardListing:{id_}": {
            "__typename": "StandardListing",
            "id": str(id_),
            "title": f"Fixture sofa {id_}",
            "url": f"https://www.kijiji.ca/v-couch-futon/ottawa/fixture-sofa/{id_}",
            "price": {"__typename": "StandardAmountPrice", "type": "FIXED", "amount": 10000 + id_},
        }
        for id_ in ids
    }
    search = {
        "__typename": "SearchResultsPage",
        "pagination": {"offset": offset, "limit": 2, "totalCount": total},
        "results": {"mainListings": [{"__ref": key} for key in entries]},
    }
    cache = {"ROOT_QUERY": {"searchResultsPageByUrl:/b-fixture": search}, **entries}
    data = json.dumps({"props": {"pageProps": {"__APOLLO_STATE__": cache}}})
    return f'<html><body><script id="__NEXT_DATA__" type="application/json">{data}</script></body></html>'


def run_search(pages: list[str], **query: Any) -> tuple[list[str], FakeClient]:
    client = FakeClient(in_turn(pages))
    listings = KijijiAdapter().search(SearchQuery(query="sofa", location="ottawa", **query), client)
    return [listing.external_id for listing in listings], client


def test_search_reads_pages_up_to_max_pages_with_the_same_filters() -> None:
    pages = [results_page([1, 2], offset=0, total=9), results_page([3, 4], offset=2, total=9)]
    ids, client = run_search(pages, max_pages=2, max_price=Decimal("300"))
    assert ids == ["1", "2", "3", "4"]
    assert [call.url for call in client.calls] == [
        "https://www.kijiji.ca/b-ottawa/sofa/k0l1700185",
        "https://www.kijiji.ca/b-ottawa/sofa/page-2/k0l1700185",
    ]
    assert all(call.params == {"ad": "offering", "price": "__300"} for call in client.calls)


def test_search_stops_at_a_page_that_brings_nothing_new() -> None:
    pages = [results_page([1, 2], offset=0, total=9), results_page([1, 2], offset=0, total=9)]
    ids, client = run_search(pages, max_pages=3)
    assert (ids, len(client.calls)) == (["1", "2"], 2)


def test_search_stops_after_the_last_page_the_count_allows() -> None:
    ids, client = run_search([results_page([1, 2], offset=0, total=2)], max_pages=3)
    assert (ids, len(client.calls)) == (["1", "2"], 1)


def test_search_that_found_nothing_asks_once_and_returns_nothing() -> None:
    ids, client = run_search([fixture_text("kijiji/zero_results.html")], max_pages=3)
    assert (ids, len(client.calls)) == ([], 1)


# --- the real captures (read in place; see ../shared/fixtures/PROVENANCE.md) ----------------------

real = pytest.mark.skipif(not CAPTURES.is_dir(), reason=f"real captured pages not present at {CAPTURES}")
VANCOUVER = "search_vancouver_apartments.html"
TORONTO = "search_toronto_apollo_trimmed.json"


@cache
def capture(name: str, *, without_cache: bool = False) -> list[ListingData]:
    body = (CAPTURES / name).read_text(encoding="utf-8")
    if without_cache:  # only the rendered cards are left to read
        body = re.sub(r'<script id="__NEXT_DATA__".*?</script>', "", body, flags=re.DOTALL)
    return KijijiAdapter().parse(body)


@real
def test_vancouver_page_has_46_cards_for_the_43_listings_its_cache_holds() -> None:
    body = (CAPTURES / VANCOUVER).read_text(encoding="utf-8")
    card_ids = re.findall(r'data-testid="listing-card" data-listingid="(\d+)"', body)
    assert (len(card_ids), len(set(card_ids))) == (46, 43)  # 3 top listings repeat in the main list
    listings = capture(VANCOUVER)
    assert len(listings) == 43
    assert [listing.external_id for listing in listings] == list(dict.fromkeys(card_ids))


@real
def test_vancouver_cards_agree_with_the_cache_on_title_price_and_url() -> None:
    def key(listing: ListingData) -> tuple[str, str, Decimal | None, str]:
        return listing.external_id, listing.title, listing.price, listing.url

    assert [key(card) for card in capture(VANCOUVER, without_cache=True)] == [
        key(entry) for entry in capture(VANCOUVER)
    ]


@real
def test_vancouver_first_listing() -> None:
    condo = capture(VANCOUVER)[0]
    assert (condo.external_id, condo.price, condo.location, condo.seller) == (
        "1738530983",
        Decimal("1800.00"),
        "Langley",
        "1046501415",
    )
    assert condo.title == "$1,800 / 1br - 510ft2 - ✨ Brand New 1 Bed Condo in Langley"
    assert condo.url == (
        "https://www.kijiji.ca/v-apartments-condos/delta-surrey-langley/"
        "1-800-1br-510ft2-brand-new-1-bed-condo-in-langley/1738530983"
    )
    assert condo.image_url == (
        "https://media.kijiji.ca/api/v1/ca-prod-fsbo-ads/images/5a/5a12b633-491d-4a1e-b6a5-ea38d43d3618"
        "?rule=kijijica-200-jpg"
    )
    assert condo.extra["posted_at"] == "2026-06-01T19:45:00+00:00"
    assert (condo.extra["bedrooms"], condo.extra["bathrooms"]) == (Decimal("1.5"), Decimal("1"))


@real
def test_vancouver_last_listing_and_the_one_without_images() -> None:
    listings = by_id(capture(VANCOUVER))
    fraser = listings["1737185366"]
    assert (fraser.title, fraser.price, fraser.location) == (
        "Fraser Landing Apartments - 2 Bedroom Apartment for Rent Surrey",
        Decimal("2415.00"),
        "Surrey",
    )
    assert listings["1738533855"].image_url is None
    assert by_id(capture(VANCOUVER, without_cache=True))["1738533855"].image_url is None  # a placeholder image


@real
def test_toronto_trimmed_cache_gives_its_six_listings() -> None:
    listings = capture(TORONTO)
    assert [(listing.external_id, listing.price) for listing in listings] == [
        ("1742159443", Decimal("3000.00")),
        ("1742163176", Decimal("2250.00")),
        ("1630118945", Decimal("2200.00")),
        ("1739230079", Decimal("1825.00")),
        ("1692454390", Decimal("1950.00")),
        ("1740135447", Decimal("1290.00")),
    ]
    assert listings[2].location == "City of Toronto"


@real
@pytest.mark.parametrize(
    ("name", "without_cache"), [(VANCOUVER, False), (VANCOUVER, True), (TORONTO, False)], ids=["cache", "cards", "json"]
)
def test_every_real_listing_has_a_kijiji_url_a_positive_price_or_none_and_cad(name: str, without_cache: bool) -> None:
    for listing in capture(name, without_cache=without_cache):
        parts = urlsplit(listing.url)
        assert (parts.scheme, parts.hostname, parts.query) == ("https", "www.kijiji.ca", "")
        assert listing.price is None or listing.price > 0
        assert listing.currency == "CAD"
