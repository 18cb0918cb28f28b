"""The demo market's listings: a pure function of (query, time, seed).

Every category lists a new item about every four minutes. Each listing's fixed traits (title,
condition, asking price, how long it stays up, whether it sells) come from a random generator
seeded by (seed, listing id), so they are the same in every process; its price and status at
a moment are computed from the time elapsed since it was listed. Nothing is stored, so a
test moves time by handing in another `now`, and a restarted server shows the same market.

The economics make deal detection worth watching: most listings ask close to their family's
market price, about one in twelve asks 35–55 % under it (and sells fast), a quarter drop their
price every five to twenty minutes (to at most a quarter off), some wobble up and down.

Like a real market it is not all items for sale: about a fifth of listings are junk, and each
listing carries the truth (`junk`) that judging deals is benchmarked against — accessories for
a family's product, broken units, placeholder prices ($0, $1, 9,999,999, no price), wanted posts
(priced at the buyer's budget), lots, and other products the search word drags in. Some
listings that end unsold come back within a day under a new id (`reposted_from`): the same
seller, nearly the same title, the same price or a little less.

Beside that stream, `posted` listings (ids P1, P2, …) are ones a caller puts on the market at a
moment of its choosing (`DemoMarket.post`): the way a test or the bench makes a deal appear now.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import accumulate
from typing import Literal

from demo_market.families import (
    CATEGORIES,
    COMMON_EXTRAS,
    FOR_PARTS_TITLES,
    LOCATIONS,
    LOT_TITLES,
    PAIR_TITLES,
    PRICE_DROP_ENDING,
    REPOST_ENDINGS,
    SELLERS,
    SHIPPING_COSTS,
    WANTED_TITLES,
    Category,
    Family,
)
from models.tables import Condition, JunkKind

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
ARRIVAL_SECONDS = 240  # one new listing per category every ~4 minutes
LONGEST_VISIBLE_SECONDS = 6 * 3600  # lifetime plus time shown as sold, at most
SELLING_SOON_SECONDS = 15 * 60  # "pending" this long before a sale, for listings that show it
DROP_FLOOR = Decimal("0.75")  # a seller who keeps dropping stops at three quarters of the first ask
DEAL_CEILING = Decimal("0.65")  # a deal asks at most this fraction of its family's market price
POSTED_CODE = "P"  # first letter of the ids of posted listings
REPOST_CHANCE = 0.08  # of listings that try to be a repost (the earlier one must have ended unsold)
REPOST_GAPS = (30, 330)  # arrivals between a listing and its repost: about 2 to 22 hours
REPOST_WITHIN_SECONDS = 24 * 3600  # a repost comes at most a day after the listing ended

PriceKind = Literal["fixed", "range", "free", "contact", "on_request", "offer"]
Behaviour = Literal["stable", "drop", "wobble"]
StatusName = Literal["active", "pending", "sold"]
UNPRICED: tuple[PriceKind, ...] = ("contact", "on_request", "offer")  # shown without an amount

# (condition, label shown, price factor against the family's market price, weight)
_CONDITIONS: tuple[tuple[Condition, str, str, int], ...] = (
    (Condition.NEW, "New", "1.10", 10),
    (Condition.USED, "Used – Like New", "1.00", 25),
    (Condition.USED, "Used – Good", "0.92", 30),
    (Condition.USED, "Used – Fair", "0.82", 15),
    (Condition.REFURBISHED, "Refurbished", "0.88", 12),
)
_CONDITION_ODDS = tuple(accumulate(condition[3] for condition in _CONDITIONS))
_BROKEN = (Condition.FOR_PARTS, "For parts or not working")
# What a listing is, per 1000 new listings (reposts copy what they repost): junk is 18.5 %.
_KINDS: tuple[tuple[JunkKind | None, int], ...] = (
    (None, 815),
    (JunkKind.ACCESSORY, 60),
    (JunkKind.FOR_PARTS, 40),
    (JunkKind.PLACEHOLDER_PRICE, 35),
    (JunkKind.BUNDLE, 20),
    (JunkKind.WANTED, 15),
    (JunkKind.OFF_QUERY, 15),
)
_KIND_ODDS = tuple(accumulate(weight for _, weight in _KINDS))
# How a placeholder price shows: (price kind, amount), equally likely.
_PLACEHOLDERS: tuple[tuple[PriceKind, Decimal], ...] = (
    ("free", Decimal(0)),
    ("fixed", Decimal(0)),
    ("fixed", Decimal(1)),
    ("fixed", Decimal(9_999_999)),
    ("contact", Decimal(0)),
    ("on_request", Decimal(0)),
    ("offer", Decimal(0)),
)
_ID = re.compile(r"^([A-Z])(\d{1,9})$")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class DemoListing:
    """One listing as the market shows it at one moment."""

    listing_id: str
    category: str
    family: str  # what it is or is for (a lot: its first product; off-query junk: its own product)
    market_price: Decimal  # the family's, for tests and for judging deals
    title: str
    listed_at: datetime
    price_kind: PriceKind
    price: Decimal | None  # the low end of a range; 0 when free; None for "Contact seller" and the like
    price_high: Decimal | None  # only for ranges
    original_price: Decimal | None  # shown struck out
    shipping: Decimal | None  # None: local pickup only
    condition: Condition
    condition_label: str
    location: str
    seller: str
    status: StatusName
    is_deal: bool  # a real item asking at most DEAL_CEILING of the market price from the start
    junk: JunkKind | None  # the truth about what it is: None for a real item of its family
    reposted_from: str | None  # the id of the unsold listing this one puts up again


@dataclass(frozen=True)
class _Item:
    """What a seller puts up: the thing, its title and first price (a repost puts it up again)."""

    category: Category
    family: Family
    title: str
    junk: JunkKind | None
    condition: Condition
    condition_label: str
    price_kind: PriceKind
    asking: Decimal  # first asking price
    list_price: Decimal | None
    shipping: Decimal | None
    location: str
    seller: str

    @property
    def is_deal(self) -> bool:
        return (
            self.junk is None and self.price_kind == "fixed" and self.asking <= self.family.market_price * DEAL_CEILING
        )

    @property
    def price_moves(self) -> bool:
        """Whether the seller may change the price: not a deal, a placeholder or a buyer's budget."""
        moving = self.junk not in (JunkKind.PLACEHOLDER_PRICE, JunkKind.WANTED)
        return self.price_kind == "fixed" and moving and not self.is_deal


