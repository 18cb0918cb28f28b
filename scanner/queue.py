"""The Huey queue shared by the worker (which runs tasks) and the dashboard (which enqueues them).

Redis when `REDIS_URL` is set (the priority flavour, so a "Rescan now" overtakes the
periodic sweep), Huey's SQLite storage under `DATA_DIR` otherwise. Only work travels through
the queue: schedules, alerts and breaker state live in the database, so a lost queue loses
nothing that the next periodic tick does not recreate.

Nothing here is built at import: the worker builds its queue (`scanner.worker`), the dashboard
opens one (`scanner.api`), tests make their own.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from huey import Huey
from huey.api import Task, TaskWrapper
from huey.storage import PriorityRedisStorage, SqliteStorage

from models.settings import Settings

QUEUE_NAME = "deal-scout"
RESCAN_PRIORITY = 100


class PriorityRedisBatchStorage(PriorityRedisStorage):
    """Huey's priority Redis storage plus `enqueue_many`: one tick queues up to 500 scans, and a
    round trip per task was most of the tick."""

    def enqueue_many(self, messages: Sequence[tuple[bytes, int | None]]) -> None:
        """Queue (data, priority) messages in one ZADD, each stored as `enqueue` stores one: an
        8-byte big-endian microsecond stamp ahead of the data (consecutive here, so the batch
        keeps its order), scored by minus its priority."""
        if not messages:
            return
        start = int(time.time() * 1e6)
        members = {
            struct.pack(">Q", start + offset) + data: -(priority or 0)
            for offset, (data, priority) in enumerate(messages)
        }
        self.conn.zadd(self.queue_key, members)


class TaskQueue(Huey):
    """Huey that carries the project's tasks once `scanner.tasks.register_tasks` registered them
    on it, so that whoever holds only the queue (the dashboard's "Rescan now") can enqueue one:
    Huey looks tasks up in a registry of its own that it does not expose."""

    tasks: Tasks


class ScanSearch(Protocol):
    """The signature of `scan_search` (declared in `scanner.tasks`): what its `call_local` takes."""

    def __call__(
        self, search_id: int, scheduled: bool = False, claimed_at: datetime | None = None, task: Task | None = None
    ) -> dict[str, object]: ...


@dataclass(frozen=True)
class Tasks:
    """The tasks that `scanner.tasks.register_tasks` registered on a queue."""

    queue: TaskQueue
    dispatch_due_scans: TaskWrapper[Callable[[], list[int]]]
    scan_search: TaskWrapper[ScanSearch]
    send_notifications: TaskWrapper[Callable[[], dict[str, object]]]

    def rescan(self, search_id: int) -> str:
        """Scan a search now, ahead of the periodic sweep; returns the task id its task-log rows
        carry. Raises whatever the queue raises when it cannot be reached."""
        task = self.scan_search.s(search_id, False, priority=RESCAN_PRIORITY)
        self.queue.enqueue(task)
        return task.id


def make_huey(settings: Settings, name: str = QUEUE_NAME) -> TaskQueue:
    """A queue on the configured storage, with no tasks registered yet."""
    if settings.redis_url:
        return TaskQueue(name, storage_class=PriorityRedisBatchStorage, url=settings.redis_url, results=False, utc=True)
    settings.ensure_data_dir()
    return TaskQueue(
        name, storage_class=SqliteStorage, filename=str(settings.huey_sqlite_path), results=False, utc=True, timeout=30
    )


def lock_key(queue: Huey, name: str) -> str:
    """The storage key of the task lock `name`, as `Huey.lock_task` names it: `queue status` and
    `queue unlock` find every lock by this prefix."""
    return f"{queue.name}.lock.{name}"


def enqueue_all(queue: Huey, tasks: Sequence[Task]) -> None:
    """Queue one tick's scan tasks: on Redis in one batch (the message format stays Huey's own
    `serialize_task`), elsewhere one by one. Unlike `Huey.enqueue`, the batch sends no
    SIGNAL_ENQUEUED; nothing here listens to it."""
    if isinstance(queue.storage, PriorityRedisBatchStorage):
        queue.storage.enqueue_many([(queue.serialize_task(task), task.priority) for task in tasks])
        return
    for task in tasks:
        queue.enqueue(task)
