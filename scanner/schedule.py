"""When searches are scanned. The schedule lives in `search.next_scan_at`, never in the queue.

The dispatcher claims a due search by moving `next_scan_at` to a lease (at most `CLAIM_LEASE`
ahead) with a compare-and-set, so each due search is claimed once however many consumers run the
dispatcher. The scan, when it finishes, sets the real next time: its interval plus a little jitter.
If the queued task is lost (Redis flushed, a worker killed), the lease runs out and a later tick
claims the search again; a queued task that a newer scan has overtaken is skipped as stale.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlmodel import Session

from models.tables import Search, SearchStatus, TaskLog, TaskStatus

CLAIM_LEASE = timedelta(minutes=10)
SCAN_ABANDONED_AFTER = timedelta(minutes=30)  # far longer than one marketplace's part of a scan
DISPATCH_BATCH = 500


def jitter_seconds(interval_minutes: int) -> float:
    """Up to 10 % of the interval (at most a minute), so searches created together spread out."""
    return random.uniform(0, min(60.0, interval_minutes * 6.0))


def next_scan_time(interval_minutes: int, now: datetime, min_interval_minutes: int) -> datetime:
    interval = max(interval_minutes, min_interval_minutes)
    return now + timedelta(minutes=interval, seconds=jitter_seconds(interval))


def claim_due_searches(session: Session, now: datetime, min_interval_minutes: int) -> list[int]:
    """Claim every due active search for one scan and return the ids this caller won."""
    due = session.execute(
        select(Search.id, Search.next_scan_at, Search.interval_minutes)
        .where(Search.status == SearchStatus.ACTIVE, Search.next_scan_at <= now)
        .order_by(Search.next_scan_at)
        .limit(DISPATCH_BATCH)
    ).all()
    claimed = []
    for search_id, next_scan_at, interval in due:
        lease_ends = min(next_scan_time(interval, now, min_interval_minutes), now + CLAIM_LEASE)
        won = session.execute(
            update(Search)
            .where(Search.id == search_id, Search.next_scan_at == next_scan_at)
            .values(next_scan_at=lease_ends)
        ).rowcount
        if won:
            claimed.append(search_id)
    return claimed


def is_stale(session: Session, search_id: int, claimed_at: datetime, task_id: str) -> bool:
    """Has another scan finished since this task was queued? (A Huey retry of this very task
    has left task-log rows under its id and is not stale.)"""
    search = session.get(Search, search_id)
    if search is None or search.last_scanned_at is None or search.last_scanned_at < claimed_at:
        return False
    retried = session.execute(select(exists().where(TaskLog.task_id == task_id))).scalar_one()
    return not retried


def scan_in_progress(session: Session, search_id: int, now: datetime) -> bool:
    """Is a scan of this search running? Every running scan keeps a `running` task-log row (one
    per marketplace) younger than `SCAN_ABANDONED_AFTER`."""
    return session.execute(
        select(
            exists().where(
                TaskLog.search_id == search_id,
                TaskLog.status == TaskStatus.RUNNING,
                TaskLog.created_at >= now - SCAN_ABANDONED_AFTER,
            )
        )
    ).scalar_one()
