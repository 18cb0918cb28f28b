"""The eBay, Mercari and craigslist sapi parsers on real captured responses (a saved ebay.de
results page, real Browse API, Mercari `entities:search` and craigslist sapi responses), kept outside the project in
`../shared/fixtures/` (see its PROVENANCE.md). The facts asserted were checked by hand against
the captures. Skipped where that folder is not present."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from models.settings import load_settings
from scanner.marketplaces.base import ListingData
from scanner.marketplaces.craigslist import CraigslistAdapter
from scanner.marketplaces.ebay import EbayAdapter
from scanner.marketplaces.mercari import MercariAdapter

CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    not (CAPTURES / "ebay").is_dir() or not (CAPTURES / "mercari").is_dir(),
    reason=f"real captures not found in {CAPTURES} (they live beside the repository, in shared/fixtures)",
)


@cache  # the ebay.de page takes half a second to parse; the tests only read the result
def ebay(name: str) -> tuple[ListingData, ...]:
    body = (CAPTURES / "ebay" / name).read_text(encoding="utf-8")
    return tuple(EbayAdapter(load_settings(), clock=lambda: NOW).parse(body))


def mercari(name: str) -> list[ListingData]:
    return MercariAdapter().parse((CAPTURES / "mercari" / name).read_text(encoding="utf-8"))


def by_id(listings: Iterable[ListingData]) -> dict[str, ListingData]:
    return {listing.external_id: listing for listing in listings}


# -- ebay.de search results page (s-item markup, 2022) ------------------------------------------------


def test_ebay_de_page_has_its_60_results_without_carousel_repeats_or_placeholder() -> None:
    listings = ebay("web_search_ebay_de_apple.html")
    assert len(listings) == 60
    assert "123456" not in by_id(listings)
    assert {listing.currency for listing in listings} == {"EUR"}
    assert all(listing.url == f"https://www.ebay.de/itm/{listing.external_id}" for listing in listings)


def test_ebay_de_first_result_with_its_bisher_price_and_free_shipping() -> None:
    first = ebay("web_search_ebay_de_apple.html")[0]
    assert first.external_id == "144278067683"
    assert first.title == "3x 2m Ladekabel NYLON für Original iPhone 6 7 8 11 12 X XS XR Pro Max USB Apple"
    assert (first.price, first.original_price, first.shipping) == (Decimal("10.79"), Decimal("11.99"), Decimal(0))
    assert first.condition == "Brandneu"


def test_ebay_de_thousands_separator_and_price_range() -> None:
    listings = by_id(ebay("web_search_ebay_de_apple.html"))
    assert listings["402990526723"].price == Decimal("1049.00")  # "EUR 1.049,00"
    assert listings["373649272098"].price == Decimal("234.95")  # "EUR 234,95 bis EUR 269,95"
    assert listings["175392584245"].original_price == Decimal("1849.00")  # "UVP … EUR 1.849,00"


def test_ebay_de_auctions_have_bids_end_time_and_no_new_listing_label() -> None:
    listings = ebay("web_search_ebay_de_apple.html")
    auctions = [listing for listing in listings if "bids" in listing.extra]
    assert len(auctions) == 27
    assert not any(listing.title.startswith("Neues Angebot") for listing in listings)
    macbook = by_id(listings)["125633387556"]  # "0 Gebote", "Noch 6T 23Std", "+EUR 6,99 Versand"
    assert macbook.title.startswith('Apple MacBook Pro 15" A1398')
    assert (macbook.extra["bids"], macbook.shipping) == (0, Decimal("6.99"))
    assert macbook.ends_at == NOW + timedelta(days=6, hours=23)
    assert by_id(listings)["175507481308"].extra["bids"] == 33


# -- Browse API responses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("browse_search_iphone_sort_price.json", 100),
        ("browse_search_iphone_best_match.json", 100),
        ("browse_search_drone_official_doc_sample.json", 3),
    ],
)
def test_browse_api_ids_are_the_legacy_item_numbers(name: str, count: int) -> None:
    raw = json.loads((CAPTURES / "ebay" / name).read_text(encoding="utf-8"))["itemSummaries"]
    listings = ebay(name)
    assert len(listings) == count
    assert [listing.external_id for listing in listings] == [item["legacyItemId"] for item in raw]


def test_browse_api_cheapest_iphone_item_fields() -> None:
    first = ebay("browse_search_iphone_sort_price.json")[0]
    assert (first.external_id, first.url) == ("385462201428", "https://www.ebay.com/itm/385462201428")
    assert (first.price, first.currency, first.shipping) == (Decimal("0.75"), "USD", Decimal("0.00"))
    assert (first.seller, first.location, first.condition) == ("funda48", "CN", "New")
    assert first.image_url == "https://i.ebayimg.com/thumbs/images/g/~xgAAOSwghxkBdLn/s-l225.jpg"


def test_browse_api_best_match_first_item_and_marketing_prices() -> None:
    listings = ebay("browse_search_iphone_best_match.json")
    first = listings[0]
    assert (first.external_id, first.price, first.condition) == ("334691749565", Decimal("189.99"), "Used")
    assert (first.location, first.seller) == ("112**, US", "cocosprinkles")
    assert sum(1 for listing in listings if listing.original_price is not None) == 24


def test_browse_api_docs_sample_discount_is_the_original_price() -> None:
    first = ebay("browse_search_drone_official_doc_sample.json")[0]
    assert (first.price, first.original_price) == (Decimal("59.99"), Decimal("74.99"))
    assert first.extra["buying_options"] == ["FIXED_PRICE", "BEST_OFFER"]


# -- Mercari entities:search responses ---------------------------------------------------------------


def test_mercari_price_ascending_page() -> None:
    listings = mercari("search_sharpnel_sort_price_asc.json")
    assert len(listings) == 19
    assert Counter(listing.status for listing in listings) == {"sold": 9, "active": 8, "pending": 2}
    first = listings[0]
    assert (first.external_id, first.title) == ("m98469010672", "音圧愚連隊(シャープネル+m1dy)爆萌電波注意報！")
    assert (first.price, first.currency, first.status) == (Decimal("800"), "JPY", "sold")
    assert first.url == "https://jp.mercari.com/item/m98469010672"
    assert listings[-1].price == Decimal("122400")


def test_mercari_first_page_of_a_paged_search() -> None:
    listings = mercari("search_sharpnel_page1.json")
    assert len(listings) == 119
    assert (listings[0].external_id, listings[0].price) == ("m93879216403", Decimal("10500"))
    assert (listings[-1].external_id, listings[-1].price) == ("m48384075504", Decimal("777"))


def test_mercari_no_price_item_has_no_price() -> None:
    [listing] = mercari("search_no_price_item.json")
    assert (listing.external_id, listing.title, listing.price) == (
        "m92358406176",
        "【非売品】beatmaniaIIDX RED TRAXX",
        None,
    )


# -- craigslist sapi search answer (Vancouver apartments, 2026) ---------------------------------------

CRAIGSLIST_SAPI = CAPTURES / "craigslist" / "sapi_vancouver_apa.json"
needs_sapi_capture = pytest.mark.skipif(not CRAIGSLIST_SAPI.is_file(), reason=f"{CRAIGSLIST_SAPI} not found")


@cache
def craigslist_sapi() -> tuple[ListingData, ...]:
    return tuple(CraigslistAdapter().parse(CRAIGSLIST_SAPI.read_text(encoding="utf-8")))


@needs_sapi_capture
def test_craigslist_sapi_reads_all_360_items_with_title_price_url_and_location() -> None:
    listings = craigslist_sapi()
    assert len(listings) == len(by_id(listings)) == 360
    assert all(listing.title and listing.location for listing in listings)
    assert all(listing.price is not None and listing.price > 0 for listing in listings)  # every item has one
    assert {listing.currency for listing in listings} == {"CAD"}
    assert all(
        listing.url.startswith("https://vancouver.craigslist.org/")
        and listing.url.endswith(f"/apa/d/{listing.url.split('/')[-2]}/{listing.external_id}.html")
        for listing in listings
    )
    assert Counter(listing.url.split("/")[3] for listing in listings) == {
        "van": 153,
        "bnc": 75,
        "rds": 55,
        "pml": 41,
        "nvn": 23,
        "rch": 13,
    }


@needs_sapi_capture
def test_craigslist_sapi_images_where_the_capture_has_them() -> None:
    listings = craigslist_sapi()
    with_images = [listing for listing in listings if listing.image_url]
    assert len(with_images) == 335  # the other 25 items have no image ids
    assert all(
        listing.image_url.startswith("https://images.craigslist.org/") and listing.image_url.endswith("_600x450.jpg")
        for listing in with_images
        if listing.image_url
    )
    assert all(listing.extra["image_urls"][0] == listing.image_url for listing in with_images)


@needs_sapi_capture
def test_craigslist_sapi_first_item_decoded_from_the_offsets() -> None:
    first = craigslist_sapi()[0]
    assert first.external_id == "7938223922"  # minPostingId 7928564874 + 9659048
    assert first.title == "Kitsilano, Amazing View, 6th flr, Hardwood Flrs, July 1st"
    assert (first.price, first.currency, first.image_url) == (Decimal(2495), "CAD", None)
    assert (
        first.url == "https://vancouver.craigslist.org/van/apa/d/vancouver-kitsilano-amazing-view-6th/7938223922.html"
    )
    assert first.location == "Kits, UBC, VGH, York St & Larch Street"
    assert first.extra["posted_at"] == "2026-06-02T04:16:12+00:00"  # minPostedDate + 21724 = maxPostedDate
    assert (first.extra["latitude"], first.extra["longitude"]) == (Decimal("49.27"), Decimal("-123.1574"))
