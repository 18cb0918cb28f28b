"""A title's product identity: the same product however sellers word it, another product when a
model number, variant or storage differs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.appraisal.identity import identify


def same(one: str, other: str) -> bool:
    return identify(one).same_product(identify(other))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Apple iPhone 13 Pro Max 128GB (Unlocked)", "iPhone 13 PRO MAX - 128 GB - Graphite"),
        ("GoPro Hero 11 Black", "GOPRO HERO11 action camera"),
        ("Sony α7 III camera (ILCE-7M3)", "Sony A7III body"),
        ("Martin D-28 acoustic guitar", "MARTIN D28 Dreadnought"),
        ("Nintendo Switch OLED console", "NINTENDO Switch (OLED model) – white"),
        ("Fender Player Stratocaster w/ hard case & strap", "Fender Player Stratocaster electric guitar"),
        ("Apple iPhone 8 A1863 64GB Space Gray", "iPhone 8 64 GB gebraucht, sehr gut"),
        ("Étui-free Fujifilm X100V appareil photo", "Fujifilm X100V – très bon état"),
    ],
)
def test_one_product_worded_differently_is_the_same_product(one: str, other: str) -> None:
    assert same(one, other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Apple iPhone 8 64GB", "Apple iPhone 13 Pro Max 64GB"),  # another model number
        ("Apple iPhone 13 128GB", "Apple iPhone 13 Pro 128GB"),  # a variant that moves the price
        ("Apple iPhone 13 128GB", "Apple iPhone 13 256GB"),  # storage
        ("Dell XPS 13 9310", "Dell XPS 13 9300"),
        ("Microsoft Surface Laptop 5", "Microsoft Surface Pro 5"),
        ("GoPro HERO11 action camera", "Leica M6 film camera"),
    ],
)
def test_another_model_variant_or_storage_is_another_product(one: str, other: str) -> None:
    assert not same(one, other)


def test_a_title_that_leaves_out_the_storage_is_compared_with_every_storage() -> None:
    assert same("Apple iPhone 12 mini Unlocked", "Apple iPhone 12 mini 64GB")


def test_the_blocking_key_is_the_name_before_the_first_model_number() -> None:
    assert identify("2020 Apple iPhone SE 2nd Gen (Great Condition)").key == "iphone 2"
    assert identify("Dell XPS 13 9310 laptop").key == "xps 13"
    assert identify("Fender Player Stratocaster electric guitar").key == "fender player stratocaster"


def test_japanese_kana_keep_their_voicing_marks() -> None:
    assert "マッドブレイクス" in identify("DJ Sharpnel – Mad Breaks = マッドブレイクス").text


@given(st.text(max_size=300))
def test_any_title_gives_an_identity_with_a_short_key(title: str) -> None:
    identity = identify(title)
    assert identity.key is None or 0 < len(identity.key) <= 64
    assert identity.same_product(identity) == (identity.key is not None)
