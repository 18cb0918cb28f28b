"""The craigslist, facebook and eBay parsers on real captured pages (see PROVENANCE.md beside them).

The captures live outside the project, in `../shared/fixtures/`; nothing of them is copied here.
Every figure below was checked by reading the page itself.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from scanner.marketplaces.base import ListingData
from scanner.marketplaces.craigslist import CraigslistAdapter
from scanner.marketplaces.ebay import EbayAdapter
from scanner.marketplaces.facebook import FacebookAdapter

CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"

pytestmark = pytest.mark.skipif(
    not CAPTURES.is_dir(),
    reason=f"real captured pages not present at {CAPTURES} (they live beside the repository, not in it)",
)


@cache  # each page is parsed once for all the tests that read it
def craigslist(name: str) -> list[ListingData]:
    return CraigslistAdapter().parse((CAPTURES / "craigslist" / name).read_text(encoding="utf-8"))


@cache
def facebook(name: str, *, without_feed: bool = False) -> list[ListingData]:
    body = (CAPTURES / "facebook" / name).read_text(encoding="utf-8")
    if without_feed:  # only the rendered cards are left to read
        body = re.sub(r'<script\b[^>]*type="application/json"[^>]*>.*?</script>', "", body, flags=re.DOTALL)
    return FacebookAdapter().parse(body)


@cache
def ebay(name: str) -> list[ListingData]:
    return EbayAdapter().parse((CAPTURES / "ebay" / name).read_text(encoding="utf-8"))


def by_id(listings: list[ListingData]) -> dict[str, ListingData]:
    return {listing.external_id: listing for listing in listings}


# --- craigslist ----------------------------------------------------------------------------------


def test_boston_gallery_page_gives_its_120_cards_26_of_them_without_price() -> None:
    listings = craigslist("search_boston_sss_rendered.html")
    assert len(by_id(listings)) == 120
    assert sum(listing.price is None for listing in listings) == 26
    assert {listing.currency for listing in listings} == {"USD"}


def test_boston_gallery_first_card() -> None:
    solar = craigslist("search_boston_sss_rendered.html")[0]
    assert (solar.external_id, solar.title, solar.price, solar.location) == (
        "7692736931",
        "Solar tea light",
        Decimal("5"),
        "Peabody",
    )
    assert solar.url == "https://boston.craigslist.org/nos/for/d/peabody-solar-tea-light/7692736931.html"
    assert solar.image_url == "https://images.craigslist.org/00L0L_20Tz7LpfcXD_0dp0t2_300x300.jpg"
    assert solar.extra["posted"] == "12 mins ago"


def test_boston_gallery_card_without_price_and_the_last_card() -> None:
    cards = by_id(craigslist("search_boston_sss_rendered.html"))
    chairs = cards["7692735853"]
    assert (chairs.title, chairs.price) == ("4 free modern black dining chairs", None)
    grill = cards["7686465065"]
    assert (grill.title, grill.price, grill.location) == (
        'Weber 18" Original Black Kettle Charcoal Grill',
        Decimal("30"),
        "Waltham",
    )


def test_boston_last_page_gives_4_cards_with_saved_images_mapped_back() -> None:
    listings = craigslist("search_boston_sss_last_page_rendered.html")
    assert len(listings) == 4
    roku = listings[0]
    assert (roku.external_id, roku.title, roku.price, roku.location) == (
        "7637945164",
        "Roku voice remote",
        Decimal("20"),
        "Lowell",
    )
    assert roku.image_url == "https://images.craigslist.org/00A0A_i7yoQeUOYXo_0t20Cz_300x300.jpg"


def test_manhattan_static_page_gives_its_153_rows_with_token_ids() -> None:
    listings = craigslist("search_manhattan_apa_static.html")
    assert len(by_id(listings)) == 153
    first = listings[0]
    assert (first.external_id, first.price, first.location) == (
        "mfYChGx8GdfQTDbasSzkQq",
        Decimal("3499"),
        "East Village",
    )
    assert listings[-1].title == "Seeking Upper West Side 1BR apts?"
    assert "lqQX5Lls8RGFG_5gwHiFcQ" in by_id(listings)


def test_manhattan_static_page_decodes_entities_and_pairs_its_aligned_json_ld() -> None:
    listings = by_id(craigslist("search_manhattan_apa_static.html"))
    fidi = listings["iuWFDtT2PTzDnq2AFopRGz"]
    assert fidi.title == "Top-Floor FiDi 1BR + Home Office – Private Terrace & Skyline Views!"
    assert fidi.price == Decimal("1350")
    assert (fidi.extra["bedrooms"], fidi.extra["region"]) == (1, "NY")


# --- facebook ------------------------------------------------------------------------------------


def test_houston_search_gives_14_feed_listings_and_7_more_rendered_cards() -> None:
    listings = facebook("search_houston_dji_drone_rendered.html")
    assert len(by_id(listings)) == 21
    assert sum(listing.seller is not None for listing in listings) == 14  # sellers are only in the feed
    assert [listing.external_id for listing in listings[:14]] == [
        listing.external_id for listing in facebook("search_houston_dji_drone_graphql.json")
    ]


def test_houston_search_listing_with_struck_out_price() -> None:
    mavic = by_id(facebook("search_houston_dji_drone_rendered.html"))["628088039705732"]
    assert (mavic.title, mavic.price, mavic.original_price) == ("DJI Mavic Mini", Decimal("200.00"), Decimal("300.00"))
    assert (mavic.location, mavic.seller, mavic.currency) == ("Houston, TX", "Jose Sanchez", "USD")


def test_houston_search_cards_outside_the_feed() -> None:
    listings = by_id(facebook("search_houston_dji_drone_rendered.html"))
    sparky = listings["3709485439366713"]
    assert (sparky.title, sparky.price, sparky.original_price) == ("DJI sparky", Decimal("180"), Decimal("20000"))
    assert listings["954224793032849"].extra["ships_to_you"] is True
    assert listings["954224793032849"].location is None
    assert (listings["28472863785662576"].title, listings["28472863785662576"].location) == ("Dron", None)


@pytest.mark.parametrize(
    "page", ["search_houston_dji_drone_rendered.html", "category_boston_motorcycles_rendered.html"]
)
def test_rendered_cards_agree_with_the_feed_on_every_listing_both_show(page: str) -> None:
    feed = by_id(facebook(page))
    cards = by_id(facebook(page, without_feed=True))
    assert len(cards) == len(feed)
    for listing_id, card in cards.items():
        listing = feed[listing_id]
        assert (card.price, card.original_price, card.location, card.image_url) == (
            listing.price,
            listing.original_price,
            listing.location,
            listing.image_url,
        ), listing_id


def test_boston_motorcycles_category_gives_24_listings_with_mileage() -> None:
    listings = by_id(facebook("category_boston_motorcycles_rendered.html"))
    assert len(listings) == 24
    freewheeler = listings["990682652490036"]
    assert freewheeler.title == "2017 Harley-Davidson FLRT - Freewheeler®"
    assert freewheeler.extra["display_title"] == "2017 Harley-Davidson flrt - freewheeler®"
    assert (freewheeler.price, freewheeler.seller, freewheeler.extra["mileage"]) == (
        Decimal("20900.00"),
        "Todd Antosh",
        300,
    )
    sportster = listings["1677104469719388"]
    assert (sportster.location, sportster.extra["mileage"]) == ("Epping, NH", 16000)


def test_boston_motorcycles_graphql_reply_gives_the_same_24_listings() -> None:
    assert [listing.external_id for listing in facebook("category_boston_motorcycles_graphql.json")] == [
        listing.external_id for listing in facebook("category_boston_motorcycles_rendered.html")
    ]


# --- ebay ----------------------------------------------------------------------------------------


def test_ebay_de_s_item_page_gives_its_60_listings_in_euros() -> None:
    listings = by_id(ebay("web_search_ebay_de_apple.html"))
    assert len(listings) == 60
    assert {listing.currency for listing in listings.values()} == {"EUR"}
    macbook = listings["175504719541"]
    assert (macbook.title, macbook.price) == ('Apple MacBook Air Ret. 13" (2020)', Decimal("909.00"))


def test_ebay_de_s_item_page_gives_every_listing_its_picture() -> None:
    listings = by_id(ebay("web_search_ebay_de_apple.html"))
    pictures = [listing.image_url or "" for listing in listings.values()]
    assert sum(url.startswith("https://i.ebayimg.com/thumbs/images/g/") for url in pictures) == 60
    assert len(set(pictures)) == 59  # two variants of one iPad Air 2 offer share their photo
    assert listings["175504719541"].image_url == "https://i.ebayimg.com/thumbs/images/g/8koAAOSwgcNjIHEy/s-l225.webp"
