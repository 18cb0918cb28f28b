"""The worker's tasks. Scheduling lives in the database; the queue only carries work.

- `dispatch_due_scans` (every minute, in every consumer): claims due searches (see
  `scanner.schedule`), so with N workers each due search is enqueued once per tick.
- `scan_search(search_id)`: one scan under a per-search lock; skipped when a newer scan has
  overtaken it in the queue; retried with backoff (Huey's own retries) when a marketplace failed
  transiently — a retry keeps the task id, so marketplaces that already succeeded are not
  fetched again.
- `rescan(search_id)`: what the dashboard's button calls; same task, ahead in the queue.
- `send_notifications`: after each scan with deals and every few minutes, with retries.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime

from huey import crontab, signals
from huey.api import Task, TaskLock
from huey.exceptions import TaskLockedException
from sqlalchemy.engine import Engine

from models.db import get_engine, session_scope
from models.settings import get_settings
from models.types import utcnow
from scanner.alerts import deliver_pending
from scanner.queue import enqueue_all, huey
from scanner.scan import ScanSummary, run_scan
from scanner.schedule import SCAN_ABANDONED_AFTER, claim_due_searches, is_stale, scan_in_progress

log = logging.getLogger(__name__)
settings = get_settings()

RESCAN_PRIORITY = 100


class ScanLock(TaskLock):
    """Huey's task lock holding the time it was taken, so that a lock left behind by a killed
    worker can be told from one held by a running scan."""

    def acquire(self, taken_at: datetime | None = None) -> bool:
        if not self._huey.put_if_empty(self._key, (taken_at or utcnow()).timestamp(), self._ttl):
            raise TaskLockedException(f"unable to acquire lock {self._name}")
        return True

    def taken_at(self) -> datetime | None:
        value = self._huey.get(self._key, peek=True)
        return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None


def scan_lock(search_id: int) -> ScanLock:
    """Held while a search is scanned, so two workers never scan it at once."""
    return ScanLock(huey, f"scan-search-{search_id}")


def _abandoned(engine: Engine, lock: ScanLock, search_id: int) -> bool:
    """Taken long ago, and no scan of the search is running: its worker was killed."""
    now, taken_at = utcnow(), lock.taken_at()
    if taken_at is None or now - taken_at < SCAN_ABANDONED_AFTER:
        return False
    with session_scope(engine) as session:
        return not scan_in_progress(session, search_id, now)


@huey.signal(signals.SIGNAL_INTERRUPTED)
def hand_back_interrupted(_signal: str, task: Task) -> None:
    """A worker stopped before its task finished puts the task back for another worker, and
    releases the scan lock the task held (its thread dies with the process, never releasing it)."""
    log.warning("handing back interrupted task %s (%s)", task.id, task.name)
    if isinstance(task, scan_search.task_class):
        scan_lock(task.args[0]).clear()
    huey.enqueue(task)


class ScanIncomplete(Exception):
    """Raised so that Huey retries a scan in which a marketplace failed transiently."""


@huey.periodic_task(crontab(minute="*"))
def dispatch_due_scans() -> list[int]:
    """No Huey lock here on purpose: the claiming UPDATE is the guard, and a lock left by a killed
    worker would stop all scheduling."""
    now = utcnow()
    with session_scope(get_engine(settings)) as session:
        claimed = claim_due_searches(session, now, settings.min_scan_interval_minutes)
    enqueue_all(huey, [scan_search.s(search_id, True, now) for search_id in claimed])
    if claimed:
        log.info("enqueued scans for searches %s", claimed)
    return claimed


@huey.task(
    retries=settings.scan_retries,
    retry_delay=settings.scan_retry_delay_seconds,
    retry_backoff=2,
    context=True,
)
def scan_search(
    search_id: int, scheduled: bool = False, claimed_at: datetime | None = None, task: Task | None = None
) -> dict[str, object]:
    task_id = task.id if task else "immediate"
    engine = get_engine(settings)
    try:
        with scan_lock(search_id):
            if claimed_at is not None:
                with session_scope(engine) as session:
                    if is_stale(session, search_id, claimed_at, task_id):
                        log.info("search %s was scanned since this task was queued; skipping", search_id)
                        return {"search_id": search_id, "skipped": "scanned since queued"}
            summary = run_scan(engine, settings, search_id, task_id=task_id, scheduled=scheduled)
    except TaskLockedException:
        lock = scan_lock(search_id)
        if not _abandoned(engine, lock, search_id):
            log.info("search %s is already being scanned by another worker; skipping", search_id)
            return {"search_id": search_id, "skipped": "already being scanned"}
        lock.clear()
        log.warning("released the scan lock of search %s: no scan of it is running (a worker was killed)", search_id)
        return {"search_id": search_id, "skipped": "released an abandoned lock; the next tick scans it"}
    if summary.deals:
        send_notifications()
    _retry_if_incomplete(summary, task)
    return summary.__dict__


def _retry_if_incomplete(summary: ScanSummary, task: Task | None) -> None:
    retry_after = summary.retry_after
    if retry_after is None or task is None or task.retries <= 0:
        return
    if retry_after > (task.retry_delay or 0):
        task.retry_delay = retry_after  # honour the marketplace's Retry-After
    failed = ", ".join(f"{error['marketplace']} ({error['error_class']})" for error in summary.errors)
    raise ScanIncomplete(f"search {summary.search_id}: {failed}; {task.retries} retries left")


def rescan(search_id: int) -> str:
    """Scan a search now, ahead of the periodic sweep; returns the task id its task-log rows carry.

    Raises whatever the queue raises when it cannot be reached (the dashboard says so)."""
    task = scan_search.s(search_id, False, priority=RESCAN_PRIORITY)
    huey.enqueue(task)
    return task.id


class DeliveryIncomplete(Exception):
    """Raised so that Huey retries sending while some alerts are still pending after an error."""


@huey.periodic_task(
    crontab(minute="*/5"),
    retries=settings.notify_max_attempts,
    retry_delay=settings.notify_retry_delay_seconds,
    retry_backoff=2,
)
def send_notifications() -> dict[str, object]:
    """Send pending alerts as digests; enqueued after every scan with deals and every 5 minutes.
    Concurrent senders are safe without a lock: each digest's rows are claimed in the database."""
    report = deliver_pending(get_engine(settings), settings)
    if report.retry_needed:
        raise DeliveryIncomplete(f"{report.pending} alert(s) still pending after an SMTP error")
    return {**dataclasses.asdict(report), "summary": report.summary()}
