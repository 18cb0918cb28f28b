"""Deals: the best and newest deals across searches, filtered, refreshed while the page is open,
each dismissible and each with the comparables its market price rests on; the suspicious ones
apart, below; and, on request, what the searches left out as junk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pandas as pd
import streamlit as st

from dashboard import actions, data
from dashboard.components.formatting import (
    JUNK_LABELS,
    REASON_LABELS,
    confidence_label,
    marketplace_name,
    money,
    plain,
    relative,
    safe_url,
    versus_market,
)
from models.queries.deals import EXCLUDED_LIMIT, Comparable, DealFilter, DealRow, ExcludedListing
from models.tables import DealReason, SearchStatus

REFRESH_EVERY = timedelta(seconds=30)
DEALS = "deals"  # the keys of each deal table's widgets start with its name
SUSPICIOUS = "deals.suspicious"
TITLE_MARKER = "#dealscout-title="  # the link column shows what follows it: the listing's title
_CURRENCY_FORMATS = {"USD": "dollar", "EUR": "euro", "JPY": "yen"}
PRICE_STEP = 10.0
MAX_PRICE_FILTER = 1e12  # above any price a listing can hold (14 digits): bounds what is typed
ROW_HEIGHT = 72  # room for the picture
HEADER_HEIGHT = 40
VISIBLE_ROWS = 12  # more scroll inside the table


def price_format(currencies: set[str]) -> str:
    """One currency: show its symbol; several: plain amounts next to a currency column."""
    if len(currencies) == 1:
        (currency,) = currencies
        return _CURRENCY_FORMATS.get(currency, f"%,.2f {currency}")
    return "%,.2f"


def titled_link(url: str, title: str) -> str:
    """A link the Listing column shows as the listing's title (its `display_text` captures it)."""
    # The table decodes the captured title as a URL part, so it is percent-encoded here.
    return f"{safe_url(url) or ''}{TITLE_MARKER}{quote(' '.join(title.split()), safe='')}"


def _amount(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def reasons_text(row: DealRow) -> str:
    return " · ".join(REASON_LABELS[reason] for reason in row.reasons)


def compared(row: DealRow) -> str:
    if row.market is None or row.market.percent_under is None:
        return "not enough data"  # too few comparables when the deal was found
    return versus_market(row.market.percent_under, suspicious=row.suspicious)


def deals_frame(rows: list[DealRow]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "image": [safe_url(row.image_url) for row in rows],
            "listing": [titled_link(row.url, row.title) for row in rows],
            "history": [f"price_history?search={row.search_id}&listing={row.listing_id}" for row in rows],
            "price": [_amount(row.total_price) for row in rows],
            "currency": [row.currency for row in rows],
            "market": [_amount(row.market.price) if row.market else None for row in rows],
            "versus": [compared(row) for row in rows],
            "reason": [reasons_text(row) for row in rows],
            "search": [row.search_name for row in rows],
            "marketplace": [marketplace_name(row.marketplace) for row in rows],
            "location": [row.location or "" for row in rows],
            "listed": [row.first_seen_at for row in rows],
            "found": [row.detected_at for row in rows],
        }
    )


def comparables_frame(items: list[Comparable]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "listing": [titled_link(item.url, item.title) for item in items],
            "price": [_amount(item.total_price) for item in items],
            "currency": [item.currency for item in items],
            "marketplace": [marketplace_name(item.marketplace) for item in items],
        }
    )


def excluded_frame(items: list[ExcludedListing]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "excluded": [JUNK_LABELS[item.junk] for item in items],
            "listing": [titled_link(item.url, item.title) for item in items],
            "price": [_amount(item.total_price) for item in items],
            "currency": [item.currency for item in items],
            "marketplace": [marketplace_name(item.marketplace) for item in items],
            "search": [item.search_name for item in items],
            "found": [item.matched_at for item in items],
        }
    )


def _listing_columns(currencies: set[str]) -> dict[str, Any]:
    """The columns every table here shares: the titled link, the total price and, when the prices
    are in several currencies, the currency. (Values are `st.column_config` columns or None: the
    type those return, `ColumnConfig`, is not part of Streamlit's public API, hence Any.)"""
    return {
        "listing": st.column_config.LinkColumn("Listing", display_text=f"{TITLE_MARKER}(.*)$", width=280),
        "price": st.column_config.NumberColumn(
            "Price", format=price_format(currencies), help="Total: price plus known shipping"
        ),
        "currency": st.column_config.TextColumn("Cur.", width="small") if len(currencies) > 1 else None,
        "marketplace": st.column_config.TextColumn("Marketplace"),
    }


