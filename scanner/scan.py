"""One scan of one search: every marketplace in turn, each with its own task-log row, breaker
check, fetch (outside any transaction) and one storing transaction."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from statistics import median_low
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, exists, insert, select, update

from models.db import session_scope
from models.settings import Settings
from models.tables import ErrorClass, Search, SearchStatus, TaskLog, TaskStatus
from models.types import utcnow
from scanner import breaker, metrics
from scanner.errors import ScanError
from scanner.http import PoliteClient, Politeness
from scanner.logs import scan_logger
from scanner.marketplaces import get_adapter
from scanner.marketplaces.base import SearchQuery
from scanner.pipeline import StoreOutcome, store_listings
from scanner.quota import DatabaseQuota
from scanner.schedule import next_scan_time

TASK_NAME = "scan_search"
log = logging.getLogger(__name__)


@dataclass
class ScanSummary:
    """What `python -m scanner scan` prints and the task returns."""

    search_id: int
    task_id: str
    found: int = 0
    new: int = 0
    price_changes: int = 0
    ended: int = 0
    deals: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait before retrying, when a marketplace failed in a way worth retrying."""
        transient = [error for error in self.errors if error["transient"]]
        if not transient:
            return None
        return max((error["retry_after"] or 0.0) for error in transient)

    def add(self, outcome: StoreOutcome) -> None:
        self.found += outcome.found
        self.new += outcome.new
        self.price_changes += outcome.price_changes
        self.ended += outcome.ended
        self.deals += len(outcome.deals)


def search_query(search: Search, settings: Settings) -> SearchQuery:
    return SearchQuery(
        query=search.query,
        excluded_words=tuple(search.excluded_words),
        min_price=search.min_price,
        max_price=search.max_price,
        condition=search.condition.value if search.condition else None,
        category=search.category,
        location=search.location,
        radius_miles=search.radius_miles,
        currency=search.currency,
        max_pages=settings.scan_max_pages,
    )


def _finish_log(session: Session, log_id: int, status: TaskStatus, started: float, **values: Any) -> None:
    duration_ms = int((time.monotonic() - started) * 1000)
    session.connection().execute(
        update(TaskLog).where(col(TaskLog.id) == log_id).values(status=status, duration_ms=duration_ms, **values)
    )


@dataclass(frozen=True)
class _History:
    """What the task log already knows about this search on this marketplace."""

    done: bool  # this task stored it on an earlier try: not fetched again
    baseline: bool  # never stored for the search: this scan only sets the baseline


def _history(session: Session, task_id: str, search_id: int, marketplace: str) -> _History:
    """A Huey retry (or a handed-back task) keeps the task id: marketplaces that succeeded on an
    earlier try are not fetched again, and a row left `running` by a stopped worker is closed.
    The first successful scan of a marketplace for a search only sets the baseline.

    Core statements, and one query for both questions: this bookkeeping is paid on every scan,
    and ORM statements cost about three times their Core equivalents here."""
    connection = session.connection()
    connection.execute(
        update(TaskLog)
        .where(
            col(TaskLog.task_id) == task_id,
            col(TaskLog.marketplace) == marketplace,
            col(TaskLog.status) == TaskStatus.RUNNING,
        )
        .values(status=TaskStatus.FAILED, error_class=ErrorClass.INTERRUPTED.value, error="the worker stopped mid-scan")
    )
    stored = (col(TaskLog.marketplace) == marketplace) & (col(TaskLog.status) == TaskStatus.SUCCESS)
    done, seen = connection.execute(
        select(
            exists().where(stored, col(TaskLog.task_id) == task_id),
            exists().where(stored, col(TaskLog.search_id) == search_id),
        )
    ).one()
    return _History(done=done, baseline=not seen)


#: No listings is suspect when the median of the search's last `SUSPECT_EMPTY_RECENT_SCANS`
#: successful scans of the marketplace is at least `SUSPECT_EMPTY_AFTER` listings.
SUSPECT_EMPTY_RECENT_SCANS = 5
SUSPECT_EMPTY_AFTER = 5


def run_scan(
    engine: Engine,
    settings: Settings,
    search_id: int,
    *,
    task_id: str,
    scheduled: bool = False,
    politeness: Politeness | None = None,
) -> ScanSummary:
    """Scan every marketplace of the search. `politeness` is the worker's, shared by all its scans;
    without it the scan paces itself alone, as a one-off scan from the CLI or a test may."""
    politeness = politeness or Politeness.for_process(settings)
    summary = ScanSummary(search_id=search_id, task_id=task_id)
    with session_scope(engine) as session:
        search = session.get(Search, search_id)
    if search is None:
        log.info("search %s no longer exists; nothing to scan", search_id)
        return summary
    if scheduled and search.status is SearchStatus.PAUSED:
        summary.skipped.append({"marketplace": "*", "reason": "search paused"})
        return summary

    for marketplace in search.marketplaces:
        _scan_marketplace(engine, settings, politeness, search, marketplace, summary)

    finished = utcnow()
    next_scan_at = next_scan_time(search.interval_minutes, finished, settings.min_scan_interval_minutes)
    with engine.begin() as connection:
        connection.execute(
            update(Search)
            .where(col(Search.id) == search_id)
            .values(last_scanned_at=finished, next_scan_at=next_scan_at)
        )
    return summary


