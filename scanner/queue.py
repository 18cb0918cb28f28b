"""The one Huey instance, shared by the worker (which runs tasks) and the dashboard (which
enqueues them).

Redis when `REDIS_URL` is set (the priority flavour, so a "Rescan now" overtakes the
periodic sweep), Huey's SQLite storage under `DATA_DIR` otherwise. Only work travels through
the queue: schedules, alerts and breaker state live in the database, so a lost queue loses
nothing that the next periodic tick does not recreate.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from huey import Huey, PriorityRedisHuey, SqliteHuey
from huey.api import Task
from huey.storage import RedisStorage

from models.settings import Settings, get_settings

QUEUE_NAME = "deal-scout"


def make_huey(settings: Settings, name: str = QUEUE_NAME) -> Huey:
    if settings.redis_url:
        return PriorityRedisHuey(name, url=settings.redis_url, results=False, utc=True)
    settings.ensure_data_dir()
    return SqliteHuey(name, filename=str(settings.huey_sqlite_path), results=False, utc=True, timeout=30)


def backend_name(queue: Huey) -> str:
    """Which storage the queue really uses (tests swap it), for health output and the dashboard."""
    return "redis" if isinstance(queue.storage, RedisStorage) else "sqlite"


huey: Huey = make_huey(get_settings())


def enqueue_all(queue: Huey, tasks: Sequence[Task]) -> None:
    """Queue one tick's scan tasks. Huey has no bulk enqueue, and a round trip per task was most
    of a tick (500 due searches), so on Redis they travel in one pipeline: each goes through the
    storage's own `enqueue` (the message format stays Huey's) on a copy of the storage whose
    connection is the pipeline, leaving the shared storage that worker threads use alone. Unlike
    `Huey.enqueue`, this sends no SIGNAL_ENQUEUED; nothing here listens to it."""
    if not isinstance(queue.storage, RedisStorage):
        for task in tasks:
            queue.enqueue(task)
        return
    batch = copy.copy(queue.storage)
    with queue.storage.conn.pipeline(transaction=False) as pipeline:
        batch.conn = pipeline
        for task in tasks:
            batch.enqueue(queue.serialize_task(task), task.priority)
        pipeline.execute()
