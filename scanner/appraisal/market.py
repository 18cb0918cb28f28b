"""A market price from comparable listings' totals: outliers trimmed, then the median, with how
many listings it rests on and how far they agree.

Outliers go by Tukey's fences (outside 1.5 × the interquartile range from the quartiles): a
mislabelled bundle or a typo'd price among twenty honest ones must not move the market. The
range is taken as at least a fifth of the median, or five listings that happen to agree within
a few dollars would fence out every honest price a little further away. The
confidence (0–1) grows with the sample (n / (n + 5): 5 listings give 0.5, 45 give 0.9) and
falls with the spread (÷ (1 + IQR / median)), so ten listings that agree beat thirty that do not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

_CENTS = Decimal("0.01")
_HUNDREDTHS = Decimal("0.01")
_FENCE = Decimal("1.5")
_LEAST_SPREAD = Decimal("0.2")  # of the median


@dataclass(frozen=True)
class MarketPrice:
    """The robust median total of comparable listings, how many it rests on and how sure it is."""

    median: Decimal
    sample_size: int  # comparables left after trimming outliers
    confidence: Decimal  # 0–1
    currency: str
    low: Decimal  # the cheapest and dearest comparable kept
    high: Decimal

    def percent_under(self, total: Decimal) -> Decimal | None:
        """How far `total` is under the market, in percent (negative when above it)."""
        if self.median <= 0:
            return None
        return percent_of(self.median - total, self.median)


def percent_of(part: Decimal, whole: Decimal) -> Decimal:
    """`part` as a percentage of `whole`, to two places: how far under a market, how deep a drop."""
    return (part * 100 / whole).quantize(_HUNDREDTHS)


def _median(ordered: Sequence[Decimal]) -> Decimal:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _quartiles(ordered: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """Lower and upper quartile: the medians of the lower and upper halves (Tukey's hinges)."""
    half = len(ordered) // 2
    return _median(ordered[: half + len(ordered) % 2]), _median(ordered[half:])


def trim_outliers(totals: Sequence[Decimal]) -> list[Decimal]:
    """The totals inside Tukey's fences, sorted; fewer than four are kept as they are."""
    ordered = sorted(totals)
    if len(ordered) < 4:
        return ordered
    low, high = _quartiles(ordered)
    spread = max(high - low, _median(ordered) * _LEAST_SPREAD) * _FENCE
    return [total for total in ordered if low - spread <= total <= high + spread]


def confidence(sample_size: int, kept: Sequence[Decimal], median: Decimal) -> Decimal:
    """0–1: more comparables and a tighter spread make a market price one can trust."""
    if sample_size == 0 or median <= 0:
        return Decimal(0)
    low, high = _quartiles(kept) if len(kept) >= 2 else (median, median)
    sample_factor = Decimal(sample_size) / (sample_size + 5)
    spread_factor = 1 / (1 + (high - low) / median)
    return (sample_factor * spread_factor).quantize(_HUNDREDTHS)


def market_price(totals: Sequence[Decimal], currency: str, *, min_samples: int) -> MarketPrice | None:
    """The market price of these comparables' totals, or None below `min_samples` after trimming."""
    kept = trim_outliers(totals)
    if len(kept) < max(min_samples, 1):
        return None
    median = _median(kept).quantize(_CENTS)
    return MarketPrice(median, len(kept), confidence(len(kept), kept, median), currency, kept[0], kept[-1])