def _suspect_empty(engine: Engine, search_id: int, marketplace: str) -> ScanError | None:
    """A page of no listings where this search's last scans of the marketplace found many is the
    silent failure users of every monitor know: a block, consent or changed page that parsed as
    "no results". It fails (and counts toward the breaker) rather than pass as a quiet success."""
    with Session(engine) as session:
        recent = session.exec(
            select(col(TaskLog.listings_found))
            .where(
                col(TaskLog.search_id) == search_id,
                col(TaskLog.marketplace) == marketplace,
                col(TaskLog.status) == TaskStatus.SUCCESS,
            )
            .order_by(col(TaskLog.created_at).desc())
            .limit(SUSPECT_EMPTY_RECENT_SCANS)
        ).all()
    typical = median_low([found or 0 for found in recent]) if recent else 0
    if typical < SUSPECT_EMPTY_AFTER:
        return None
    return ScanError(
        ErrorClass.SUSPECT_EMPTY,
        f"no listings, where the last {len(recent)} scans of this search found {typical} (median): "
        "the site probably served a block, consent or changed page",
    )


def _scan_marketplace(
    engine: Engine, settings: Settings, politeness: Politeness, search: Search, marketplace: str, summary: ScanSummary
) -> None:
    logger = scan_logger(summary.task_id, summary.search_id, marketplace)
    started = time.monotonic()
    now = utcnow()
    with session_scope(engine) as session:
        history = _history(session, summary.task_id, summary.search_id, marketplace)
        if history.done:
            return
        gate = breaker.check(session, marketplace, now, settings)
        log_id = (
            session.connection()
            .execute(
                insert(TaskLog)
                .values(
                    task_name=TASK_NAME,
                    task_id=summary.task_id,
                    search_id=summary.search_id,
                    marketplace=marketplace,
                    status=TaskStatus.RUNNING if gate.allowed else TaskStatus.SKIPPED,
                    error=None if gate.allowed else gate.reason,
                    created_at=now,
                )
                .returning(col(TaskLog.id))
            )
            .scalar_one()
        )
    assert log_id is not None  # the primary key the database just assigned
    if not gate.allowed:
        logger.info("skipped: %s", gate.reason)
        summary.skipped.append({"marketplace": marketplace, "reason": gate.reason or ""})
        metrics.record_scan(marketplace, TaskStatus.SKIPPED.value, time.monotonic() - started, 0, 0, 0)
        return

    try:
        adapter = get_adapter(marketplace, quota=DatabaseQuota(engine, marketplace))
        client = PoliteClient(
            marketplace,
            settings,
            politeness.limiter,
            robots=politeness.robots,
            session=politeness.sessions.session(marketplace),
            url_guard=adapter.check_url,
        )
        listings = adapter.search(search_query(search, settings), client)
        if not listings and (suspect := _suspect_empty(engine, summary.search_id, marketplace)):
            raise suspect
        with session_scope(engine) as session:
            outcome = store_listings(
                session,
                search,
                marketplace,
                listings,
                now=utcnow(),
                settings=settings,
                baseline=history.baseline,
            )
            breaker.record_success(session, marketplace, utcnow())
            _finish_log(
                session, log_id, TaskStatus.SUCCESS, started, listings_found=outcome.found, listings_new=outcome.new
            )
    except Exception as error:
        failure = error if isinstance(error, ScanError) else ScanError(ErrorClass.INTERNAL, repr(error))
        if failure.error_class is ErrorClass.INTERNAL:
            logger.exception("scan failed with an internal error")
        else:
            logger.warning("scan failed: %s", failure)
        _record_failure(engine, settings, marketplace, log_id, started, failure)
        summary.errors.append(
            {
                "marketplace": marketplace,
                "error_class": failure.error_class.value,
                "error": str(failure.args[0]),
                "transient": failure.transient,
                "retry_after": failure.retry_after,
            }
        )
        metrics.record_scan(marketplace, TaskStatus.FAILED.value, time.monotonic() - started, 0, 0, 0)
        return
    summary.add(outcome)
    logger.info(
        "stored %d of %d listings: %d new, %d price changes, %d ended, %d deals",
        outcome.kept,
        outcome.found,
        outcome.new,
        outcome.price_changes,
        outcome.ended,
        len(outcome.deals),
    )
    metrics.record_scan(
        marketplace,
        TaskStatus.SUCCESS.value,
        time.monotonic() - started,
        outcome.found,
        outcome.new,
        outcome.price_changes,
    )


def _record_failure(
    engine: Engine, settings: Settings, marketplace: str, log_id: int, started: float, failure: ScanError
) -> None:
    with session_scope(engine) as session:
        breaker.record_failure(session, marketplace, failure.error_class, utcnow(), settings)
        _finish_log(
            session,
            log_id,
            TaskStatus.FAILED,
            started,
            error_class=failure.error_class.value,
            error=str(failure.args[0]),
        )
