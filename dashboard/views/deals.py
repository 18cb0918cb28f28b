"""Deals: the best and newest deals across searches, filtered, refreshed while the page is open,
each dismissible."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pandas as pd
import streamlit as st

from dashboard import actions, data
from dashboard.components.formatting import REASON_LABELS, marketplace_name, relative, safe_url
from models.queries.deals import DealFilter, DealRow
from models.tables import DealReason, SearchStatus

REFRESH_EVERY = timedelta(seconds=30)
TABLE_KEY = "deals.table"
TITLE_MARKER = "#dealscout-title="  # the link column shows what follows it: the listing's title
_CURRENCY_FORMATS = {"USD": "dollar", "EUR": "euro", "JPY": "yen"}
PRICE_STEP = 10.0
ROW_HEIGHT = 72  # room for the picture
HEADER_HEIGHT = 40
VISIBLE_ROWS = 12  # more scroll inside the table


def price_format(currencies: set[str]) -> str:
    """One currency: show its symbol; several: plain amounts next to a currency column."""
    if len(currencies) == 1:
        (currency,) = currencies
        return _CURRENCY_FORMATS.get(currency, f"%,.2f {currency}")
    return "%,.2f"


def deals_frame(rows: list[DealRow]) -> pd.DataFrame:
    def link(row: DealRow) -> str:
        # The table decodes the captured title as a URL part, so it is percent-encoded here.
        return f"{safe_url(row.url) or ''}{TITLE_MARKER}{quote(' '.join(row.title.split()), safe='')}"

    def amount(value: Decimal | None) -> float | None:
        return float(value) if value is not None else None

    return pd.DataFrame(
        {
            "image": [safe_url(row.image_url) for row in rows],
            "listing": [link(row) for row in rows],
            "history": [f"price_history?search={row.search_id}&listing={row.listing_id}" for row in rows],
            "price": [amount(row.total_price) for row in rows],
            "currency": [row.currency for row in rows],
            "market": [amount(row.market_price) for row in rows],
            "under": [amount(row.percent_under) for row in rows],
            "reason": [" · ".join(REASON_LABELS[reason] for reason in row.reasons) for row in rows],
            "search": [row.search_name for row in rows],
            "marketplace": [marketplace_name(row.marketplace) for row in rows],
            "location": [row.location or "" for row in rows],
            "listed": [row.first_seen_at for row in rows],
            "found": [row.detected_at for row in rows],
        }
    )


def _column_config(currencies: set[str]) -> dict[str, Any]:
    money = price_format(currencies)
    return {
        "image": st.column_config.ImageColumn("", width="small"),
        "listing": st.column_config.LinkColumn("Listing", display_text=f"{TITLE_MARKER}(.*)$", width=280),
        "history": st.column_config.LinkColumn("History", display_text=":material/show_chart:", width="small",
                                               help="This listing's price history"),
        "price": st.column_config.NumberColumn("Price", format=money, help="Total: price plus known shipping"),
        "currency": st.column_config.TextColumn("Cur.", width="small") if len(currencies) > 1 else None,
        "market": st.column_config.NumberColumn("Market price", format=money,
                                                help="Median price of comparable listings when the deal was found"),
        "under": st.column_config.NumberColumn("% under", format="%.0f%%", help="How far under the market price"),
        "reason": st.column_config.TextColumn("Why"),
        "search": st.column_config.TextColumn("Search"),
        "marketplace": st.column_config.TextColumn("Marketplace"),
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
        f"No deals yet. The next scan (“{soonest.name}”) is due {relative(soonest.next_scan_at)}; deals show up here "
        "as soon as a scan finds a listing under your target, well under the market price, or with a price drop.",
        icon=":material/hourglass_top:",
    )


def _dismiss(deal_ids: list[int]) -> None:
    count = actions.dismiss_deals(deal_ids)
    st.session_state["deals.flash"] = f"Dismissed {count} deal{'s' if count != 1 else ''}."
    st.session_state["deals.generation"] = st.session_state.get("deals.generation", 0) + 1  # clears the selection


@st.fragment(run_every=REFRESH_EVERY)
def deal_table(filters: DealFilter, any_deals: bool) -> None:
    flash = st.session_state.pop("deals.flash", None)
    if flash:
        st.toast(flash, icon=":material/visibility_off:")
    rows = data.deal_rows(filters)
    if not rows:
        if any_deals:
            st.info("No deals match these filters.", icon=":material/filter_alt_off:")
        else:
            _no_deals_yet()
        return
    best = max((row.percent_under for row in rows if row.percent_under is not None), default=None)
    count, top, newest = st.columns(3)
    count.metric("Deals shown", len(rows))
    top.metric("Best % under market", f"{best:.0f}%" if best is not None else "–")
    newest.metric("Newest", relative(max(row.detected_at for row in rows)))

    currencies = {row.currency for row in rows}
    event = st.dataframe(
        deals_frame(rows),
        column_config=_column_config(currencies),
        hide_index=True,
        row_height=ROW_HEIGHT,
        height=HEADER_HEIGHT + ROW_HEIGHT * min(len(rows), VISIBLE_ROWS),
        on_select="rerun",
        selection_mode="multi-row",
        key=f"{TABLE_KEY}.{st.session_state.get('deals.generation', 0)}",
    )
    chosen = [rows[position] for position in event.selection.rows if position < len(rows)]
    if chosen:
        titles = ", ".join(f"“{row.title}”" for row in chosen[:3]) + (" …" if len(chosen) > 3 else "")
        st.button(
            f"Dismiss {len(chosen)} selected",
            key="deals.dismiss",
            icon=":material/visibility_off:",
            help=f"Hide {titles} from this list",
            on_click=_dismiss,
            args=([deal_id for row in chosen for deal_id in row.deal_ids],),
        )
    else:
        st.caption("Select rows to dismiss deals you are not interested in. The list refreshes every 30 seconds.")


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
search_ids = which.multiselect("Search", list(names), format_func=names.__getitem__, placeholder="All searches",
                               key="deals.search")
marketplaces = where.multiselect("Marketplace", list(facets.marketplaces), format_func=marketplace_name,
                                 placeholder="All marketplaces", key="deals.marketplace")
reasons = why.multiselect("Why", list(facets.reasons), format_func=REASON_LABELS.__getitem__, placeholder="Any reason",
                          key="deals.reason")
min_price = low.number_input("Min price", min_value=0.0, step=PRICE_STEP, value=None, key="deals.min")
max_price = high.number_input("Max price", min_value=0.0, step=PRICE_STEP, value=None, key="deals.max")
order, dismissed, ended = st.columns([2, 1, 1], vertical_alignment="bottom")
sort = order.segmented_control("Order", ["best", "newest"], default="best", required=True, key="deals.order",
                               format_func={"best": "Best first", "newest": "Newest first"}.__getitem__)
include_dismissed = dismissed.toggle("Show dismissed", key="deals.dismissed")
include_ended = ended.toggle("Show sold and ended", key="deals.ended")

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