def _column_config(currencies: set[str]) -> dict[str, Any]:
    return {
        "image": st.column_config.ImageColumn("", width="small"),
        **_listing_columns(currencies),
        "history": st.column_config.LinkColumn(
            "History", display_text=":material/show_chart:", width="small", help="This listing's price history"
        ),
        "market": st.column_config.NumberColumn(
            "Market price",
            format=price_format(currencies),
            help="Median price of comparable listings when the deal was found",
        ),
        "versus": st.column_config.TextColumn("vs market", help="The price against the market price"),
        "reason": st.column_config.TextColumn("Why"),
        "search": st.column_config.TextColumn("Search"),
        "location": st.column_config.TextColumn("Location"),
        "listed": st.column_config.DatetimeColumn("Listed", format="distance", help="When Deal Scout first saw it"),
        "found": st.column_config.DatetimeColumn("Found", format="distance", help="When it became a deal"),
    }


def _no_deals_yet() -> None:
    upcoming = [s for s in data.search_summaries() if s.status is SearchStatus.ACTIVE]
    if not upcoming:
        st.info("No deals yet, and every search is paused: resume one on the Searches page.", icon=":material/pause:")
        return
    soonest = min(upcoming, key=lambda s: s.next_scan_at)
    st.info(
        f"No deals yet. The next scan (“{plain(soonest.name)}”) is due {relative(soonest.next_scan_at)}; deals show up here "
        "as soon as a scan finds a listing under your target, well under the market price, or with a price drop.",
        icon=":material/hourglass_top:",
    )


def _dismiss(deal_ids: list[int]) -> None:
    count = actions.dismiss_deals(deal_ids)
    st.session_state["deals.flash"] = f"Dismissed {count} deal{'s' if count != 1 else ''}."
    st.session_state["deals.generation"] = st.session_state.get("deals.generation", 0) + 1  # clears the selection


def _why(row: DealRow, name: str) -> None:
    """What the selected deal rests on: its market price, how sure that is and the listings behind it."""
    with st.container(border=True, key=f"{name}.why"):
        st.markdown(f"**Why “{plain(row.title)}”** · {reasons_text(row)} · {compared(row)}")
        market = row.market
        if market is None:
            st.info(
                "No market price: too few comparable listings were known when this became a deal, so it rests "
                "on its reason alone.",
                icon=":material/query_stats:",
            )
            return
        comparables = data.deal_comparables(market.deal_id)
        totals = [item.total_price for item in comparables if item.total_price is not None]
        price, sample, sure, spread = st.columns(4)
        price.metric(
            "Market price",
            money(market.price, row.currency),
            help="The median total of comparable listings of the same product, outliers left out",
        )
        sample.metric("Sample size", f"{market.sample_size} listings" if market.sample_size is not None else "–")
        sure.metric(
            "Confidence",
            confidence_label(market.confidence),
            help="Grows with the sample size, falls with the spread: high from 0.6, medium from 0.35",
        )
        spread.metric(
            "Range",
            f"{money(min(totals), row.currency)} – {money(max(totals), row.currency)}" if totals else "–",
            help="The cheapest and dearest comparable below, at today's prices",
        )
        if not comparables:
            st.caption("This deal's comparables were not recorded, or are no longer stored.")
            return
        if market.sample_size and len(comparables) < market.sample_size:
            st.caption(
                f"Showing {len(comparables)} of the {market.sample_size} comparables: the others were not "
                "kept with the deal, or are no longer stored."
            )
        st.dataframe(
            comparables_frame(comparables),
            column_config=_listing_columns({row.currency}),
            hide_index=True,
            key=f"{name}.comparables",
        )


def _deal_list(rows: list[DealRow], name: str, hint: str | None) -> None:
    """A table of deals: selected rows can be dismissed, and a single selected row shows why."""
    event = st.dataframe(
        deals_frame(rows),
        column_config=_column_config({row.currency for row in rows}),
        hide_index=True,
        row_height=ROW_HEIGHT,
        height=HEADER_HEIGHT + ROW_HEIGHT * min(len(rows), VISIBLE_ROWS),
        on_select="rerun",
        selection_mode="multi-row",
        key=f"{name}.table.{st.session_state.get('deals.generation', 0)}",
    )
    chosen = [rows[position] for position in event.selection.rows if position < len(rows)]
    if not chosen:
        if hint:
            st.caption(hint)
        return
    titles = ", ".join(f"“{plain(row.title)}”" for row in chosen[:3]) + (" …" if len(chosen) > 3 else "")
    st.button(
        f"Dismiss {len(chosen)} selected",
        key=f"{name}.dismiss",
        icon=":material/visibility_off:",
        help=f"Hide {titles} from this list",
        on_click=_dismiss,
        args=([deal_id for row in chosen for deal_id in row.deal_ids],),
    )
    if len(chosen) == 1:
        _why(chosen[0], name)
    else:
        st.caption("Select a single deal to see why it is one.")


