"""The demo market's junk and reposts: there at realistic rates, and each listing tells its truth.

The market is the ground truth deal judgement is benchmarked against, so what a listing says it
is (`junk`, `family`, `reposted_from`) has to match what its title and price show.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from demo_market import catalogue
from demo_market.catalogue import DEAL_CEILING, DemoListing
from demo_market.families import CATEGORIES, Family
from models.tables import JunkKind
from tests.clock import MOMENT

ROOT = Path(__file__).resolve().parents[2]
STEP = timedelta(minutes=5)  # shorter than any listing stays up, so every listing is seen
FAMILIES: dict[str, Family] = {family.name: family for category in CATEGORIES for family in category.families}
WANTED = re.compile(r"^(WANTED:|ISO|WTB|Looking for|Suche|Recherche|Cherche|求む) ")
BROKEN = re.compile(r"parts|not working|broken|defekt|pièces|ジャンク", re.IGNORECASE)
LOT = re.compile(r" \+ |^Lot |^\d+x |×|セット")
PLACEHOLDER_PRICES = {None, Decimal(0), Decimal(1), Decimal(9_999_999)}


@dataclass
class Seen:
    """A listing over its time on the market: as first listed, and when and how it was last shown."""

    first: DemoListing
    last: DemoListing
    last_seen: datetime


def words(title: str) -> set[str]:
    return set(re.findall(r"\w+", title.casefold()))


def last_shown(seen: Seen) -> DemoListing:
    """The listing in its last second on the market (the look every few minutes may miss a drop)."""
    moment, last = seen.last_seen, seen.last
    while (later := catalogue.find(last.listing_id, moment + timedelta(seconds=1))) is not None:
        moment, last = moment + timedelta(seconds=1), later
    return last


def watch(start: datetime, end: datetime) -> dict[str, Seen]:
    """Every listing on the market between `start` and `end`, looked at every few minutes."""
    seen: dict[str, Seen] = {}
    moment = start
    while moment < end:
        for listing in catalogue.listings(moment):
            if listing.listing_id in seen:
                seen[listing.listing_id].last, seen[listing.listing_id].last_seen = listing, moment
            else:
                first = catalogue.find(listing.listing_id, listing.listed_at)
                assert first is not None
                seen[listing.listing_id] = Seen(first, listing, moment)
        moment += STEP
    return seen


@pytest.fixture(scope="module")
def two_days() -> dict[str, Seen]:
    return watch(MOMENT - timedelta(days=1), MOMENT + timedelta(days=1))


@pytest.fixture(scope="module")
def a_day(two_days: dict[str, Seen]) -> list[DemoListing]:
    """The listings first listed in the second day (their reposted originals are in the first)."""
    return [seen.first for seen in two_days.values() if seen.first.listed_at >= MOMENT]


def of_kind(listings: list[DemoListing], kind: JunkKind | None) -> list[DemoListing]:
    found = [listing for listing in listings if listing.junk is kind]
    assert found, f"no {kind} listing in a day"
    return found


def test_every_junk_kind_appears_within_a_day_and_junk_is_a_sixth_or_so(a_day: list[DemoListing]) -> None:
    kinds = Counter(listing.junk for listing in a_day)
    assert set(kinds) == {None, *JunkKind}
    assert 0.14 <= 1 - kinds[None] / len(a_day) <= 0.22, kinds
    assert all(kinds[kind] >= 0.005 * len(a_day) for kind in JunkKind), kinds


def test_a_category_search_meets_every_kind_of_junk(a_day: list[DemoListing]) -> None:
    """Users meet junk through searches; a good share of junk titles carry their category word."""
    junk = [listing for listing in a_day if listing.junk is not None]
    found = [listing for listing in junk if listing.category in words(listing.title)]
    assert len(found) >= 0.6 * len(junk)
    assert {listing.junk for listing in found} == set(JunkKind)
    searched = {listing.junk for word in ("guitar", "camera", "laptop") for listing in catalogue.search(word, MOMENT)}
    assert len(searched - {None}) >= 3


def test_real_items_name_their_family_and_only_they_can_be_deals(a_day: list[DemoListing]) -> None:
    for listing in of_kind(a_day, None):
        assert listing.family in listing.title and FAMILIES[listing.family].market_price == listing.market_price
    deals = [listing for listing in a_day if listing.is_deal]
    assert deals and all(listing.junk is None for listing in deals)
    assert all(listing.price is not None and listing.price <= listing.market_price * DEAL_CEILING for listing in deals)


def test_accessories_name_their_family_and_cost_a_few_percent_of_it(a_day: list[DemoListing]) -> None:
    accessories = of_kind(a_day, JunkKind.ACCESSORY)
    for listing in accessories:
        family = FAMILIES[listing.family]
        assert family.model in listing.title and listing.title != family.name
        assert listing.price is not None and Decimal(8) <= listing.price <= Decimal(80)
        assert listing.price <= family.market_price * Decimal("0.1") or listing.price == 8
    words = " ".join(listing.title for listing in accessories)
    assert all(word in words for word in (" for ", " für ", " pour ", " 用 "))


def test_broken_units_say_so_in_four_languages_and_are_priced_low(a_day: list[DemoListing]) -> None:
    broken = of_kind(a_day, JunkKind.FOR_PARTS)
    for listing in broken:
        assert BROKEN.search(listing.title), listing.title
        assert FAMILIES[listing.family].model in listing.title
        assert listing.price is not None and listing.price <= listing.market_price * Decimal("0.4")
    words = " ".join(listing.title for listing in broken).casefold()
    assert all(word in words for word in ("not working", "defekt", "pièces", "ジャンク"))


def test_placeholder_prices_are_0_1_9999999_or_none_on_a_real_item(a_day: list[DemoListing]) -> None:
    placeholders = of_kind(a_day, JunkKind.PLACEHOLDER_PRICE)
    for listing in placeholders:
        assert listing.price in PLACEHOLDER_PRICES and listing.family in listing.title
        assert not listing.is_deal
    assert {listing.price for listing in placeholders} == PLACEHOLDER_PRICES
    unpriced = {listing.price_kind for listing in placeholders if listing.price is None}
    assert unpriced == {"contact", "on_request", "offer"}


def test_wanted_posts_carry_a_wanted_word_and_a_budget_under_the_market(a_day: list[DemoListing]) -> None:
    wanted = of_kind(a_day, JunkKind.WANTED)
    for listing in wanted:
        assert WANTED.match(listing.title) and FAMILIES[listing.family].model in listing.title, listing.title
        assert listing.price is not None and listing.price < listing.market_price
    assert {"Suche", "Recherche", "求む"} <= {WANTED.match(listing.title)[1] for listing in wanted}  # type: ignore[index]


def test_bundles_are_lots_priced_around_their_sum(a_day: list[DemoListing]) -> None:
    for listing in of_kind(a_day, JunkKind.BUNDLE):
        assert LOT.search(listing.title) and FAMILIES[listing.family].model in listing.title, listing.title
        assert listing.price is not None and listing.price > listing.market_price * Decimal("0.69")


def test_off_query_junk_is_another_product_with_the_search_word(a_day: list[DemoListing]) -> None:
    for listing in of_kind(a_day, JunkKind.OFF_QUERY):
        assert listing.family not in FAMILIES and listing.category in words(listing.title)
        assert listing.price is not None
        assert abs(listing.price - listing.market_price) <= listing.market_price * Decimal("0.25")


def test_reposts_come_back_within_a_day_of_ending_unsold_from_the_same_seller(two_days: dict[str, Seen]) -> None:
    reposts = [seen for seen in two_days.values() if seen.first.reposted_from and seen.first.listed_at >= MOMENT]
    assert len(reposts) >= 0.01 * len([seen for seen in two_days.values() if seen.first.listed_at >= MOMENT])
    for repost in reposts:
        listing = repost.first
        original = two_days[listing.reposted_from]  # type: ignore[index]
        assert listing.listing_id != original.first.listing_id and listing.seller == original.first.seller
        assert (listing.family, listing.junk, listing.condition) == (
            original.first.family,
            original.first.junk,
            original.first.condition,
        )
        assert listing.title == original.first.title or listing.title.startswith(original.first.title + " ")
        assert len(listing.title) - len(original.first.title) <= 20
        assert original.last.status == "active", "only an unsold listing is reposted"
        assert original.last_seen < listing.listed_at <= original.last_seen + STEP + timedelta(days=1)
        assert catalogue.find(original.first.listing_id, listing.listed_at) is None
        ended_at = last_shown(original).price
        assert (listing.price is None) == (ended_at is None)
        if listing.price is not None and ended_at is not None:
            assert ended_at * Decimal("0.9") <= listing.price <= ended_at
    assert any(seen.first.price != two_days[seen.first.reposted_from].last.price for seen in reposts)  # type: ignore[index]
    assert any(seen.first.title != two_days[seen.first.reposted_from].first.title for seen in reposts)  # type: ignore[index]


def test_no_title_ending_makes_another_product() -> None:
    """A memory upgrade or an extra lens would be another product at another price."""
    for category in CATEGORIES:
        assert not [extra for extra in category.extras if re.search(r"\d+ ?[GT]B|lens|\+ \d", extra)]
        assert all(family.model in family.name for family in category.families)


def fingerprint(moments: list[datetime]) -> str:
    return hashlib.sha256(repr([catalogue.listings(moment) for moment in moments]).encode()).hexdigest()


def test_junk_and_reposts_are_the_same_in_every_call_and_process() -> None:
    moments = [MOMENT + timedelta(hours=hours) for hours in range(0, 48, 2)]
    shown = [listing for moment in moments for listing in catalogue.listings(moment)]
    assert {listing.junk for listing in shown} == {None, *JunkKind} and any(item.reposted_from for item in shown)
    here = fingerprint(moments)
    catalogue._traits.cache_clear()  # noqa: SLF001  (a fresh process would start with it empty)
    assert fingerprint(moments) == here
    script = (
        "import datetime, sys; from tests.demo.test_demo_junk import fingerprint;"
        "start = datetime.datetime.fromisoformat(sys.argv[1]);"
        "print(fingerprint([start + datetime.timedelta(hours=h) for h in range(0, 48, 2)]))"
    )
    there = subprocess.run(
        [sys.executable, "-c", script, MOMENT.isoformat()],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "54321", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert there.stdout.strip() == here
