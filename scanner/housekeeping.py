"""Housekeeping: prune what is only kept for a while, hourly, in whichever worker gets the task.

Task logs older than `TASK_LOG_RETENTION_DAYS`, alerts sent longer ago than
`NOTIFICATION_RETENTION_DAYS` and heartbeats of workers gone for a day are deleted with one
bulk DELETE each. Price observations, listings and deals are never pruned: they are the
history. Pending and failed alerts are kept whatever their age: someone still owes them a send.
Running it twice, or in two workers at once, deletes nothing more: it is safe to repeat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TypeAlias

from huey import Huey, crontab
from huey.api import TaskWrapper
from sqlalchemy.engine import Engine
from sqlmodel import col, delete

from models.db import session_scope
from models.settings import Settings
from models.tables import Notification, NotificationStatus, TaskLog, WorkerHeartbeat
from models.types import utcnow

log = logging.getLogger(__name__)

HEARTBEAT_RETENTION = timedelta(days=1)

# a string: huey's TaskWrapper is generic only in our stubs (typings/huey), not at run time
PruneOldRows: TypeAlias = "TaskWrapper[Callable[[], dict[str, int]]]"


@dataclass(frozen=True)
class Pruned:
    task_logs: int
    notifications: int
    heartbeats: int


def prune(engine: Engine, settings: Settings, now: datetime | None = None) -> Pruned:
    """Delete the rows past their retention in one transaction; returns how many of each went."""
    now = now or utcnow()
    with session_scope(engine) as session:
        task_logs = session.exec(
            delete(TaskLog).where(col(TaskLog.created_at) < now - timedelta(days=settings.task_log_retention_days))
        ).rowcount
        notifications = session.exec(
            delete(Notification).where(
                col(Notification.status) == NotificationStatus.SENT,
                col(Notification.sent_at) < now - timedelta(days=settings.notification_retention_days),
            )
        ).rowcount
        heartbeats = session.exec(
            delete(WorkerHeartbeat).where(col(WorkerHeartbeat.seen_at) < now - HEARTBEAT_RETENTION)
        ).rowcount
    return Pruned(task_logs=task_logs, notifications=notifications, heartbeats=heartbeats)


def register_pruning(queue: Huey, settings: Settings, engine: Engine) -> PruneOldRows:
    """Declare `prune_old_rows` on the worker's queue; defined here, Huey names it
    `scanner.housekeeping.prune_old_rows`."""

    @queue.periodic_task(crontab(minute="7"))
    def prune_old_rows() -> dict[str, int]:
        """Hourly at :07, away from the on-the-minute scan dispatch."""
        pruned = prune(engine, settings)
        log.info(
            "housekeeping: pruned %d task logs, %d sent notifications, %d stale worker heartbeats",
            pruned.task_logs,
            pruned.notifications,
            pruned.heartbeats,
        )
        return asdict(pruned)

    return prune_old_rows
