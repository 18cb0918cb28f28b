"""What Deal Scout says about one listing's price, given the listings comparable to it.

One function, `appraise`, serves the scan pipeline (comparables from every stored listing) and
`python -m scanner appraise` (comparables from the same page), so both say the same thing.

A listing is comparable to another when it is another listing of the same product (see
`identity`), in the same currency, in a compatible condition (new, used and refurbished apart;
an unknown condition goes with any of them), and of the same junk kind — none, for real items;
for parts, for the searches that ask for broken units to repair. An auction's current bid is
no comparable: it says what the item costs so far, not what it sells for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from operator import itemgetter

from models.tables import Condition, JunkKind
from scanner.appraisal.identity import Identity, identify
from scanner.appraisal.market import MarketPrice, market_price

#: Under this fraction of its market a price is too good to be true (or a token auction bid).
SUSPICIOUS_FRACTION = Decimal("0.30")
#: More than this fraction over the market is "above" it; between the deal line and this, "fair".
ABOVE_FRACTION = Decimal("1.10")
#: The discount under market that makes a deal when a search sets none (the form's default).
DEFAULT_DISCOUNT_PCT = Decimal(20)
SUSPICIOUS = "suspicious"


class Verdict(StrEnum):
    DEAL = "deal"  # at least the discount under its market
    FAIR = "fair"  # near its market
    ABOVE = "above"  # over its market
    NOT_ENOUGH_DATA = "not_enough_data"  # too few comparables for a market price
    EXCLUDED = "excluded"  # junk, or too good to be true


@dataclass(frozen=True)
class Candidate:
    """A listing as evidence of a price. `ref` is a listing id, or an external id on a page."""

    ref: int | str
    title: str
    total: Decimal | None
    currency: str | None
    condition: Condition | None
    junk: JunkKind | None
    auction: bool = False  # the price is a current bid that will still rise
    identity: Identity = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "identity", identify(self.title))


@dataclass(frozen=True)
class Rules:
    """What a search counts as a deal (its own discount, the junk it asks for) and the market's
    minimum sample."""

    min_samples: int
    discount_pct: Decimal = DEFAULT_DISCOUNT_PCT
    allowed_junk: frozenset[JunkKind] = frozenset()


@dataclass(frozen=True)
class Appraisal:
    verdict: Verdict
    market: MarketPrice | None = None
    comparables: tuple[Candidate, ...] = ()  # those the market price rests on, outliers trimmed
    excluded_reason: str | None = None  # a JunkKind value, or "suspicious"


def _conditions_match(one: Condition | None, other: Condition | None) -> bool:
    return one is None or other is None or one == other


class Pool:
    """Listings that may be comparable to others, grouped by how their titles read and by junk
    kind, condition and currency: a scan compares each of its listings with up to 200 stored
    ones, most of them alike, so each test runs once per group. Prices that are no evidence (none,
    zero, a running bid) are left out once, here."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self._groups: dict[_Group, list[tuple[int, Candidate]]] = defaultdict(list)
        for position, other in enumerate(candidates):
            if other.total is not None and other.total > 0 and not other.auction:
                self._groups[(other.identity, other.junk, other.condition, other.currency)].append((position, other))

    def comparables_of(self, item: Candidate) -> list[Candidate]:
        """The other listings of the same product, currency, junk kind and a compatible condition,
        in the pool's order."""
        found = [
            pair
            for (identity, junk, condition, currency), group in self._groups.items()
            if junk == item.junk
            and currency == item.currency
            and _conditions_match(item.condition, condition)
            and item.identity.same_product(identity)
            for pair in group
            if pair[1].ref != item.ref
        ]
        found.sort(key=itemgetter(0))
        return [other for _, other in found]


_Group = tuple[Identity, JunkKind | None, Condition | None, str | None]


def appraise(item: Candidate, pool: Pool, rules: Rules) -> Appraisal:
    """The verdict on `item` among the candidates of `pool` (which may include `item` itself)."""
    if item.junk is not None and item.junk not in rules.allowed_junk:
        return Appraisal(Verdict.EXCLUDED, excluded_reason=item.junk.value)
    if item.total is None or item.currency is None:  # no price, or one in an unknown currency
        return Appraisal(Verdict.EXCLUDED, excluded_reason=JunkKind.PLACEHOLDER_PRICE.value)
    comparable = pool.comparables_of(item)
    totals = [other.total for other in comparable if other.total is not None]
    market = market_price(totals, item.currency, min_samples=rules.min_samples)
    if market is None:
        return Appraisal(Verdict.NOT_ENOUGH_DATA)
    kept = tuple(other for other in comparable if other.total is not None and market.low <= other.total <= market.high)
    if item.total < market.median * SUSPICIOUS_FRACTION:
        reason = JunkKind.PLACEHOLDER_PRICE.value if item.auction else SUSPICIOUS  # a token bid, or bait
        return Appraisal(Verdict.EXCLUDED, market, kept, reason)
    under = market.percent_under(item.total)
    if under is not None and under >= rules.discount_pct:
        return Appraisal(Verdict.DEAL, market, kept)
    if item.total > market.median * ABOVE_FRACTION:
        return Appraisal(Verdict.ABOVE, market, kept)
    return Appraisal(Verdict.FAIR, market, kept)