@dataclass(frozen=True)
class _Traits:
    """What never changes about a listing."""

    listing_id: str
    item: _Item
    listed_at: int  # whole seconds since EPOCH, so `listed_at` as a datetime is exact
    lifetime: float
    sells: bool
    shows_pending: bool
    sold_shown_for: float
    behaviour: Behaviour
    step_seconds: int
    drop_fraction: Decimal
    is_deal: bool  # the item's, kept: every page shows it
    reposted_from: str | None


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


def _product(rng: random.Random, family: Family) -> str:
    """How a junk title names the family: in full (with the category word a search types) or short."""
    return family.name if rng.random() < 0.5 else family.model


def _item(
    rng: random.Random,
    category: Category,
    family: Family,
    title: str,
    junk: JunkKind | None,
    condition: tuple[Condition, str],
    price: tuple[PriceKind, Decimal],
    list_price: Decimal | None = None,
) -> _Item:
    """An item with the seller's own traits (shipping, place, name) drawn."""
    shipping_roll = rng.random()
    return _Item(
        category=category,
        family=family,
        title=title,
        junk=junk,
        condition=condition[0],
        condition_label=condition[1],
        price_kind=price[0],
        asking=price[1],
        list_price=list_price,
        shipping=Decimal(0) if shipping_roll < 0.4 else rng.choice(SHIPPING_COSTS) if shipping_roll < 0.75 else None,
        location=rng.choice(LOCATIONS),
        seller=rng.choice(SELLERS),
    )


def _condition(rng: random.Random) -> tuple[Condition, str, Decimal]:
    condition, label, factor, _ = rng.choices(_CONDITIONS, cum_weights=_CONDITION_ODDS)[0]
    return condition, label, Decimal(factor)


def _family_title(rng: random.Random, family: Family, condition: Condition, extras: tuple[str, ...]) -> str:
    """An item's title: the product's name as it is, with an ending that does not change the product."""
    prefix = "NEW " if condition is Condition.NEW else ""
    return f"{prefix}{family.name}{rng.choice(extras)}"


def _real(rng: random.Random, category: Category) -> _Item:
    """An item of a family, near its market price; about one in twelve is a deal, one in twenty a range."""
    family = rng.choice(category.families)
    condition, label, factor = _condition(rng)
    if rng.random() < 0.08:
        price: tuple[PriceKind, Decimal] = ("fixed", round_price(family.market_price * _factor(rng, 0.45, 0.62)))
    else:
        asking = round_price(family.market_price * factor * _factor(rng, 0.9, 1.1))
        price = ("range" if rng.random() < 0.05 else "fixed", asking)
    list_price = round_price(family.market_price * Decimal("1.25")) if condition is Condition.NEW else None
    title = _family_title(rng, family, condition, COMMON_EXTRAS + category.extras)
    return _item(rng, category, family, title, None, (condition, label), price, list_price)


