"""The bench's Redis queue: reachable or reported as a missing service, and holding only its own
keys, emptied before and after so a figure never counts another run's tasks."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from huey import Huey

from bench.databases import ServiceMissing
from models.settings import load_settings
from scanner.queue import QUEUE_NAME, make_huey


@contextmanager
def redis_queue(url: str, name: str = QUEUE_NAME) -> Iterator[Huey]:
    """A Huey queue called `name` on the Redis at `url` (a worker started with that REDIS_URL
    serves the default name)."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        raise ServiceMissing(f"Redis: {error}") from error
    with tempfile.TemporaryDirectory(prefix="deal-scout-bench-") as folder:
        queue = make_huey(load_settings(data_dir=folder, redis_url=url), name=name)
        queue.storage.flush_all()  # only this queue's keys
        try:
            yield queue
        finally:
            queue.storage.flush_all()
