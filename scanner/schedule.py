"""When searches are scanned. The schedule lives in `search.next_scan_at`, never in the queue.

The dispatcher claims the due searches by moving their `next_scan_at` to a lease (their interval,
at most `CLAIM_LEASE` ahead) in one UPDATE, which also says which searches this caller won: on
PostgreSQL the due rows are locked with SKIP LOCKED, so concurrent dispatchers split them; on
SQLite the UPDATE holds the single writer lock. Either way each due search is claimed once
however many consumers run the dispatcher. The scan, when it finishes, sets the real next time:
its interval plus a little jitter. If the queued task is lost (Redis flushed, a worker killed),
the lease runs out and a later tick claims the search again; a queued task that a newer scan has
overtaken is skipped as stale.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import Session, case, col, exists, literal, select, update

from models.tables import Search, SearchStatus, TaskLog, TaskStatus
from models.types import UTCDateTime

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
    """Claim the (at most `DISPATCH_BATCH`) most overdue active searches in one statement and
    return the ids this caller won, by id: they are all queued in the same tick anyway."""
    due = (
        select(col(Search.id))
        .where(col(Search.status) == SearchStatus.ACTIVE, col(Search.next_scan_at) <= now)
        .order_by(col(Search.next_scan_at))
        .limit(DISPATCH_BATCH)
        .with_for_update(skip_locked=True)
    )
    # UPDATE … RETURNING over a SKIP LOCKED subquery is Core's; SQLModel types its result as a
    # CursorResult of Any, so the ids are annotated here
    claimed: list[int] = sorted(
        session.exec(
            update(Search)
            .where(col(Search.id).in_(due.scalar_subquery()))
            .values(next_scan_at=_lease_end(now, min_interval_minutes))
            .returning(col(Search.id))
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    return claimed


def _lease_end(now: datetime, min_interval_minutes: int) -> ColumnElement[datetime]:
    """When the claim runs out: after the search's interval, at most `CLAIM_LEASE` from now (an
    interval at least as long as the lease gets the lease; shorter ones are listed one by one)."""
    lease_minutes = CLAIM_LEASE // timedelta(minutes=1)
    shorter = {
        minutes: literal(now + min(timedelta(minutes=max(minutes, min_interval_minutes)), CLAIM_LEASE), UTCDateTime)
        for minutes in range(1, lease_minutes)
    }
    return case(shorter, value=col(Search.interval_minutes), else_=literal(now + CLAIM_LEASE, UTCDateTime))


def is_stale(session: Session, search_id: int, claimed_at: datetime, task_id: str) -> bool:
    """Has another scan finished since this task was queued? (A Huey retry of this very task
    has left task-log rows under its id and is not stale.)"""
    search = session.get(Search, search_id)
    if search is None or search.last_scanned_at is None or search.last_scanned_at < claimed_at:
        return False
    retried = session.exec(select(exists().where(col(TaskLog.task_id) == task_id))).one()
    return not retried


def scan_in_progress(session: Session, search_id: int, now: datetime) -> bool:
    """Is a scan of this search running? Every running scan keeps a `running` task-log row (one
    per marketplace) younger than `SCAN_ABANDONED_AFTER`."""
    return session.exec(
        select(
            exists().where(
                col(TaskLog.search_id) == search_id,
                col(TaskLog.status) == TaskStatus.RUNNING,
                col(TaskLog.created_at) >= now - SCAN_ABANDONED_AFTER,
            )
        )
    ).one()
