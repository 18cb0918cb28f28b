"""Price history: every price a search's listings had over time (by marketplace, with the market
and target lines), and one listing's price steps."""

from __future__ import annotations

import statistics

import streamlit as st

from dashboard import data, resources
from dashboard.components import charts
from dashboard.components.formatting import browser_zone, marketplace_name, money, plain, relative, safe_url
from models.queries.history import ListingChoice

WINDOWS = {"24 hours": 1, "7 days": 7, "30 days": 30, "90 days": 90, "All": None}
RESOLUTION_NOTE = {
    "raw": "every price seen",
    "hour": "average per hour and marketplace, bars from lowest to highest",
    "day": "average per day and marketplace, bars from lowest to highest",
}

settings = resources.settings()


def _linked(name: str, ids: list[int]) -> int:
    """The position of the id a link asked for (`?search=3&listing=17`), else the first."""
    wanted = st.query_params.get(name, "")
    return ids.index(int(wanted)) if wanted.isdigit() and int(wanted) in ids else 0


zone = browser_zone()

st.title("Price history")
names = data.search_names()
if not names:
    st.info(
        "Nothing to chart yet: create a search first, and its prices appear here after the first scan.",
        icon=":material/show_chart:",
    )
    st.page_link("views/searches.py", label="Create a search", icon=":material/add:")
    st.stop()

pick, span = st.columns([3, 2], vertical_alignment="bottom")
search_id: int = pick.selectbox(
    "Search", list(names), index=_linked("search", list(names)), format_func=names.__getitem__, key="history.search"
)
st.query_params["search"] = str(search_id)
window = span.segmented_control("Period", list(WINDOWS), default="30 days", required=True, key="history.window")
days = WINDOWS[window or "30 days"]

history = data.price_history(search_id, days)
target, currency = data.target_price(search_id)
if not history.points:
    summary = next((s for s in data.search_summaries() if s.id == search_id), None)
    when = f" Its next scan is due {relative(summary.next_scan_at)}." if summary else ""
    period = "yet" if days is None else f"in the last {window}"
    st.info(f"No prices recorded for “{plain(names[search_id])}” {period}.{when}", icon=":material/hourglass_top:")
else:
    lowest, middle, recorded, goal = st.columns(4)
    lowest.metric("Lowest price", money(min(point.low for point in history.points), currency))
    middle.metric(
        "Median price",
        money(statistics.median(point.price for point in history.points), currency),
        help="Of the prices shown (hourly or daily averages when bucketed)",
    )
    recorded.metric("Prices recorded", f"{history.observations:,}")
    goal.metric("Target price", money(target, currency) if target is not None else "none set")
    st.altair_chart(
        charts.search_price_figure(
            history,
            target=target,
            currency=currency,
            window_days=settings.market_window_days,
            min_samples=settings.market_min_samples,
            zone=zone,
        ),
        key="history.search-chart",
        width="stretch",
        alt=f"Prices of “{names[search_id]}” over time, by marketplace, with the market price and target lines",
    )
    note = RESOLUTION_NOTE[history.resolution]
    if history.truncated:
        note += f"; the oldest part is left out to keep the chart quick ({len(history.points):,} points shown)"
    st.caption(f"{note.capitalize()}. Scroll to zoom, drag to pan, double-click to reset. Prices are without shipping.")

st.subheader("One listing")
choices = {choice.id: choice for choice in data.listing_choices(search_id)}
if not choices:
    st.caption("This search has not matched any listing yet.")
    st.stop()


def _label(listing_id: int) -> str:
    choice: ListingChoice = choices[listing_id]
    price = money(choice.price, choice.currency) if choice.price is not None else "no price"
    return f"{choice.title} — {marketplace_name(choice.marketplace)} — {price} ({choice.status.value})"


listing_id: int = st.selectbox(
    "Listing",
    list(choices),
    index=_linked("listing", list(choices)),
    format_func=_label,
    key=f"history.listing.{search_id}",
)
st.query_params["listing"] = str(listing_id)
listing = data.listing_history(listing_id)
if listing is None or not listing.points:
    st.caption("No prices recorded for this listing.")
    st.stop()
st.altair_chart(
    charts.listing_step_figure(listing, zone=zone),
    key="history.listing-chart",
    width="stretch",
    alt=f"Price of “{listing.listing.title}” over time, from first seen to now or its end",
)
changes = len(listing.points) - 1
about, open_link = st.columns([4, 1], vertical_alignment="center")
about.caption(
    f"First seen {relative(listing.first_seen_at)} · "
    f"{changes} price change{'s' if changes != 1 else ''} · "
    + (f"{listing.listing.status.value} {relative(listing.listing.last_seen_at)}" if listing.ended else "still listed")
)
url = safe_url(listing.listing.url)
if url:
    open_link.link_button("Open listing", url, icon=":material/open_in_new:", width="stretch")