@st.fragment(run_every=REFRESH_EVERY)
def deal_table(filters: DealFilter, any_deals: bool) -> None:
    flash = st.session_state.pop("deals.flash", None)
    if flash:
        st.toast(flash, icon=":material/visibility_off:")
    rows = data.deal_rows(filters)
    suspicious = data.deal_rows(replace(filters, suspicious=True))
    if rows:
        best = max(
            (row.market.percent_under for row in rows if row.market and row.market.percent_under is not None),
            default=None,
        )
        count, top, newest = st.columns(3)
        count.metric("Deals shown", len(rows))
        top.metric("Best % under market", f"{best:.0f}%" if best is not None else "–")
        newest.metric("Newest", relative(max(row.detected_at for row in rows)))
        _deal_list(
            rows,
            DEALS,
            "Select a deal to see why it is one, or several to dismiss them. The list refreshes every 30 seconds.",
        )
    elif any_deals:
        st.info("No deals match these filters.", icon=":material/filter_alt_off:")
    else:
        _no_deals_yet()
    if suspicious:
        st.subheader("Suspicious — check before buying", anchor=False)
        st.caption(
            "Priced so far under their market that they are more often bait, a typo or something else than a "
            "bargain. Never alerted; read the listing before paying anything."
        )
        _deal_list(suspicious, SUSPICIOUS, None)


def excluded_section(search_ids: Sequence[int]) -> None:
    """What the searches found but left out as junk, so nothing is dropped out of sight."""
    st.subheader("Excluded listings", anchor=False)
    items = data.excluded_listings(tuple(search_ids))
    if not items:
        st.info(
            "Nothing excluded: every listing these searches found was judged on its price.", icon=":material/check:"
        )
        return
    capped = f" (the latest {EXCLUDED_LIMIT})" if len(items) >= EXCLUDED_LIMIT else ""
    st.caption(f"Found by your searches but never a deal, nor evidence of a market price; newest first{capped}.")
    st.dataframe(
        excluded_frame(items),
        column_config={
            "excluded": st.column_config.TextColumn("Excluded as"),
            **_listing_columns({item.currency for item in items}),
            "search": st.column_config.TextColumn("Search"),
            "found": st.column_config.DatetimeColumn("Found", format="distance"),
        },
        hide_index=True,
        key="deals.excluded.table",
    )


st.title("Deals")
names = data.search_names()
if not names:
    st.info(
        "**Welcome to Deal Scout.** Start by creating a search: what you want, where to look and what price "
        "counts as a deal. Pick the built-in **Demo market** to watch it work without touching a real site.",
        icon=":material/waving_hand:",
    )
    st.page_link("views/searches.py", label="Create your first search", icon=":material/add:")
    st.stop()

facets = data.deal_facets()
which, where, why, low, high = st.columns([3, 2, 2, 1, 1])
search_ids = which.multiselect(
    "Search", list(names), format_func=names.__getitem__, placeholder="All searches", key="deals.search"
)
marketplaces = where.multiselect(
    "Marketplace",
    list(facets.marketplaces),
    format_func=marketplace_name,
    placeholder="All marketplaces",
    key="deals.marketplace",
)
reasons = why.multiselect(
    "Why", list(facets.reasons), format_func=REASON_LABELS.__getitem__, placeholder="Any reason", key="deals.reason"
)
min_price = low.number_input(
    "Min price", min_value=0.0, max_value=MAX_PRICE_FILTER, step=PRICE_STEP, value=None, key="deals.min"
)
max_price = high.number_input(
    "Max price", min_value=0.0, max_value=MAX_PRICE_FILTER, step=PRICE_STEP, value=None, key="deals.max"
)
order, dismissed, ended, excluded = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
sort = order.segmented_control(
    "Order",
    ["best", "newest"],
    default="best",
    required=True,
    key="deals.order",
    format_func={"best": "Best first", "newest": "Newest first"}.__getitem__,
)
include_dismissed = dismissed.toggle("Show dismissed", key="deals.dismissed")
include_ended = ended.toggle("Show sold and ended", key="deals.ended")
show_excluded = excluded.toggle(
    "Show excluded listings",
    key="deals.excluded",
    help="What the searches found but left out: for parts, accessories, placeholder "
    "prices, wanted posts, bundles and other products",
)

deal_table(
    DealFilter(
        search_ids=tuple(search_ids),
        marketplaces=tuple(marketplaces),
        reasons=tuple(DealReason(reason) for reason in reasons),
        min_price=Decimal(str(min_price)) if min_price is not None else None,
        max_price=Decimal(str(max_price)) if max_price is not None else None,
        include_dismissed=include_dismissed,
        include_ended=include_ended,
        order="newest" if sort == "newest" else "best",
    ),
    bool(facets.marketplaces),
)
if show_excluded:
    excluded_section(search_ids)
