"""Altair charts for the Price history page: a search's prices with the market and target lines,
and one listing's price steps. Zoom and pan are Vega-Lite's own (scroll, drag, double-click).

Prices arrive as exact Decimals and become floats only here, for drawing. Times are drawn as the
viewer's wall-clock time without a zone: Streamlit shows such times as written, whatever zone the
browser is in, so the chart agrees with `browser_zone()` (and its UTC fallback). The market line
is a rolling median over the points the database returned (already capped), over the same window
and minimum sample the deal rules use (`MARKET_WINDOW_DAYS`, `MARKET_MIN_SAMPLES`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
from altair.utils.schemapi import UndefinedType

from dashboard.components.formatting import marketplace_name, money
from models.queries.history import ListingHistory, PriceHistory
from models.types import utcnow

PALETTE = ("#0f766e", "#2563eb", "#d97706", "#7c3aed", "#db2777", "#475569")
MARKET_COLOR = "#64748b"
TARGET_COLOR = "#dc2626"
FIRST_SEEN_COLOR = "#16a34a"
MIN_TIME_SPAN = pd.Timedelta(hours=1)
TIME_FORMAT = "%b %-d, %Y, %H:%M"
_LEGEND = alt.Legend(title=None, orient="top", direction="horizontal", labelLimit=0)
_HOVER_POINT = alt.OverlayMarkDef(opacity=0, size=100)  # invisible: lets a line's tooltip follow its points


def marketplace_colors(marketplaces: list[str]) -> dict[str, str]:
    return {name: PALETTE[index % len(PALETTE)] for index, name in enumerate(sorted(marketplaces))}


def wall_times(moments: Iterable[datetime], zone: ZoneInfo) -> pd.Series[pd.Timestamp]:
    """The moments as wall-clock times in `zone`, without a zone (see the module's docstring)."""
    aware = pd.to_datetime(pd.Series(list(moments), dtype=object), utc=True)
    return aware.dt.tz_convert(zone).dt.tz_localize(None)


def history_frame(history: PriceHistory, zone: ZoneInfo) -> pd.DataFrame:
    """One row per point, times in the viewer's zone, prices as floats for drawing."""
    return pd.DataFrame(
        {
            "at": wall_times((point.at for point in history.points), zone),
            "marketplace": [point.marketplace for point in history.points],
            "series": [marketplace_name(point.marketplace) for point in history.points],
            "price": [float(point.price) for point in history.points],
            "low": [float(point.low) for point in history.points],
            "high": [float(point.high) for point in history.points],
            "observations": [point.observations for point in history.points],
            "title": [point.title or "" for point in history.points],
        }
    )


def rolling_median(frame: pd.DataFrame, window_days: int, min_samples: int) -> pd.Series[float]:
    """The median price over the preceding `window_days` (all marketplaces), one value per moment,
    left out until `min_samples` prices are known — as the deal rules do."""
    series = frame.sort_values("at", kind="stable").set_index("at")["price"]
    median = series.rolling(f"{window_days}D", min_periods=min_samples).median()
    return median.groupby(level=0).last().dropna()


def _price_y(field: str, currency: str, scale: alt.Scale | None = None) -> alt.Y:
    """The price axis; every layer names it alike, so Vega-Lite draws one."""
    return alt.Y(
        f"{field}:Q", title=f"Price ({currency})", axis=alt.Axis(format=",f"), scale=scale or alt.Scale(zero=False)
    )


def _time_tooltip() -> alt.Tooltip:
    return alt.Tooltip("at:T", title="Time", format=TIME_FORMAT)


def search_price_figure(
    history: PriceHistory,
    *,
    target: Decimal | None,
    currency: str,
    window_days: int,
    min_samples: int,
    zone: ZoneInfo,
) -> alt.LayerChart:
    """Every price by marketplace (hourly or daily averages with low–high bars when bucketed), the
    market's rolling median and the target as a dashed line."""
    frame = history_frame(history, zone)
    colors = marketplace_colors(frame["marketplace"].unique().tolist())
    series = {marketplace_name(marketplace): color for marketplace, color in colors.items()}
    median = rolling_median(frame, window_days, min_samples)
    market_label = f"Market price ({window_days}-day rolling median)"
    if not median.empty:
        series[market_label] = MARKET_COLOR
    color = alt.Color("series:N", scale=alt.Scale(domain=list(series), range=list(series.values())), legend=_LEGEND)
    x = alt.X("at:T", title=None, scale=alt.Scale(domain=_time_range(frame["at"])))
    y = _price_y("price", currency)
    points = alt.Chart(frame).encode(x=x, y=y, color=color)
    if history.resolution != "raw":
        tooltip = [
            alt.Tooltip("series:N", title="Marketplace"),
            _time_tooltip(),
            alt.Tooltip("price:Q", title=f"Average ({currency})", format=",.2f"),
            alt.Tooltip("low:Q", title="Low", format=",.2f"),
            alt.Tooltip("high:Q", title="High", format=",.2f"),
            alt.Tooltip("observations:Q", title="Prices", format=","),
        ]
        layers = [
            points.mark_rule(strokeWidth=1).encode(y=_price_y("low", currency), y2="high:Q", tooltip=tooltip),
            points.mark_line(strokeWidth=1.5, point=alt.OverlayMarkDef(filled=True, size=25)).encode(tooltip=tooltip),
        ]
    else:
        layers = [
            points.mark_circle(size=49, opacity=0.7, stroke="white", strokeWidth=0.5).encode(
                tooltip=[
                    alt.Tooltip("title:N", title="Listing"),
                    alt.Tooltip("series:N", title="Marketplace"),
                    alt.Tooltip("price:Q", title=f"Price ({currency})", format=",.2f"),
                    _time_tooltip(),
                ]
            )
        ]
    if not median.empty:
        market = pd.DataFrame({"at": median.index, "price": median.to_numpy(), "series": market_label})
        layers.append(
            alt.Chart(market)
            .mark_line(strokeWidth=2.5, point=_HOVER_POINT)
            .encode(
                x=x,
                y=y,
                color=color,
                tooltip=[alt.Tooltip("price:Q", title=f"Market ({currency})", format=",.2f"), _time_tooltip()],
            )
        )
    if target is not None:
        line = alt.Chart(pd.DataFrame({"price": [float(target)], "label": [f"Target {money(target, currency)}"]}))
        layers += [
            line.mark_rule(color=TARGET_COLOR, strokeDash=[6, 4], strokeWidth=1.5).encode(y=y),
            line.mark_text(color=TARGET_COLOR, align="right", baseline="bottom", dx=-4, dy=-4).encode(
                x=alt.value("width"), y=y, text="label:N"
            ),
        ]
    return alt.LayerChart(layer=layers, height=440).interactive()


def _time_range(times: pd.Series[pd.Timestamp]) -> list[alt.DateTime] | UndefinedType:
    """Vega-Lite's own range, except that a single scan (prices seconds apart) gets an hour around
    it instead of an axis in milliseconds."""
    if times.empty:
        return alt.Undefined
    first, last = times.min(), times.max()
    if last - first >= MIN_TIME_SPAN:
        return alt.Undefined
    middle = first + (last - first) / 2
    return [_datetime(middle - MIN_TIME_SPAN / 2), _datetime(middle + MIN_TIME_SPAN / 2)]


def _datetime(moment: pd.Timestamp) -> alt.DateTime:
    """A wall-clock time as Vega-Lite's DateTime, read in the same (local) way as the data."""
    return alt.DateTime(
        year=moment.year,
        month=moment.month,
        date=moment.day,
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
    )


def listing_step_figure(listing: ListingHistory, *, zone: ZoneInfo) -> alt.LayerChart:
    """The listing's price as steps (a price holds until the next change), from first seen to its
    end — or to now while it is still listed — with both ends marked."""
    times = wall_times((moment for moment, _ in listing.points), zone)
    prices = [float(price) for _, price in listing.points]
    end = wall_times([listing.listing.last_seen_at if listing.ended else utcnow()], zone)
    currency = listing.listing.currency or "currency unknown"  # no observations are kept for it
    marks = [("First seen", wall_times([listing.first_seen_at], zone)[0], prices[0], FIRST_SEEN_COLOR, "circle", 0)]
    if listing.ended:
        label = "Sold" if listing.listing.status.value == "sold" else "Ended"
        marks.append((label, end[0], prices[-1], TARGET_COLOR, "cross", 45))  # a cross turned 45° is an ×
    low, high = min(prices), max(prices)
    margin = (high - low) * 0.25 or high * 0.1 or 1.0
    x = alt.X("at:T", title=None, scale=alt.Scale(padding=40))  # room for the labels at both ends
    y = _price_y("price", currency, alt.Scale(domain=[max(low - margin, 0), high + margin]))
    tooltip = [alt.Tooltip("price:Q", title=f"Price ({currency})", format=",.2f"), _time_tooltip()]
    steps = pd.DataFrame({"at": pd.concat([times, end], ignore_index=True), "price": [*prices, prices[-1]]})
    ends = alt.Chart(pd.DataFrame(marks, columns=["label", "at", "price", "color", "shape", "angle"])).encode(
        x=x, y=y, color=alt.Color("color:N", scale=None)
    )
    layers = [
        alt.Chart(steps)
        .mark_line(interpolate="step-after", color=PALETTE[0], strokeWidth=2.5, point=_HOVER_POINT)
        .encode(x=x, y=y, tooltip=tooltip),
        alt.Chart(pd.DataFrame({"at": times, "price": prices}))
        .mark_circle(color=PALETTE[0], size=49, opacity=1)
        .encode(x=x, y=y, tooltip=tooltip),
        ends.mark_point(filled=True, opacity=1, size=169, stroke="white", strokeWidth=1).encode(
            shape=alt.Shape("shape:N", scale=None),
            angle=alt.Angle("angle:Q", scale=None),
            tooltip=[alt.Tooltip("label:N", title="Event"), _time_tooltip()],
        ),
        ends.mark_text(baseline="bottom", dy=-10).encode(text="label:N"),
    ]
    return alt.LayerChart(layer=layers, height=340).interactive()
