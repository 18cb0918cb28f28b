"""Reads for operations: the health check, `/metrics`, the runbook commands and the dashboard's
Operations page all ask the same questions, so they share these answers.

Every scan writes one `TaskLog` row per marketplace, so "scans" below are task-log rows with a
marketplace. Failure rates count finished scans only (success or failed): a scan skipped
because its marketplace is paused or its breaker is open is not a failure. Windows are passed
as `since` (a UTC-aware datetime) so each caller picks its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, case, col, func, select, type_coerce

from models.queries import read_rows
from models.queries.distinct import distinct_values
from models.tables import (
    BreakerState,
    Deal,
    DealReason,
    Listing,
    MarketplaceState,
    Notification,
    NotificationStatus,
    Search,
    TaskLog,
    TaskStatus,
    WorkerHeartbeat,
)
from models.types import UTCDateTime

_FINISHED = (TaskStatus.SUCCESS, TaskStatus.FAILED)

HEARTBEAT_INTERVAL = timedelta(seconds=15)
"""How often a worker process stamps its `WorkerHeartbeat` row."""
HEARTBEAT_STALE_AFTER = timedelta(minutes=2)
"""A worker not seen for this long (eight missed beats) is presumed dead."""


@dataclass(frozen=True)
class MarketplaceFailures:
    marketplace: str
    runs: int
    failures: int

    @property
    def failure_rate(self) -> float:
        """Failed share of finished scans; 0.0 when nothing ran (no data is not an outage)."""
        return self.failures / self.runs if self.runs else 0.0


@dataclass(frozen=True)
class ErrorClassCount:
    error_class: str
    count: int
    last_at: datetime


@dataclass(frozen=True)
class FailureGroup:
    """Failed tasks sharing a marketplace and an error class, with the newest message as example."""

    marketplace: str | None
    error_class: str | None
    count: int
    last_at: datetime
    example: str | None


@dataclass(frozen=True)
class FailedTask:
    id: int
    created_at: datetime
    task_name: str
    task_id: str | None
    search_id: int | None
    search_name: str | None
    marketplace: str | None
    error_class: str | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class MarketplaceStatus(MarketplaceFailures):
    """Everything an operator asks about one marketplace: switch, breaker, recent success, and
    (inherited) its recent runs, failures and failure rate."""

    paused: bool
    pause_reason: str | None
    breaker_state: BreakerState
    consecutive_failures: int
    open_until: datetime | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error_class: str | None


@dataclass(frozen=True)
class SearchTiming:
    search_id: int
    name: str | None
    scans: int
    avg_seconds: float
    max_seconds: float
    last_at: datetime


def failure_rates(session: Session, since: datetime) -> list[MarketplaceFailures]:
    """Finished and failed scans per marketplace since `since`, worst rate first."""
    failed = func.sum(case((col(TaskLog.status) == TaskStatus.FAILED, 1), else_=0))
    rows = session.exec(
        select(col(TaskLog.marketplace), func.count(), failed)
        .where(
            col(TaskLog.marketplace).is_not(None),
            col(TaskLog.created_at) >= since,
            col(TaskLog.status).in_(_FINISHED),
        )
        .group_by(col(TaskLog.marketplace))
    ).all()
    result = [
        MarketplaceFailures(marketplace or "", int(runs), int(failures or 0)) for marketplace, runs, failures in rows
    ]
    return sorted(result, key=lambda item: (-item.failure_rate, item.marketplace))


def error_classes(session: Session, since: datetime, marketplace: str | None = None) -> list[ErrorClassCount]:
    """How often each error class made a task fail since `since`, most frequent first."""
    error_class = func.coalesce(col(TaskLog.error_class), "unknown")
    query = (
        select(error_class, func.count(), func.max(col(TaskLog.created_at)))
        .where(col(TaskLog.status) == TaskStatus.FAILED, col(TaskLog.created_at) >= since)
        .group_by(error_class)
    )
    if marketplace is not None:
        query = query.where(col(TaskLog.marketplace) == marketplace)
    rows = session.exec(query).all()
    return sorted(
        (ErrorClassCount(name, int(count), last_at) for name, count, last_at in rows),
        key=lambda item: (-item.count, item.error_class),
    )


def failures_by_marketplace_and_class(session: Session, since: datetime) -> list[FailureGroup]:
    """Failed tasks since `since` grouped by marketplace and error class, largest group first."""
    rows = read_rows(
        session,
        sa.select(
            col(TaskLog.marketplace),
            col(TaskLog.error_class),
            func.count(),
            func.max(col(TaskLog.created_at)),
            func.max(col(TaskLog.id)),
        )
        .where(col(TaskLog.status) == TaskStatus.FAILED, col(TaskLog.created_at) >= since)
        .group_by(col(TaskLog.marketplace), col(TaskLog.error_class)),
    ).all()
    newest_ids = [newest_id for *_, newest_id in rows]
    examples = dict(
        session.exec(select(col(TaskLog.id), col(TaskLog.error)).where(col(TaskLog.id).in_(newest_ids))).all()
    )
    groups = [
        FailureGroup(marketplace, error_class, int(count), last_at, examples.get(newest_id))
        for marketplace, error_class, count, last_at, newest_id in rows
    ]
    return sorted(groups, key=lambda group: (-group.count, group.marketplace or "", group.error_class or ""))


def recent_failures(session: Session, *, since: datetime | None = None, limit: int = 50) -> list[FailedTask]:
    """The newest failed tasks, with the name of their search, newest first."""
    query = (
        select(TaskLog, col(Search.name))
        .join(Search, col(Search.id) == col(TaskLog.search_id), isouter=True)
        .where(col(TaskLog.status) == TaskStatus.FAILED)
        .order_by(col(TaskLog.created_at).desc(), col(TaskLog.id).desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(col(TaskLog.created_at) >= since)
    return [
        FailedTask(
            id=log.id or 0,
            created_at=log.created_at,
            task_name=log.task_name,
            task_id=log.task_id,
            search_id=log.search_id,
            search_name=name,
            marketplace=log.marketplace,
            error_class=log.error_class,
            error=log.error,
            duration_ms=log.duration_ms,
        )
        for log, name in session.exec(query).all()
    ]


def last_successes(session: Session) -> dict[str, datetime]:
    """The newest successful scan per marketplace still in the task log: the marketplaces are
    skipped through in the index on (marketplace, created_at), which is then read backwards
    from each one's newest scan to its newest success (a GROUP BY would read the whole log)."""
    marketplaces = distinct_values(col(TaskLog.marketplace), "marketplaces")
    newest = (
        select(func.max(col(TaskLog.created_at)))
        .where(col(TaskLog.marketplace) == marketplaces.c.value, col(TaskLog.status) == TaskStatus.SUCCESS)
        .scalar_subquery()
    )
    rows = session.exec(
        select(marketplaces.c.value, type_coerce(newest, UTCDateTime)).where(marketplaces.c.value.is_not(None))
    ).all()
    return {marketplace: last_at for marketplace, last_at in rows if last_at is not None}


