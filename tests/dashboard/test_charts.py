"""The Price history charts as Vega-Lite specs (`chart.to_dict()`): what the AppTest page tests
do not reach — bucketed prices, a single scan's time axis, times in the viewer's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dashboard.components import charts
from models.queries.history import PriceHistory, PricePoint

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def point(at: datetime, price: int, marketplace: str = "ebay") -> PricePoint:
    return PricePoint(at, marketplace, "USD", Decimal(price), Decimal(price - 10), Decimal(price + 20), 4)


def spec(history: PriceHistory, target: Decimal | None = None) -> dict[str, Any]:
    chart = charts.search_price_figure(
        history, target=target, currency="USD", window_days=30, min_samples=3, zone=NEW_YORK
    )
    return chart.to_dict()


def rows(chart: dict[str, Any], index: int) -> list[dict[str, Any]]:
    return chart["datasets"][chart["layer"][index]["data"]["name"]]


def test_bucketed_prices_draw_averages_on_a_line_with_low_to_high_bars() -> None:
    history = PriceHistory("hour", [point(NOW - timedelta(hours=hours), 500 + hours) for hours in (3, 2, 1)], 12, False)
    chart = spec(history)
    bars, line = chart["layer"][:2]
    assert (bars["mark"]["type"], bars["encoding"]["y"]["field"], bars["encoding"]["y2"]["field"]) == (
        "rule",
        "low",
        "high",
    )
    assert [(row["low"], row["high"]) for row in rows(chart, 0)] == [(493.0, 523.0), (492.0, 522.0), (491.0, 521.0)]
    assert line["mark"]["type"] == "line" and line["mark"]["point"]["filled"]
    assert [tip["field"] for tip in line["encoding"]["tooltip"]] == [
        "series",
        "at",
        "price",
        "low",
        "high",
        "observations",
    ]


def test_times_are_the_viewers_wall_clock_and_a_single_scan_gets_an_hour() -> None:
    history = PriceHistory("raw", [point(NOW, 500), point(NOW + timedelta(seconds=40), 520, "demo")], 2, False)
    chart = spec(history, target=Decimal(450))
    assert [row["at"] for row in rows(chart, 0)] == ["2025-03-01T07:00:00", "2025-03-01T07:00:40"]
    assert chart["layer"][0]["encoding"]["x"]["scale"]["domain"] == [
        {"year": 2025, "month": 3, "date": 1, "hours": 6, "minutes": 30, "seconds": 20},
        {"year": 2025, "month": 3, "date": 1, "hours": 7, "minutes": 30, "seconds": 20},
    ]
    assert chart["layer"][0]["encoding"]["color"]["scale"]["domain"] == ["Demo market", "eBay"]  # no market line yet
    assert [layer["mark"]["type"] for layer in chart["layer"]] == ["circle", "rule", "text"]


def test_a_history_over_more_than_an_hour_keeps_vega_lites_own_time_axis() -> None:
    history = PriceHistory("raw", [point(NOW - timedelta(days=days), 500) for days in (3, 2, 1)], 3, False)
    chart = spec(history)
    assert "domain" not in chart["layer"][0]["encoding"]["x"].get("scale", {})
    assert [row["price"] for row in rows(chart, 1)] == [500.0]  # the market line, once 3 prices are known
