"""Every read the pages make, cached briefly (`st.cache_data`) and shared by all viewers.

The answers come from `models.queries`; this module only opens the session and caches. A
change made through `dashboard.actions` calls `refresh()`, so the next run reads fresh data
instead of waiting out the TTL. Scan progress is never cached: the rescan control polls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from dashboard import resources
from models.migrate import current_revision, head_revision
from models.queries import deals, history, ops, searches
from models.tables import NotificationStatus, Search, WorkerHeartbeat
from models.types import utcnow

LIST_TTL = timedelta(seconds=10)
HEALTH_TTL = timedelta(seconds=10)


def _session() -> Session:
    return Session(resources.engine())


def refresh() -> None:
    """Forget every cached read: something was just changed."""
    st.cache_data.clear()


@st.cache_data(ttl=HEALTH_TTL, show_spinner=False)
def health() -> dict[str, Any]:
    """Database, queue, Redis, worker heartbeat and SMTP, as `GET /health` reports them."""
    return resources.health_checker().check()


@st.cache_data(ttl=HEALTH_TTL, show_spinner=False)
def schema_is_current() -> bool | None:
    """Whether the database has every migration; None when it cannot be asked (it is down)."""
    try:
        return current_revision(resources.engine()) == head_revision()
    except SQLAlchemyError:
        return None


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def search_summaries() -> list[searches.SearchSummary]:
    with _session() as session:
        return searches.search_summaries(session)


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def search_names() -> dict[int, str]:
    with _session() as session:
        return searches.search_names(session)


def load_search(search_id: int) -> Search | None:
    """The search as saved right now (for the edit form: never cached), None once deleted."""
    with _session() as session:
        return session.get(Search, search_id)


def scan_progress(task_id: str) -> searches.ScanProgress:
    with _session() as session:
        return searches.scan_progress(session, task_id)


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def deal_rows(filters: deals.DealFilter) -> list[deals.DealRow]:
    with _session() as session:
        return deals.list_deals(session, filters)


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def deal_facets() -> deals.DealFacets:
    with _session() as session:
        return deals.deal_facets(session)


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def deal_comparables(deal_id: int) -> list[deals.Comparable]:
    with _session() as session:
        return deals.deal_comparables(session, deal_id)


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def excluded_listings(search_ids: tuple[int, ...]) -> list[deals.ExcludedListing]:
    with _session() as session:
        return deals.excluded_listings(session, search_ids)


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def price_history(search_id: int, days: int | None) -> history.PriceHistory:
    """A search's prices over the last `days` days (all of them when None)."""
    since = utcnow() - timedelta(days=days) if days else None
    with _session() as session:
        return history.search_price_history(session, search_id, since=since)


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def target_price(search_id: int) -> tuple[Decimal | None, str]:
    """The search's target price (None when unset) and currency, for the chart's target line."""
    with _session() as session:
        return history.target_price(session, search_id)


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def listing_choices(search_id: int) -> list[history.ListingChoice]:
    with _session() as session:
        return history.listing_choices(session, search_id)


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def listing_history(listing_id: int) -> history.ListingHistory | None:
    with _session() as session:
        return history.listing_price_history(session, listing_id)


@dataclass(frozen=True)
class OperationsSnapshot:
    last_hour: list[ops.MarketplaceStatus]
    last_day: list[ops.MarketplaceFailures]
    error_classes: list[ops.ErrorClassCount]
    failures: list[ops.FailedTask]
    outbox: dict[NotificationStatus, int]
    workers: list[WorkerHeartbeat]


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def operations_snapshot() -> OperationsSnapshot:
    now = utcnow()
    day_ago = now - timedelta(days=1)
    with _session() as session:
        return OperationsSnapshot(
            last_hour=ops.marketplace_overview(session, now - timedelta(hours=1)),
            last_day=ops.failure_rates(session, day_ago),
            error_classes=ops.error_classes(session, day_ago),
            failures=ops.recent_failures(session, since=day_ago, limit=50),
            outbox=ops.outbox_counts(session),
            workers=ops.workers(session),
        )