def marketplace_states(session: Session) -> list[MarketplaceState]:
    return list(session.exec(select(MarketplaceState).order_by(col(MarketplaceState.marketplace))))


def marketplace_overview(session: Session, since: datetime) -> list[MarketplaceStatus]:
    """One row per marketplace that has state or has been scanned: breaker, pause, last success
    (from the breaker's record or the task log, whichever is newer) and failures since `since`."""
    states = {state.marketplace: state for state in marketplace_states(session)}
    rates = {item.marketplace: item for item in failure_rates(session, since)}
    successes = last_successes(session)
    overview = []
    for marketplace in sorted(states.keys() | rates.keys() | successes.keys()):
        state = states.get(marketplace) or MarketplaceState(marketplace=marketplace)
        rate = rates.get(marketplace) or MarketplaceFailures(marketplace, 0, 0)
        known = [moment for moment in (state.last_success_at, successes.get(marketplace)) if moment is not None]
        overview.append(
            MarketplaceStatus(
                marketplace=marketplace,
                paused=state.paused,
                pause_reason=state.pause_reason,
                breaker_state=BreakerState(state.breaker_state),
                consecutive_failures=state.consecutive_failures,
                open_until=state.open_until,
                last_success_at=max(known, default=None),
                last_failure_at=state.last_failure_at,
                last_error_class=state.last_error_class,
                runs=rate.runs,
                failures=rate.failures,
            )
        )
    return overview


def outbox_counts(session: Session) -> dict[NotificationStatus, int]:
    """Notifications per status, every status present (zero when none)."""
    counts = dict.fromkeys(NotificationStatus, 0)
    statuses = select(col(Notification.status), func.count()).group_by(col(Notification.status))
    for status, count in session.exec(statuses).all():
        counts[NotificationStatus(status)] = int(count)
    return counts


def workers(session: Session) -> list[WorkerHeartbeat]:
    """Every worker that has reported, most recently seen first."""
    return list(session.exec(select(WorkerHeartbeat).order_by(col(WorkerHeartbeat.seen_at).desc())))


def last_heartbeat(session: Session) -> WorkerHeartbeat | None:
    return session.exec(select(WorkerHeartbeat).order_by(col(WorkerHeartbeat.seen_at).desc()).limit(1)).first()


def slow_searches(session: Session, since: datetime, limit: int = 10) -> list[SearchTiming]:
    """Searches whose per-marketplace scans took longest on average since `since`."""
    average = func.avg(col(TaskLog.duration_ms))
    rows = read_rows(
        session,
        sa.select(
            col(TaskLog.search_id),
            col(Search.name),
            func.count(),
            average,
            func.max(col(TaskLog.duration_ms)),
            func.max(col(TaskLog.created_at)),
        )
        .join(Search, col(Search.id) == col(TaskLog.search_id), isouter=True)
        .where(
            col(TaskLog.search_id).is_not(None),
            col(TaskLog.marketplace).is_not(None),
            col(TaskLog.status).in_(_FINISHED),
            col(TaskLog.created_at) >= since,
        )
        .group_by(col(TaskLog.search_id), col(Search.name))
        .order_by(average.desc(), col(TaskLog.search_id))
        .limit(limit),
    ).all()
    return [
        SearchTiming(search_id, name, int(scans), float(avg_ms) / 1000, float(max_ms) / 1000, last_at)
        for search_id, name, scans, avg_ms, max_ms, last_at in rows
    ]


def listing_counts(session: Session) -> dict[tuple[str, str], int]:
    """Stored listings per (marketplace, status)."""
    rows = session.exec(
        select(col(Listing.marketplace), col(Listing.status), func.count()).group_by(
            col(Listing.marketplace), col(Listing.status)
        )
    ).all()
    return {(marketplace, str(status)): int(count) for marketplace, status, count in rows}


def deal_counts(session: Session) -> dict[DealReason, int]:
    """Deals ever detected per reason (dismissed ones included: they were detected)."""
    counts = dict.fromkeys(DealReason, 0)
    for reason, count in session.exec(select(col(Deal.reason), func.count()).group_by(col(Deal.reason))).all():
        counts[DealReason(reason)] = int(count)
    return counts