def _accessory(rng: random.Random, category: Category) -> _Item:
    """A part or accessory for a family's product: a few per cent of its price, $8 to $80."""
    family = rng.choice(category.families)
    title = rng.choice(category.accessories).format(product=_product(rng, family))
    asking = round_price(min(max(family.market_price * _factor(rng, 0.02, 0.06), Decimal(8)), Decimal(80)))
    condition = (Condition.NEW, "New") if rng.random() < 0.5 else (Condition.USED, "Used – Good")
    return _item(rng, category, family, title, JunkKind.ACCESSORY, condition, ("fixed", asking))


def _for_parts(rng: random.Random, category: Category) -> _Item:
    """A broken unit, priced low (some given away); a quarter of sellers still call it "used"."""
    family = rng.choice(category.families)
    title = rng.choice(FOR_PARTS_TITLES).format(product=_product(rng, family))
    asking = round_price(family.market_price * _factor(rng, 0.15, 0.4))
    price: tuple[PriceKind, Decimal] = ("free", Decimal(0)) if rng.random() < 0.15 else ("fixed", asking)
    condition = _BROKEN if rng.random() < 0.75 else (Condition.USED, "Used – Fair")
    return _item(rng, category, family, title, JunkKind.FOR_PARTS, condition, price)


def _placeholder(rng: random.Random, category: Category) -> _Item:
    """A real item whose price says nothing: $0, $1, 9,999,999, or none at all."""
    family = rng.choice(category.families)
    condition, label, _ = _condition(rng)
    title = _family_title(rng, family, condition, COMMON_EXTRAS + category.extras)
    return _item(
        rng, category, family, title, JunkKind.PLACEHOLDER_PRICE, (condition, label), rng.choice(_PLACEHOLDERS)
    )


def _wanted(rng: random.Random, category: Category) -> _Item:
    """Somebody buying a family's product, asking their budget: half to four fifths of its price."""
    family = rng.choice(category.families)
    title = rng.choice(WANTED_TITLES).format(product=_product(rng, family))
    budget = round_price(family.market_price * _factor(rng, 0.5, 0.8))
    condition = (Condition.USED, "Used – Any condition")
    return _item(rng, category, family, title, JunkKind.WANTED, condition, ("fixed", budget))


def _bundle(rng: random.Random, category: Category) -> _Item:
    """Several units of a family, or two of the category's products, priced around their sum."""
    family, other = rng.sample(category.families, 2)
    condition, label, factor = _condition(rng)
    if rng.random() < 0.5:
        count = rng.randint(2, 4)
        title = rng.choice(LOT_TITLES).format(count=count, product=_product(rng, family))
        total = family.market_price * count
    else:
        title = rng.choice(PAIR_TITLES).format(product=_product(rng, family), other=other.model)
        total = family.market_price + other.market_price
    asking = round_price(total * factor * _factor(rng, 0.85, 1.0))
    return _item(rng, category, family, title, JunkKind.BUNDLE, (condition, label), ("fixed", asking))


def _off_query(rng: random.Random, category: Category) -> _Item:
    """Another product whose title has the category word, near its own market price."""
    product = rng.choice(category.off_query)
    condition, label, factor = _condition(rng)
    title = _family_title(rng, product, condition, COMMON_EXTRAS)  # a desk has no keyboard layout
    asking = round_price(product.market_price * factor * _factor(rng, 0.9, 1.1))
    return _item(rng, category, product, title, JunkKind.OFF_QUERY, (condition, label), ("fixed", asking))


_MAKERS: dict[JunkKind | None, Callable[[random.Random, Category], _Item]] = {
    None: _real,
    JunkKind.ACCESSORY: _accessory,
    JunkKind.FOR_PARTS: _for_parts,
    JunkKind.PLACEHOLDER_PRICE: _placeholder,
    JunkKind.BUNDLE: _bundle,
    JunkKind.WANTED: _wanted,
    JunkKind.OFF_QUERY: _off_query,
}


def _new_item(rng: random.Random, category: Category) -> _Item:
    """An item of a kind drawn at the market's rates: mostly real, about a fifth junk."""
    kind, _ = rng.choices(_KINDS, cum_weights=_KIND_ODDS)[0]
    return _MAKERS[kind](rng, category)


