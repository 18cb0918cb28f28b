"""The worker's tasks. Scheduling lives in the database; the queue only carries work.

- `dispatch_due_scans` (every minute, in every consumer): claims due searches (see
  `scanner.schedule`), so with N workers each due search is enqueued once per tick.
- `scan_search(search_id)`: one scan under a per-search lock; skipped when a newer scan has
  overtaken it in the queue; retried with backoff (Huey's own retries) when a marketplace failed
  transiently — a retry keeps the task id, so marketplaces that already succeeded are not
  fetched again.
- `Tasks.rescan(search_id)`: what the dashboard's button calls; same task, ahead in the queue.
- `send_notifications` (every minute, and after each scan with deals): one digest per recipient
  with an alert due; the backoff lives in the outbox rows, so the task has no retries of its own.

`register_tasks` declares them on a given queue. Huey identifies a task by its function's
module and name (`scanner.tasks.scan_search`), which queued messages carry; functions defined
inside `register_tasks` keep exactly those names. The dashboard registers them too, only to
enqueue them: the modules their bodies need are imported in the bodies, not here.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from huey import crontab, signals
from huey.api import Task
from huey.exceptions import TaskLockedException
from sqlalchemy.engine import Engine

from models.db import session_scope
from models.settings import Settings
from models.types import utcnow
from scanner.queue import TaskQueue, Tasks, enqueue_all, lock_key

if TYPE_CHECKING:
    from scanner.http import Politeness
    from scanner.scan import ScanSummary

log = logging.getLogger(__name__)


class ScanLock:
    """Held while a search is scanned, so two workers never scan it at once.

    A key in the queue's storage, named as `Huey.lock_task` names its locks (so `queue status`
    lists it and `queue unlock` releases it), whose value is the time it was taken: a lock left
    behind by a killed worker can be told from one held by a running scan."""

    def __init__(self, queue: TaskQueue, search_id: int) -> None:
        self.queue = queue
        self.name = f"scan-search-{search_id}"
        self.key = lock_key(queue, self.name)

    def acquire(self, taken_at: datetime | None = None) -> None:
        if not self.queue.put_if_empty(self.key, (taken_at or utcnow()).timestamp()):
            raise TaskLockedException(f"unable to acquire lock {self.name}")

    def release(self) -> None:
        self.queue.delete(self.key)

    def is_locked(self) -> bool:
        return self.queue.is_locked(self.name)

    def taken_at(self) -> datetime | None:
        value = self.queue.get(self.key, peek=True)
        return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None

    def __enter__(self) -> ScanLock:
        self.acquire()
        return self

    def __exit__(self, *_exception: object) -> None:
        self.release()


def _abandoned(engine: Engine, lock: ScanLock, search_id: int) -> bool:
    """Taken long ago, and no scan of the search is running: its worker was killed."""
    from scanner.schedule import SCAN_ABANDONED_AFTER, scan_in_progress  # in the body: see the module's docstring

    now, taken_at = utcnow(), lock.taken_at()
    if taken_at is None or now - taken_at < SCAN_ABANDONED_AFTER:
        return False
    with session_scope(engine) as session:
        return not scan_in_progress(session, search_id, now)


class ScanIncomplete(Exception):
    """Raised so that Huey retries a scan in which a marketplace failed transiently."""


def register_tasks(queue: TaskQueue, settings: Settings, engine: Engine, politeness: Politeness | None = None) -> Tasks:
    """Declare the tasks on `queue` (and keep them as `queue.tasks`); they run with `settings`,
    `engine` and the process's shared `politeness` (the dashboard, which never runs them, has none). Retries and schedules are read from `settings` now: Huey fixes them when a
    task is declared."""

    @queue.signal(signals.SIGNAL_INTERRUPTED)
    def hand_back_interrupted(_signal: str, task: Task) -> None:
        """A worker stopped before its task finished puts the task back for another worker, and
        releases the scan lock the task held (its thread dies with the process, never releasing it)."""
        log.warning("handing back interrupted task %s (%s)", task.id, task.name)
        if isinstance(task, scan_search.task_class):
            ScanLock(queue, task.args[0]).release()
        queue.enqueue(task)

    @queue.periodic_task(crontab(minute="*"))
    def dispatch_due_scans() -> list[int]:
        """No Huey lock here on purpose: the claiming UPDATE is the guard, and a lock left by a
        killed worker would stop all scheduling."""
        from scanner.schedule import claim_due_searches  # in the body: see the module's docstring

        now = utcnow()
        with session_scope(engine) as session:
            claimed = claim_due_searches(session, now, settings.min_scan_interval_minutes)
        enqueue_all(queue, [scan_search.s(search_id, True, now) for search_id in claimed])
        if claimed:
            log.info("enqueued scans for searches %s", claimed)
        return claimed

    @queue.task(
        retries=settings.scan_retries,
        retry_delay=settings.scan_retry_delay_seconds,
        retry_backoff=2,
        context=True,
    )
    def scan_search(
        search_id: int, scheduled: bool = False, claimed_at: datetime | None = None, task: Task | None = None
    ) -> dict[str, object]:
        from scanner.scan import run_scan  # in the body: see the module's docstring
        from scanner.schedule import is_stale

        task_id = task.id if task else "immediate"
        lock = ScanLock(queue, search_id)
        try:
            with lock:
                if claimed_at is not None:
                    with session_scope(engine) as session:
                        if is_stale(session, search_id, claimed_at, task_id):
                            log.info("search %s was scanned since this task was queued; skipping", search_id)
                            return {"search_id": search_id, "skipped": "scanned since queued"}
                summary = run_scan(
                    engine, settings, search_id, task_id=task_id, scheduled=scheduled, politeness=politeness
                )
        except TaskLockedException:
            if not _abandoned(engine, lock, search_id):
                log.info("search %s is already being scanned by another worker; skipping", search_id)
                return {"search_id": search_id, "skipped": "already being scanned"}
            lock.release()
            log.warning(
                "released the scan lock of search %s: no scan of it is running (a worker was killed)", search_id
            )
            return {"search_id": search_id, "skipped": "released an abandoned lock; the next tick scans it"}
        if summary.deals:
            send_notifications()
        _retry_if_incomplete(summary, task)
        return summary.__dict__

    @queue.periodic_task(crontab(minute="*"))
    def send_notifications() -> dict[str, object]:
        """Send the alerts that are due; every minute, so what waited out an SMTP outage goes out
        by itself once the server answers, and after every scan with deals. No Huey retries: a
        failed alert is due again after its backoff, which this tick picks up. Concurrent senders
        are safe without a lock: each digest's rows are claimed in the database."""
        from scanner.alerts import deliver_pending  # in the body: see the module's docstring

        report = deliver_pending(engine, settings)
        return {**dataclasses.asdict(report), "summary": report.summary()}

    queue.tasks = Tasks(queue, dispatch_due_scans, scan_search, send_notifications)
    return queue.tasks


def _retry_if_incomplete(summary: ScanSummary, task: Task | None) -> None:
    retry_after = summary.retry_after
    if retry_after is None or task is None or task.retries <= 0:
        return
    if retry_after > (task.retry_delay or 0):
        task.retry_delay = retry_after  # honour the marketplace's Retry-After
    failed = ", ".join(f"{error['marketplace']} ({error['error_class']})" for error in summary.errors)
    raise ScanIncomplete(f"search {summary.search_id}: {failed}; {task.retries} retries left")
