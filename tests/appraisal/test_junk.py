"""Junk is recognised in English, German, French, Spanish and Japanese wording."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.tables import JunkKind
from scanner.appraisal.junk import classify
from scanner.marketplaces.base import ListingData


def for_search(item: ListingData, query: str | None) -> JunkKind | None:
    return classify(item, query).for_search


def listing(title: str, price: str | None = "100", condition: str | None = None) -> ListingData:
    return ListingData(
        "1", title, "https://shop.example/1", Decimal(price) if price else None, "USD", condition=condition
    )


@pytest.mark.parametrize(
    ("title", "condition", "query", "kind"),
    [
        ("iPhone 13 128GB", "For parts or not working", "iphone", JunkKind.FOR_PARTS),
        ("Nikon D750 DSLR camera pour pièces", "Used – Good", "camera", JunkKind.FOR_PARTS),
        ("ジャンク GoPro HERO11 action camera", None, "camera", JunkKind.FOR_PARTS),
        ("Surface Laptop 5 – Defekt, für Bastler", None, "laptop", JunkKind.FOR_PARTS),
        ("Shockproof Case For iPhone 14 13 12 Pro Max", None, "iphone", JunkKind.ACCESSORY),
        ("Akku für GoPro HERO11", None, "gopro", JunkKind.ACCESSORY),
        ("Étui pour Fujifilm X100V", None, "fujifilm", JunkKind.ACCESSORY),
        ("Housse pour Epiphone Les Paul Special guitar", None, "guitar", JunkKind.ACCESSORY),
        ("GoPro HERO11 用 保護フィルム", None, "gopro", JunkKind.ACCESSORY),
        ("WANTED: Leica M6 film camera", None, "camera", JunkKind.WANTED),
        ("Suche Martin D-28", None, "martin", JunkKind.WANTED),
        ("Recherche MacBook Air M2", None, "macbook", JunkKind.WANTED),
        ("求む Leica M6", None, "leica", JunkKind.WANTED),
        ("Lot of 3 GoPro HERO11", None, "gopro", JunkKind.BUNDLE),
        ("Paket: Ibanez RG421 electric guitar + Yamaha FG800", None, "guitar", JunkKind.BUNDLE),
        ("DJ Sharpnel CD まとめ売り", None, "sharpnel", JunkKind.BUNDLE),
        ("Apple Watch Series 7 45mm", None, "iphone", JunkKind.OFF_QUERY),
        ("Boss Katana-50 MkII guitar amplifier", None, "guitar", JunkKind.OFF_QUERY),
        ("Vantrue N2 Pro dash camera", None, "camera", JunkKind.OFF_QUERY),
    ],
)
def test_each_kind_of_junk_is_recognised(title: str, condition: str | None, query: str, kind: JunkKind) -> None:
    assert for_search(listing(title, condition=condition), query) is kind


@pytest.mark.parametrize("price", ["0", "1", "0.01", "9999999", "99999.99", None])
def test_placeholder_prices_are_junk(price: str | None) -> None:
    assert for_search(listing("Leica M6 film camera", price), "leica") is JunkKind.PLACEHOLDER_PRICE


@pytest.mark.parametrize(
    "title",
    [
        "Apple iPhone 12 PRO 128GB (UNLOCKED) 100% BATTERY",
        "Apple iPhone 13 128GB with case and charger",
        "iPhone 13 for sale, cracked screen",
        "HP Spectre x360 laptop",
        "Lenovo ThinkPad X1 Carbon Gen 9 laptop",
        "Canon EOS R6 mirrorless camera body",
        "DJ Shrapnel Sound of EXtreme",  # a seller's typo of the query
    ],
)
def test_real_items_are_not_junk(title: str) -> None:
    query = "sharpnel" if "Shrapnel" in title else title.split()[-1] if "camera" in title else "iphone laptop"
    assert for_search(listing(title), query) is None


def test_a_search_for_an_accessory_finds_accessories() -> None:
    assert for_search(listing("Hard case for Fender Player Stratocaster"), "stratocaster hard case") is None


def test_without_query_words_a_category_feed_wants_accessories_too() -> None:
    assert for_search(listing("Automotive Car Battery size 151R"), None) is None


def test_what_a_listing_is_whatever_the_search_marks_accessories() -> None:
    assert classify(listing("Case for iPhone 13"), "iphone case").listing is JunkKind.ACCESSORY


@given(st.text(max_size=300), st.one_of(st.none(), st.text(max_size=50)))
def test_any_title_and_query_get_an_answer(title: str, query: str | None) -> None:
    assert for_search(listing(title), query) in (None, *JunkKind)