def _price_at(traits: _Traits, seed: int, elapsed: float) -> Decimal:
    """The asking price `elapsed` seconds after listing: stable, stepping down, or wobbling."""
    step = int(elapsed // traits.step_seconds)
    if traits.behaviour == "drop":
        factor = max(DROP_FLOOR, 1 - traits.drop_fraction * step)
    elif traits.behaviour == "wobble" and step:
        factor = 1 + Decimal(random.Random(f"{seed}:{traits.listing_id}:{step}").randint(-2, 2)) * Decimal("0.03")
    else:
        return traits.item.asking
    return round_price(traits.item.asking * factor)


def _reposted(source: _Traits, seed: int, rng: random.Random) -> _Item:
    """The item put up again: the same seller and thing, a near-identical title, and the price it
    ended at or 2–8 % less."""
    item = source.item
    ended_at = _price_at(source, seed, source.lifetime)
    asking = round_price(ended_at * _factor(rng, 0.92, 0.98)) if item.price_moves and rng.random() < 0.6 else ended_at
    endings = (*REPOST_ENDINGS, PRICE_DROP_ENDING) if asking < ended_at else REPOST_ENDINGS
    return replace(item, title=item.title + rng.choice(endings), asking=asking)


def _repost_source(seed: int, category_index: int, number: int, listed_at: int, rng: random.Random) -> _Traits | None:
    """The earlier listing this one reposts, if any: one that ended unsold at most a day before."""
    if rng.random() >= REPOST_CHANCE:
        return None
    earlier = number - rng.randint(*REPOST_GAPS)
    if earlier < 0:
        return None
    source = _traits(seed, category_index, earlier)
    ended = source.listed_at + source.lifetime
    if source.sells or source.reposted_from is not None or not ended <= listed_at <= ended + REPOST_WITHIN_SECONDS:
        return None
    return source


@lru_cache(maxsize=8192)
def _traits(seed: int, category_index: int, number: int) -> _Traits:
    category = CATEGORIES[category_index]
    listing_id = f"{category.code}{number}"
    rng = random.Random(f"{seed}:{listing_id}")
    listed_at = number * ARRIVAL_SECONDS + category.arrival_offset_seconds + int(rng.uniform(0, ARRIVAL_SECONDS))
    source = _repost_source(seed, category_index, number, listed_at, rng)
    item = _reposted(source, seed, rng) if source is not None else _new_item(rng, category)
    behaviour_roll = rng.random()
    behaviour: Behaviour = "stable"
    if item.price_moves:
        behaviour = "drop" if behaviour_roll < 0.25 else "wobble" if behaviour_roll < 0.4 else "stable"
    return _Traits(
        listing_id=listing_id,
        item=item,
        listed_at=listed_at,
        lifetime=rng.uniform(20 * 60, 90 * 60) if item.is_deal else rng.uniform(2 * 3600, 5 * 3600),
        sells=rng.random() < (0.9 if item.is_deal else 0.6),
        shows_pending=rng.random() < 0.5,
        sold_shown_for=rng.uniform(30 * 60, 60 * 60),
        behaviour=behaviour,
        step_seconds=rng.choice((300, 600, 900, 1200)),
        drop_fraction=_factor(rng, 0.03, 0.07),
        is_deal=item.is_deal,
        reposted_from=source.listing_id if source is not None else None,
    )


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
    item = traits.item
    price: Decimal | None = _price_at(traits, seed, min(now, closes_at) - traits.listed_at)
    original = item.list_price
    if price is not None and price < item.asking:  # a seller who came down shows the first ask
        original = item.asking
    if item.price_kind in UNPRICED:
        price, original = None, None
    return DemoListing(
        listing_id=traits.listing_id,
        category=item.category.word,
        family=item.family.name,
        market_price=item.family.market_price,
        title=item.title,
        listed_at=EPOCH + timedelta(seconds=traits.listed_at),
        price_kind=item.price_kind,
        price=price,
        price_high=round_price(item.asking * Decimal("1.25")) if item.price_kind == "range" else None,
        original_price=original,
        shipping=item.shipping,
        condition=item.condition,
        condition_label=item.condition_label,
        location=item.location,
        seller=item.seller,
        status=status,
        is_deal=traits.is_deal,
        junk=item.junk,
        reposted_from=traits.reposted_from,
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
        junk=None,
        reposted_from=None,
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
    item = _traits(seed, *parsed).item
    return item.category.word, item.family.name


def exists(listing_id: str, now: datetime, seed: int = 0) -> bool:
    """Whether the id was ever listed by `now` (a vanished listing is "gone", a future one unknown)."""
    parsed = _parse_id(listing_id)
    return parsed is not None and _traits(seed, *parsed).listed_at <= _seconds(now)
