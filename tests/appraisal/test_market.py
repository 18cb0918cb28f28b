"""A robust market price: outliers trimmed, the median, its sample size and confidence."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from scanner.appraisal.market import market_price


def prices(*values: int) -> list[Decimal]:
    return [Decimal(value) for value in values]


def test_the_market_price_is_the_median_after_outliers_are_fenced_off() -> None:
    market = market_price(prices(100, 105, 98, 110, 102, 5, 900), "USD", min_samples=5)
    assert market is not None
    assert (market.median, market.sample_size, market.low, market.high) == (Decimal("102"), 5, 98, 110)


def test_an_even_sample_takes_the_mean_of_the_middle_two() -> None:
    market = market_price(prices(100, 200, 300, 400), "USD", min_samples=3)
    assert market is not None and market.median == Decimal("250")


def test_below_the_minimum_sample_there_is_no_market_price() -> None:
    assert market_price(prices(100, 100, 100, 100, 9000), "USD", min_samples=5) is None


def test_confidence_grows_with_the_sample_and_falls_with_the_spread() -> None:
    few = market_price(prices(*[100] * 5), "USD", min_samples=5)
    many = market_price(prices(*[100] * 40), "USD", min_samples=5)
    wide = market_price(prices(60, 80, 100, 120, 140, 160, 180, 200), "USD", min_samples=5)
    assert few and many and wide
    assert few.confidence == Decimal("0.5") and many.confidence == Decimal("0.89")
    assert wide.confidence < Decimal("0.5")


@given(st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=60))
def test_the_market_price_lies_within_the_prices_it_kept(values: list[int]) -> None:
    market = market_price(prices(*values), "USD", min_samples=1)
    assert market is not None
    assert market.low <= market.median <= market.high
    assert 0 <= market.confidence <= 1
    assert 1 <= market.sample_size <= len(values)
