"""The queue behaves the same on Huey's SQLite storage and on Redis."""

from __future__ import annotations

import threading

import pytest
from huey import Huey
from huey.exceptions import TaskLockedException

from models.settings import load_settings
from scanner.queue import backend_name, make_huey


def test_factory_picks_redis_only_when_configured(tmp_path: object) -> None:
    assert backend_name(make_huey(load_settings(data_dir=tmp_path, redis_url=None))) == "sqlite"
    assert backend_name(make_huey(load_settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/15"))) == "redis"


def test_a_consumer_runs_an_enqueued_task(queue: Huey) -> None:
    ran = threading.Event()
    seen: list[int] = []

    @queue.task()
    def remember(value: int) -> None:
        seen.append(value)
        ran.set()

    remember(42)
    assert queue.pending_count() == 1
    consumer = queue.create_consumer(workers=1, worker_type="thread", periodic=False, initial_delay=0.05)
    consumer.start()
    try:
        assert ran.wait(10)
    finally:
        consumer.stop(graceful=True)
    assert seen == [42]
    assert queue.pending_count() == 0


def test_higher_priority_work_is_taken_first(queue: Huey) -> None:
    @queue.task()
    def job(label: str) -> str:
        return label

    job("sweep")
    job("sweep")
    queue.enqueue(job.s("rescan", priority=10))
    assert queue.pending_count() == 3
    first = queue.dequeue()
    assert first is not None and first.args == ("rescan",)


def test_a_lock_is_held_by_one_holder_at_a_time(queue: Huey) -> None:
    lock = queue.lock_task("scan-search-1")
    with lock:
        assert lock.is_locked()
        with pytest.raises(TaskLockedException), queue.lock_task("scan-search-1"):
            pass
    assert not lock.is_locked()
    with queue.lock_task("scan-search-1"):
        pass
