"""Housekeeping prunes exactly the rows past their retention, in one bulk DELETE per table."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.settings import load_settings
from models.tables import (
    Listing,
    Notification,
    NotificationStatus,
    PriceObservation,
    Search,
    TaskLog,
    TaskStatus,
    WorkerHeartbeat,
)
from scanner.housekeeping import Pruned, prune
from scanner.worker import Worker

from .conftest import NOW

SETTINGS = load_settings(task_log_retention_days=30, notification_retention_days=90)


def _seed(session: Session) -> None:
    search = Search(name="s", query="q", marketplaces=["ebay"])
    listing = Listing(marketplace="ebay", external_id="x", title="t", url="https://example.com/x")
    session.add_all([search, listing])
    session.flush()
    for label, days in (("old-log", 31), ("kept-log", 29)):
        session.add(
            TaskLog(
                task_name=label, status=TaskStatus.SUCCESS, marketplace="ebay", created_at=NOW - timedelta(days=days)
            )
        )
    for index, (label, status, days) in enumerate(
        [
            ("old-sent", NotificationStatus.SENT, 91),
            ("kept-sent", NotificationStatus.SENT, 89),
            ("old-pending", NotificationStatus.PENDING, 200),
            ("old-failed", NotificationStatus.FAILED, 200),
        ]
    ):
        session.add(
            Notification(
                search_id=search.id,
                listing_id=listing.id,
                reason="target_price",
                recipient=f"r{index}@example.com",
                subject=label,
                body_text="b",
                body_html="<p>b</p>",
                status=status,
                created_at=NOW - timedelta(days=days),
                sent_at=NOW - timedelta(days=days) if status is NotificationStatus.SENT else None,
            )
        )
    for worker_id, age in (("gone:1", timedelta(days=2)), ("alive:2", timedelta(seconds=10))):
        session.add(WorkerHeartbeat(worker_id=worker_id, hostname=worker_id, pid=1, threads=1, seen_at=NOW - age))
    session.add(
        PriceObservation(
            listing_id=listing.id, observed_at=NOW - timedelta(days=400), price=Decimal("10"), currency="USD"
        )
    )
    session.commit()


def test_prune_deletes_exactly_the_rows_past_retention(engine: Engine, session: Session) -> None:
    _seed(session)
    pruned = prune(engine, SETTINGS, now=NOW)
    assert (pruned.task_logs, pruned.notifications, pruned.heartbeats) == (1, 1, 1)
    session.expire_all()
    assert [log.task_name for log in session.exec(select(TaskLog))] == ["kept-log"]
    assert sorted(n.subject for n in session.exec(select(Notification))) == ["kept-sent", "old-failed", "old-pending"]
    assert [beat.worker_id for beat in session.exec(select(WorkerHeartbeat))] == ["alive:2"]
    assert len(session.exec(select(PriceObservation)).all()) == 1  # price history is never pruned


def test_prune_is_one_bulk_delete_per_table_and_safe_to_repeat(engine: Engine, session: Session) -> None:
    _seed(session)
    statements: list[str] = []

    def remember(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        prune(engine, SETTINGS, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    deletes = [statement.split()[2] for statement in statements if statement.lstrip().upper().startswith("DELETE")]
    assert deletes == ["task_log", "notification", "worker_heartbeat"]
    assert prune(engine, SETTINGS, now=NOW) == Pruned(0, 0, 0)


def test_prune_is_an_hourly_periodic_task_of_the_worker_queue(tmp_path: Path) -> None:
    worker = Worker(load_settings(data_dir=tmp_path, redis_url=None))
    hour = NOW.replace(tzinfo=None, minute=0, second=0)  # Huey (utc=True) ticks in naive UTC
    runs = [
        minute
        for minute in range(60)
        if any(
            isinstance(task, worker.prune_old_rows.task_class)
            for task in worker.queue.read_periodic(hour.replace(minute=minute))
        )
    ]
    assert len(runs) == 1
