"""Reads for the Searches page: every search with its last scan, next scan and deal count, and
the progress of one scan task (what the "Rescan now" button polls).

A scan writes one `TaskLog` row per marketplace, inserted as `running` (or `skipped`) and
finished in place as `success` or `failed`; a Huey retry keeps the task id and adds a new row
for the marketplaces that failed. So the state of a task is read from the newest row per
marketplace among the rows carrying its task id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlmodel import Session, and_, col, func, select

from models.tables import Deal, Listing, ListingStatus, Search, SearchStatus, TaskLog, TaskStatus


class ScanState(StrEnum):
    QUEUED = "queued"  # no task-log row yet: waiting in the queue (or no worker is running)
    RUNNING = "running"
    DONE = "done"


@dataclass(frozen=True)
class MarketplaceRun:
    """The newest attempt of one marketplace within one scan task."""

    marketplace: str
    status: TaskStatus
    listings_found: int
    listings_new: int
    error_class: str | None
    error: str | None
    created_at: datetime


@dataclass(frozen=True)
class ScanProgress:
    task_id: str | None
    runs: tuple[MarketplaceRun, ...]

    @property
    def state(self) -> ScanState:
        if not self.runs:
            return ScanState.QUEUED
        if any(run.status is TaskStatus.RUNNING for run in self.runs):
            return ScanState.RUNNING
        return ScanState.DONE

    @property
    def status(self) -> TaskStatus | None:
        """The scan's overall result once done: failed if any marketplace failed, success if any
        succeeded, skipped when every marketplace was skipped (paused or breaker open)."""
        if self.state is not ScanState.DONE:
            return None
        statuses = {run.status for run in self.runs}
        for status in (TaskStatus.FAILED, TaskStatus.SUCCESS):
            if status in statuses:
                return status
        return TaskStatus.SKIPPED

    @property
    def listings_found(self) -> int:
        return sum(run.listings_found for run in self.runs)

    @property
    def listings_new(self) -> int:
        return sum(run.listings_new for run in self.runs)

    @property
    def problems(self) -> tuple[MarketplaceRun, ...]:
        """Marketplaces that failed or were skipped, each with its reason."""
        return tuple(run for run in self.runs if run.status in (TaskStatus.FAILED, TaskStatus.SKIPPED))

    @property
    def finished_at(self) -> datetime | None:
        return max((run.created_at for run in self.runs), default=None) if self.state is ScanState.DONE else None


@dataclass(frozen=True)
class SearchSummary:
    id: int
    name: str
    query: str
    marketplaces: tuple[str, ...]
    status: SearchStatus
    interval_minutes: int
    min_price: Decimal | None
    max_price: Decimal | None
    target_price: Decimal | None
    currency: str
    alert_recipients: tuple[str, ...]
    next_scan_at: datetime
    last_scanned_at: datetime | None
    deal_count: int
    last_scan: ScanProgress | None


def _progress(task_id: str | None, rows: Iterable[TaskLog]) -> ScanProgress:
    """Keep the newest row per marketplace (rows in id order), so a retry replaces a failure."""
    newest: dict[str, TaskLog] = {}
    for row in rows:
        newest[row.marketplace or ""] = row
    runs = tuple(
        MarketplaceRun(
            marketplace=row.marketplace or "",
            status=TaskStatus(row.status),
            listings_found=row.listings_found,
            listings_new=row.listings_new,
            error_class=row.error_class,
            error=row.error,
            created_at=row.created_at,
        )
        for row in sorted(newest.values(), key=lambda row: row.marketplace or "")
    )
    return ScanProgress(task_id=task_id, runs=runs)


def scan_progress(session: Session, task_id: str) -> ScanProgress:
    """Queued, running or done (with counts and errors) for one enqueued scan task."""
    rows = session.exec(select(TaskLog).where(col(TaskLog.task_id) == task_id).order_by(col(TaskLog.id))).all()
    return _progress(task_id, rows)


def last_scans(session: Session) -> dict[int, ScanProgress]:
    """The most recent scan task of every search that has one, keyed by search id."""
    # One probe of ix_task_log_search_created per search, newest first: grouping the whole task
    # log by search read a million rows for a thousand searches (0.8 s on PostgreSQL).
    newest_row = (
        select(col(TaskLog.id))
        .where(col(TaskLog.search_id) == col(Search.id), col(TaskLog.marketplace).is_not(None))
        .order_by(col(TaskLog.created_at).desc(), col(TaskLog.id).desc())
        .limit(1)
        .correlate(Search)
        .scalar_subquery()
    )
    latest = (
        select(col(TaskLog.search_id), col(TaskLog.task_id))
        .where(col(TaskLog.id).in_(select(newest_row).select_from(Search)))
        .subquery("latest_scan")
    )
    rows = session.exec(
        select(TaskLog)
        .join(latest, and_(col(TaskLog.search_id) == latest.c.search_id, col(TaskLog.task_id) == latest.c.task_id))
        .where(col(TaskLog.marketplace).is_not(None))
        .order_by(col(TaskLog.id))
    ).all()
    grouped: dict[int, list[TaskLog]] = {}
    for row in rows:
        grouped.setdefault(row.search_id or 0, []).append(row)
    return {search_id: _progress(group[0].task_id, group) for search_id, group in grouped.items()}


def deal_counts(session: Session) -> dict[int, int]:
    """Active listings each search has open (not dismissed, not suspicious) deals for: what the Deals
    page's main list shows."""
    rows = session.exec(
        select(col(Deal.search_id), func.count(func.distinct(col(Deal.listing_id))))
        .join(Listing, col(Listing.id) == col(Deal.listing_id))
        .where(
            col(Deal.dismissed).is_(False),
            col(Deal.suspicious).is_(False),
            col(Listing.status) == ListingStatus.ACTIVE,
        )
        .group_by(col(Deal.search_id))
    ).all()
    return {search_id: int(count) for search_id, count in rows}


def search_summaries(session: Session) -> list[SearchSummary]:
    """Every search by name, with what the Searches page shows about it (three queries in all)."""
    scans = last_scans(session)
    deals = deal_counts(session)
    searches = session.exec(select(Search).order_by(col(Search.name), col(Search.id))).all()
    return [
        SearchSummary(
            id=search.id or 0,
            name=search.name,
            query=search.query,
            marketplaces=tuple(search.marketplaces),
            status=SearchStatus(search.status),
            interval_minutes=search.interval_minutes,
            min_price=search.min_price,
            max_price=search.max_price,
            target_price=search.target_price,
            currency=search.currency,
            alert_recipients=tuple(search.alert_recipients),
            next_scan_at=search.next_scan_at,
            last_scanned_at=search.last_scanned_at,
            deal_count=deals.get(search.id or 0, 0),
            last_scan=scans.get(search.id or 0),
        )
        for search in searches
    ]


def search_names(session: Session) -> dict[int, str]:
    """Search id → name, by name: what the pickers on the other pages offer."""
    rows = session.exec(select(col(Search.id), col(Search.name)).order_by(col(Search.name), col(Search.id))).all()
    return {search_id or 0: name for search_id, name in rows}
