"""The demo market's listings: a pure function of (query, time, seed).

Every category lists a new item about every four minutes. Each listing's fixed traits (title,
condition, asking price, how long it stays up, whether it sells) come from a random generator
seeded by (seed, listing id), so they are the same in every process; its price and status at
a moment are computed from the time elapsed since it was listed. Nothing is stored, so a
test moves time by handing in another `now`, and a restarted server shows the same market.

The economics make deal detection worth watching: most listings ask close to their family's
market price, about one in twelve asks 35–55 % under it (and sells fast), a quarter drop their
price every five to twenty minutes (to at most a quarter off), some wobble up and down.

Beside that stream, `posted` listings (ids P1, P2, …) are ones a caller puts on the market at a
moment of its choosing (`DemoMarket.post`): the way a test or the bench makes a deal appear now.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Literal

from models.tables import Condition
from scanner.demo_market.families import CATEGORIES, COMMON_EXTRAS, LOCATIONS, SELLERS, SHIPPING_COSTS, Category

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
ARRIVAL_SECONDS = 240  # one new listing per category every ~4 minutes
LONGEST_VISIBLE_SECONDS = 6 * 3600  # lifetime plus time shown as sold, at most
SELLING_SOON_SECONDS = 15 * 60  # "pending" this long before a sale, for listings that show it
DROP_FLOOR = Decimal("0.75")  # a seller who keeps dropping stops at three quarters of the first ask
DEAL_CEILING = Decimal("0.65")  # a deal asks at most this fraction of its family's market price
POSTED_CODE = "P"  # first letter of the ids of posted listings

PriceKind = Literal["fixed", "range", "free", "contact"]
Behaviour = Literal["stable", "drop", "wobble"]
StatusName = Literal["active", "pending", "sold"]

# (condition, label shown, price factor against the family's market price, weight)
_CONDITIONS: tuple[tuple[Condition, str, str, int], ...] = (
    (Condition.NEW, "New", "1.10", 10),
    (Condition.USED, "Used – Like New", "1.00", 25),
    (Condition.USED, "Used – Good", "0.92", 30),
    (Condition.USED, "Used – Fair", "0.82", 15),
    (Condition.REFURBISHED, "Refurbished", "0.88", 12),
    (Condition.FOR_PARTS, "For parts or not working", "0.30", 4),
)
_ID = re.compile(r"^([A-Z])(\d{1,9})$")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class DemoListing:
    """One listing as the market shows it at one moment."""

    listing_id: str
    category: str
    family: str
    market_price: Decimal  # the family's, for tests and for judging deals
    title: str
    listed_at: datetime
    price_kind: PriceKind
    price: Decimal | None  # the low end of a range; 0 when free; None for "Contact seller"
    price_high: Decimal | None  # only for ranges
    original_price: Decimal | None  # shown struck out
    shipping: Decimal | None  # None: local pickup only
    condition: Condition
    condition_label: str
    location: str
    seller: str
    status: StatusName
    is_deal: bool  # asked well under the market price from the start


@dataclass(frozen=True)
class _Traits:
    """What never changes about a listing."""

    listing_id: str
    category: Category
    family_index: int
    title: str
    listed_at: int  # whole seconds since EPOCH, so `listed_at` as a datetime is exact
    lifetime: float
    sells: bool
    shows_pending: bool
    sold_shown_for: float
    price_kind: PriceKind
    asking: Decimal  # first asking price
    list_price: Decimal | None
    behaviour: Behaviour
    step_seconds: int
    drop_fraction: Decimal
    shipping: Decimal | None
    condition: Condition
    condition_label: str
    location: str
    seller: str
    is_deal: bool


def round_price(amount: Decimal) -> Decimal:
    """Prices as people set them: whole dollars under $100, then $5, then $10 steps."""
    step = Decimal(1) if amount < 100 else Decimal(5) if amount < 1000 else Decimal(10)
    rounded = (amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return max(rounded, Decimal(1)).quantize(Decimal("0.01"))


def _seconds(now: datetime) -> float:
    if now.tzinfo is None:
        raise ValueError("the demo market needs a timezone-aware time")
    return (now - EPOCH).total_seconds()


def _factor(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(str(round(rng.uniform(low, high), 3)))


@lru_cache(maxsize=8192)
def _traits(seed: int, category_index: int, number: int) -> _Traits:
    category = CATEGORIES[category_index]
    listing_id = f"{category.code}{number}"
    rng = random.Random(f"{seed}:{listing_id}")
    family_index = rng.randrange(len(category.families))
    family = category.families[family_index]
    condition, label, condition_factor, _ = rng.choices(_CONDITIONS, weights=[c[3] for c in _CONDITIONS])[0]
    is_deal = condition is not Condition.FOR_PARTS and rng.random() < 0.08
    spread = _factor(rng, 0.45, 0.65) if is_deal else _factor(rng, 0.9, 1.1)
    asking = round_price(family.market_price * Decimal(condition_factor) * spread)
    kind_roll = rng.random()
    if is_deal:
        price_kind: PriceKind = "fixed"
    elif condition is Condition.FOR_PARTS and kind_roll < 0.4:
        price_kind = "free"
    else:
        price_kind = "contact" if kind_roll < 0.04 else "range" if kind_roll < 0.09 else "fixed"
    behaviour_roll = rng.random()
    behaviour: Behaviour = "stable"
    if price_kind == "fixed" and not is_deal:
        behaviour = "drop" if behaviour_roll < 0.25 else "wobble" if behaviour_roll < 0.4 else "stable"
    prefix = "NEW " if condition is Condition.NEW else "For parts: " if condition is Condition.FOR_PARTS else ""
    extra = rng.choice(COMMON_EXTRAS + category.extras)
    shipping_roll = rng.random()
    return _Traits(
        listing_id=listing_id,
        category=category,
        family_index=family_index,
        title=f"{prefix}{family.name}{extra}",
        listed_at=number * ARRIVAL_SECONDS + category.arrival_offset_seconds + int(rng.uniform(0, ARRIVAL_SECONDS)),
        lifetime=rng.uniform(20 * 60, 90 * 60) if is_deal else rng.uniform(2 * 3600, 5 * 3600),
        sells=rng.random() < (0.9 if is_deal else 0.6),
        shows_pending=rng.random() < 0.5,
        sold_shown_for=rng.uniform(30 * 60, 60 * 60),
        price_kind=price_kind,
        asking=Decimal(0) if price_kind == "free" else asking,
        list_price=round_price(family.market_price * Decimal("1.25")) if condition is Condition.NEW else None,
        behaviour=behaviour,
        step_seconds=rng.choice((300, 600, 900, 1200)),
        drop_fraction=_factor(rng, 0.03, 0.07),
        shipping=Decimal(0) if shipping_roll < 0.4 else rng.choice(SHIPPING_COSTS) if shipping_roll < 0.75 else None,
        condition=condition,
        condition_label=label,
        location=rng.choice(LOCATIONS),
        seller=rng.choice(SELLERS),
        is_deal=is_deal,
    )


def _price_at(traits: _Traits, seed: int, elapsed: float) -> Decimal:
    """The asking price `elapsed` seconds after listing: stable, stepping down, or wobbling."""
    step = int(elapsed // traits.step_seconds)
    if traits.behaviour == "drop":
        factor = max(DROP_FLOOR, 1 - traits.drop_fraction * step)
    elif traits.behaviour == "wobble" and step:
        factor = 1 + Decimal(random.Random(f"{seed}:{traits.listing_id}:{step}").randint(-2, 2)) * Decimal("0.03")
    else:
        return traits.asking
    return round_price(traits.asking * factor)


def _at(traits: _Traits, seed: int, now: float) -> DemoListing | None:
    """The listing as shown at `now`, or None when it is not (or no longer) on the market."""
    closes_at = traits.listed_at + traits.lifetime
    gone_at = closes_at + (traits.sold_shown_for if traits.sells else 0)
    if not traits.listed_at <= now < gone_at:
        return None
    status: StatusName = "active"
    if now >= closes_at:
        status = "sold"
    elif traits.sells and traits.shows_pending and now >= closes_at - SELLING_SOON_SECONDS:
        status = "pending"
    price: Decimal | None = _price_at(traits, seed, min(now, closes_at) - traits.listed_at)
    original = traits.list_price
    if price is not None and price < traits.asking:  # a seller who came down shows the first ask
        original = traits.asking
    family = traits.category.families[traits.family_index]
    if traits.price_kind == "contact":
        price, original = None, None
    return DemoListing(
        listing_id=traits.listing_id,
        category=traits.category.word,
        family=family.name,
        market_price=family.market_price,
        title=traits.title,
        listed_at=EPOCH + timedelta(seconds=traits.listed_at),
        price_kind=traits.price_kind,
        price=price,
        price_high=round_price(traits.asking * Decimal("1.25")) if traits.price_kind == "range" else None,
        original_price=original,
        shipping=traits.shipping,
        condition=traits.condition,
        condition_label=traits.condition_label,
        location=traits.location,
        seller=traits.seller,
        status=status,
        is_deal=traits.is_deal,
    )


def listings(now: datetime, seed: int = 0) -> list[DemoListing]:
    """Everything on the market at `now`, newest first."""
    seconds = _seconds(now)
    shown: list[DemoListing] = []
    for index, category in enumerate(CATEGORIES):
        since = seconds - category.arrival_offset_seconds
        newest = int(since // ARRIVAL_SECONDS)
        oldest = max(0, int((since - LONGEST_VISIBLE_SECONDS) // ARRIVAL_SECONDS) - 1)
        for number in range(oldest, newest + 1):
            listing = _at(_traits(seed, index, number), seed, seconds)
            if listing is not None:
                shown.append(listing)
    return sorted(shown, key=lambda listing: listing.listed_at, reverse=True)


def posted_listing(number: int, category: str, price: Decimal, listed_at: datetime, *, family: int = 0) -> DemoListing:
    """Listing P<number>: an item of `family` (an index into the category's families), used and
    in good condition, at a fixed `price` with free shipping, active for as long as it is shown."""
    chosen = next((candidate for candidate in CATEGORIES if candidate.word == category), None)
    if chosen is None:
        raise ValueError(f"no category {category!r}; the market sells {', '.join(c.word for c in CATEGORIES)}")
    if not 0 <= family < len(chosen.families) or price < 0:
        raise ValueError(f"family must be 0 to {len(chosen.families) - 1} and price 0 or more")
    if listed_at.tzinfo is None:
        raise ValueError("the demo market needs a timezone-aware time")
    product = chosen.families[family]
    return DemoListing(
        listing_id=f"{POSTED_CODE}{number}",
        category=chosen.word,
        family=product.name,
        market_price=product.market_price,
        title=f"{product.name} – posted today",
        listed_at=listed_at,
        price_kind="fixed",
        price=price,
        price_high=None,
        original_price=None,
        shipping=Decimal(0),
        condition=Condition.USED,
        condition_label="Used – Good",
        location=LOCATIONS[number % len(LOCATIONS)],
        seller=SELLERS[number % len(SELLERS)],
        status="active",
        is_deal=price <= product.market_price * DEAL_CEILING,
    )


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def search(
    query: str,
    now: datetime,
    seed: int = 0,
    *,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    condition: Condition | None = None,
    posted: Sequence[DemoListing] = (),
) -> list[DemoListing]:
    """Listings whose title has every word of `query`, newest first; no words, no results.

    `posted` listings join the catalogue's from their `listed_at` on. A price bound leaves out
    listings without a price, as marketplaces do.
    """
    wanted = _words(query)
    if not wanted:
        return []
    shown = listings(now, seed)
    if posted:
        arrived = [listing for listing in posted if listing.listed_at <= now]
        shown = sorted([*shown, *arrived], key=lambda listing: listing.listed_at, reverse=True)
    return [
        listing
        for listing in shown
        if wanted <= _words(listing.title)
        and (condition is None or listing.condition is condition)
        and (min_price is None or (listing.price is not None and listing.price >= min_price))
        and (max_price is None or (listing.price is not None and listing.price <= max_price))
    ]


def _parse_id(listing_id: str) -> tuple[int, int] | None:
    match = _ID.match(listing_id)
    if not match:
        return None
    for index, category in enumerate(CATEGORIES):
        if category.code == match.group(1):
            return index, int(match.group(2))
    return None


def find(listing_id: str, now: datetime, seed: int = 0) -> DemoListing | None:
    """One listing as shown at `now`; None when it is not on the market then."""
    parsed = _parse_id(listing_id)
    if parsed is None:
        return None
    return _at(_traits(seed, *parsed), seed, _seconds(now))


def picture_of(listing_id: str, seed: int = 0) -> tuple[str, str] | None:
    """(category word, family name) of any listing id, listed yet or not, for its picture."""
    parsed = _parse_id(listing_id)
    if parsed is None:
        return None
    traits = _traits(seed, *parsed)
    return traits.category.word, traits.category.families[traits.family_index].name


def exists(listing_id: str, now: datetime, seed: int = 0) -> bool:
    """Whether the id was ever listed by `now` (a vanished listing is "gone", a future one unknown)."""
    parsed = _parse_id(listing_id)
    return parsed is not None and _traits(seed, *parsed).listed_at <= _seconds(now)
