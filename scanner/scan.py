"""One scan of one search: every marketplace in turn, each with its own task-log row, breaker
check, fetch (outside any transaction) and one storing transaction.

What an adapter returns crosses one boundary (`read_listings`) before anything is stored: its
parse runs within a CPU budget, an exception its parser raises on a strange page is classified,
and each listing is checked alone (`scanner.marketplaces.validation`).
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
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
from scanner.logs import ContextAdapter, scan_logger
from scanner.marketplaces import get_adapter
from scanner.marketplaces.base import HttpClient, HttpResponse, ListingData, SearchQuery
from scanner.marketplaces.validation import CheckedListings, check_listings
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
    rejected: int = 0  # listings refused at the adapter boundary
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


# --- the adapter boundary ------------------------------------------------------------------------

#: CPU seconds an adapter may spend on one page — from one fetch to the next, or to its return —
#: before the scan gives it up as `PARSE_TIMEOUT`. At the parse budget of ≤ 10 ms per 100 KB, a page of the response
#: size cap (5 MB) takes half a second; only a page built to be slow, or a parser gone quadratic,
#: gets near this.
PARSE_CPU_SECONDS = 5.0

#: What a parser raises when a page is not what it expects (a type swapped, a number too large, a
#: nesting too deep): the page's doing, classified `markup_changed`, never an internal error.
_PARSER_ERRORS = (ValueError, TypeError, LookupError, AttributeError, ArithmeticError, RecursionError)


class _OverBudget(BaseException):
    """Raised into the scanning thread when its adapter has used up the parse budget: a
    BaseException, so that no `except Exception` in an adapter swallows it."""


#: CPython's own way to raise an exception in another thread: it is raised there at the thread's
#: next bytecode boundary, so a call into C (a regex, lxml's parser) finishes first.
_RAISE_IN_THREAD = ctypes.pythonapi.PyThreadState_SetAsyncExc
#: Top-level packages whose code holds locks (or pooled connections) outside `with` blocks, where
#: an exception raised in between would leave one held: the watchdog waits until the thread is out.
_HOLDS_LOCKS = frozenset({"logging", "threading", "queue", "concurrent", "importlib", "sqlalchemy", "psycopg"})
_WATCH_INTERVAL_SECONDS = 0.05


def _cpu_clock(thread: int) -> int:
    """The thread's CPU-time clock; where the platform has none (macOS), the monotonic clock, and
    the budget then counts wall time."""
    getcpuclockid = getattr(time, "pthread_getcpuclockid", None)
    return int(getcpuclockid(thread)) if getcpuclockid is not None else time.CLOCK_MONOTONIC


class _ParseBudget:
    """The CPU time the scanning thread spends in its adapter since its last fetch (the reading of
    one page), watched by a thread that raises `_OverBudget` into it once that exceeds `seconds`.

    A thread cannot be killed in Python, and `signal.setitimer` only interrupts the main thread
    (scans run in the worker's threads), so the watchdog uses CPython's asynchronous exception,
    checked in the scanning thread between bytecodes. That is a hard limit for Python code; a
    single call into C runs to its end first, which is why every parser step is linear in its
    input (and the input capped by the response size limit). The thread's own CPU clock is read,
    so waiting (for the network, for the GIL) does not count.
    """

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._thread = threading.get_ident()
        self._clock = _cpu_clock(self._thread)
        # the frame that set the budget: from there up, the frames are the scan's, not the adapter's
        self._caller = sys._getframe(1)  # noqa: SLF001  (the standard library's documented frame access)
        self._lock = threading.Lock()
        self._since: float | None = None  # the thread's CPU time when its page began; None while fetching
        self._fired = False
        self._done = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="parse-budget", daemon=True)

    def __enter__(self) -> _ParseBudget:
        self._resume()
        self._watchdog.start()
        return self

    def __exit__(self, *_exception: object) -> None:
        with self._lock:
            self._since = None
            self._done.set()
            fired = self._fired
        self._watchdog.join()
        if fired:  # also when the adapter caught it: the budget was spent all the same
            raise _OverBudget

    @contextmanager
    def fetching(self) -> Iterator[None]:
        """Not counting while the adapter fetches (that time is the network's, under its own
        timeouts); the page fetched has a budget of its own."""
        with self._lock:
            if self._fired:
                raise _OverBudget
            self._since = None
        try:
            yield
        finally:
            self._resume()

    def _resume(self) -> None:
        with self._lock:
            self._since = time.clock_gettime(self._clock)

    def _watch(self) -> None:
        while not self._done.wait(_WATCH_INTERVAL_SECONDS):
            with self._lock:
                since = self._since  # None while fetching, or once the adapter returned
                spent = time.clock_gettime(self._clock) - since if since is not None else 0.0
                if spent > self._seconds and self._interruptible():
                    self._fired = True
                    _RAISE_IN_THREAD(ctypes.c_ulong(self._thread), ctypes.py_object(_OverBudget))
                    return

    def _interruptible(self) -> bool:
        """Whether the scanning thread runs no code of `_HOLDS_LOCKS` just now."""
        frame = sys._current_frames().get(self._thread)  # noqa: SLF001  (documented; for debuggers and this)
        while frame is not None and frame is not self._caller:
            if str(frame.f_globals.get("__name__")).partition(".")[0] in _HOLDS_LOCKS:
                return False
            frame = frame.f_back
        return True


class _BudgetedClient:
    """The HTTP client as an adapter sees it under a parse budget: fetching does not count."""

    def __init__(self, client: HttpClient, budget: _ParseBudget) -> None:
        self._client = client
        self._budget = budget

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        respect_robots: bool = True,
    ) -> HttpResponse:
        with self._budget.fetching():
            return self._client.get(url, params=params, headers=headers, respect_robots=respect_robots)

    def post(
        self,
        url: str,
        *,
        data: Mapping[str, Any] | str | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> HttpResponse:
        with self._budget.fetching():
            return self._client.post(url, data=data, json_body=json_body, headers=headers, auth=auth)


def _parser_failure(error: BaseException) -> str:
    """`IndexError: list index out of range (kijiji.py:123)`: what broke and where, on one line."""
    innermost = traceback.extract_tb(error.__traceback__, limit=-1)
    where = f" ({Path(innermost[0].filename).name}:{innermost[0].lineno})" if innermost else ""
    return f"the page broke the parser: {type(error).__name__}: {str(error)[:200]}{where}"


def read_listings(
    read: Callable[[HttpClient], list[ListingData]], client: HttpClient, *, cpu_seconds: float
) -> CheckedListings:
    """What `read(client)` (an adapter's `search`) returns, through the scan's boundary: at most
    `cpu_seconds` of CPU for each page it reads, else `PARSE_TIMEOUT`; an exception of its parser
    is `MARKUP_CHANGED`; each listing checked alone."""
    try:
        with _ParseBudget(cpu_seconds) as budget:
            listings = read(_BudgetedClient(client, budget))
    except _OverBudget:
        raise ScanError(
            ErrorClass.PARSE_TIMEOUT, f"reading a page took more than {cpu_seconds:g} s of CPU: given up"
        ) from None
    except _PARSER_ERRORS as error:
        raise ScanError(ErrorClass.MARKUP_CHANGED, _parser_failure(error)) from None
    return check_listings(listings)


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
        query = search_query(search, settings)
        read = read_listings(lambda polite: adapter.search(query, polite), client, cpu_seconds=PARSE_CPU_SECONDS)
        if read.refused:
            _count_refused(logger, marketplace, read)
        elif not read.valid and (suspect := _suspect_empty(engine, summary.search_id, marketplace)):
            raise suspect
        with session_scope(engine) as session:
            outcome = store_listings(
                session,
                search,
                marketplace,
                read.valid,
                now=utcnow(),
                settings=settings,
                baseline=history.baseline,
            )
            breaker.record_success(session, marketplace, utcnow())
            _finish_log(
                session,
                log_id,
                TaskStatus.SUCCESS,
                started,
                listings_found=outcome.found,
                listings_new=outcome.new,
                listings_rejected=len(read.refused),
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
    summary.rejected += len(read.refused)
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


def _count_refused(logger: ContextAdapter, marketplace: str, read: CheckedListings) -> None:
    """One line for the refused listings of a page (the first few, with why), and the metric by
    field. A refused listing is the page's fault, not the marketplace's: the scan goes on."""
    examples = "; ".join(str(refusal) for refusal in read.refused[:5])
    more = f"; and {len(read.refused) - 5} more" if len(read.refused) > 5 else ""
    total = len(read.refused) + len(read.valid)
    logger.warning("refused %d of %d listings: %s%s", len(read.refused), total, examples, more)
    metrics.record_rejected(marketplace, Counter(refusal.field for refusal in read.refused))


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
