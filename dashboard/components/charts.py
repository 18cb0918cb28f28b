"""Plotly figures for the Price history page: a search's prices with the market and target lines,
and one listing's price steps. Zoom and pan are Plotly's own.

Prices arrive as exact Decimals and become floats only here, for drawing. The market line is
a rolling median over the points the database returned (already capped), over the same window
and minimum sample the deal rules use (`MARKET_WINDOW_DAYS`, `MARKET_MIN_SAMPLES`).
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from dashboard.components.formatting import marketplace_name, money
from models.queries.history import ListingHistory, PriceHistory
from models.types import utcnow

PALETTE = ("#0f766e", "#2563eb", "#d97706", "#7c3aed", "#db2777", "#475569")
MARKET_COLOR = "#64748b"
TARGET_COLOR = "#dc2626"
MIN_TIME_SPAN = pd.Timedelta(hours=1)
_LAYOUT = {
    "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
    "hovermode": "closest",
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
}


def marketplace_colors(marketplaces: list[str]) -> dict[str, str]:
    return {name: PALETTE[index % len(PALETTE)] for index, name in enumerate(sorted(marketplaces))}


def history_frame(history: PriceHistory, zone: ZoneInfo) -> pd.DataFrame:
    """One row per point, times in the viewer's zone, prices as floats for drawing."""
    return pd.DataFrame(
        {
            "at": [point.at.astimezone(zone) for point in history.points],
            "marketplace": [point.marketplace for point in history.points],
            "price": [float(point.price) for point in history.points],
            "low": [float(point.low) for point in history.points],
            "high": [float(point.high) for point in history.points],
            "observations": [point.observations for point in history.points],
            "title": [point.title or "" for point in history.points],
        }
    )


def rolling_median(frame: pd.DataFrame, window_days: int, min_samples: int) -> pd.Series:
    """The median price over the preceding `window_days` (all marketplaces), one value per moment,
    left out until `min_samples` prices are known — as the deal rules do."""
    series = frame.sort_values("at", kind="stable").set_index("at")["price"]
    median = series.rolling(f"{window_days}D", min_periods=min_samples).median()
    return median.groupby(level=0).last().dropna()


def search_price_figure(
    history: PriceHistory,
    *,
    target: Decimal | None,
    currency: str,
    window_days: int,
    min_samples: int,
    zone: ZoneInfo,
) -> go.Figure:
    frame = history_frame(history, zone)
    figure = go.Figure()
    colors = marketplace_colors(frame["marketplace"].unique().tolist())
    bucketed = history.resolution != "raw"
    for marketplace, points in frame.groupby("marketplace", sort=True):
        name = marketplace_name(str(marketplace))
        color = colors[str(marketplace)]
        if bucketed:
            figure.add_trace(
                go.Scatter(
                    x=points["at"], y=points["price"], name=name, mode="lines+markers",
                    line={"color": color, "width": 1.5}, marker={"size": 5},
                    error_y={"type": "data", "symmetric": False, "array": points["high"] - points["price"],
                             "arrayminus": points["price"] - points["low"], "thickness": 1, "width": 0},
                    customdata=points[["low", "high", "observations"]],
                    hovertemplate=f"<b>{name}</b><br>%{{x}}<br>avg %{{y:,.2f}} {currency}"
                    "<br>low %{customdata[0]:,.2f} · high %{customdata[1]:,.2f}<br>%{customdata[2]} prices<extra></extra>",
                )
            )
        else:
            figure.add_trace(
                go.Scatter(
                    x=points["at"], y=points["price"], name=name, mode="markers",
                    marker={"color": color, "size": 7, "opacity": 0.7, "line": {"width": 0.5, "color": "white"}},
                    customdata=points[["title"]],
                    hovertemplate=f"<b>%{{customdata[0]}}</b><br>{name} · %{{y:,.2f}} {currency}<br>%{{x}}<extra></extra>",
                )
            )
    median = rolling_median(frame, window_days, min_samples)
    figure.add_trace(
        go.Scatter(
            x=median.index, y=median.values, name=f"Market price ({window_days}-day rolling median)",
            mode="lines", line={"color": MARKET_COLOR, "width": 2.5},
            hovertemplate=f"market %{{y:,.2f}} {currency}<br>%{{x}}<extra></extra>",
        )
    )
    if target is not None:
        figure.add_hline(
            y=float(target), line={"color": TARGET_COLOR, "dash": "dash", "width": 1.5},
            annotation_text=f"Target {money(target, currency)}", annotation_position="top right",
            annotation_font_color=TARGET_COLOR,
        )
    figure.update_layout(**_LAYOUT, height=440, yaxis_title=f"Price ({currency})", xaxis_title=None)
    figure.update_xaxes(showspikes=True, range=_time_range(frame["at"]))
    return figure


def _time_range(times: pd.Series) -> list[pd.Timestamp] | None:
    """Plotly's own range, except that a single scan (prices seconds apart) gets an hour around it
    instead of an axis in milliseconds."""
    first, last = times.min(), times.max()
    if last - first >= MIN_TIME_SPAN:
        return None
    middle = first + (last - first) / 2
    return [middle - MIN_TIME_SPAN / 2, middle + MIN_TIME_SPAN / 2]


def listing_step_figure(listing: ListingHistory, *, zone: ZoneInfo) -> go.Figure:
    """The listing's price as steps (a price holds until the next change), from first seen to its
    end — or to now while it is still listed — with both ends marked."""
    times = [moment.astimezone(zone) for moment, _ in listing.points]
    prices = [float(price) for _, price in listing.points]
    end = (listing.listing.last_seen_at if listing.ended else utcnow()).astimezone(zone)
    currency = listing.listing.currency
    figure = go.Figure(
        go.Scatter(
            x=[*times, end], y=[*prices, prices[-1]], name="Price", mode="lines",
            line={"shape": "hv", "color": PALETTE[0], "width": 2.5},
            hovertemplate=f"%{{y:,.2f}} {currency}<br>%{{x}}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=times, y=prices, name="Price change", mode="markers", marker={"color": PALETTE[0], "size": 7},
            hovertemplate=f"%{{y:,.2f}} {currency}<br>%{{x}}<extra></extra>", showlegend=False,
        )
    )
    marks = [("First seen", listing.first_seen_at.astimezone(zone), prices[0], "#16a34a", "circle")]
    if listing.ended:
        label = "Sold" if listing.listing.status.value == "sold" else "Ended"
        marks.append((label, end, prices[-1], TARGET_COLOR, "x"))
    for label, moment, price, color, symbol in marks:
        figure.add_trace(
            go.Scatter(
                x=[moment], y=[price], name=label, mode="markers+text", text=[label], textposition="top center",
                marker={"color": color, "size": 13, "symbol": symbol, "line": {"width": 1, "color": "white"}},
                hovertemplate=f"{label}<br>%{{x}}<extra></extra>",
            )
        )
    low, high = min(prices), max(prices)
    margin = (high - low) * 0.25 or high * 0.1 or 1.0
    figure.update_layout(**_LAYOUT, height=340, yaxis_title=f"Price ({currency})", showlegend=False)
    figure.update_yaxes(range=[max(low - margin, 0), high + margin])
    return figure
