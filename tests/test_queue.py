"""The queue behaves the same on Huey's SQLite storage and on Redis."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from huey import Huey
from huey.exceptions import TaskLockedException

from models.health import queue_backend
from models.settings import Settings, load_settings
from scanner.api import open_queue, rescan
from scanner.queue import RESCAN_PRIORITY, enqueue_all, make_huey
from scanner.worker import Worker
from tests.conftest import REDIS_TEST_URL, require_redis

ROOT = Path(__file__).resolve().parents[1]


def test_factory_picks_redis_only_when_configured(tmp_path: Path) -> None:
    assert queue_backend(make_huey(load_settings(data_dir=tmp_path, redis_url=None))) == "sqlite"
    assert queue_backend(make_huey(load_settings(data_dir=tmp_path, redis_url=REDIS_TEST_URL))) == "redis"


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


def test_a_batch_keeps_its_order_behind_higher_priority_work(queue: Huey) -> None:
    @queue.task()
    def job(label: str) -> str:
        return label

    enqueue_all(queue, [])
    enqueue_all(queue, [job.s(f"sweep-{number}") for number in range(5)])
    queue.enqueue(job.s("rescan", priority=10))
    assert queue.pending_count() == 6
    taken = [queue.dequeue() for _ in range(6)]
    assert [task.args[0] for task in taken if task is not None] == ["rescan"] + [f"sweep-{n}" for n in range(5)]


def test_the_dashboard_api_loads_neither_the_scanner_nor_the_alerts() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import scanner.api, sys; print(' '.join(m for m in sys.modules if m.startswith('scanner')))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    assert set(loaded) <= {"scanner", "scanner.api", "scanner.queue", "scanner.tasks"}


@pytest.fixture(params=["sqlite", "redis"])
def api_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings whose queue is the worker's own (its default name) on each storage, emptied after."""
    if request.param == "redis":
        require_redis()
    settings = load_settings(data_dir=tmp_path, redis_url=REDIS_TEST_URL if request.param == "redis" else None)
    yield settings
    make_huey(settings).flush()


def test_a_rescan_through_the_api_is_taken_before_the_sweep(api_settings: Settings) -> None:
    queue = open_queue(api_settings)
    enqueue_all(queue, [queue.tasks.scan_search.s(search_id, True, None) for search_id in (1, 2)])
    task_id = rescan(queue, 3)
    worker_queue = Worker(api_settings).queue  # what a worker process with these settings consumes
    first = worker_queue.dequeue()
    assert first is not None and (first.id, first.name, first.args, first.priority) == (
        task_id,
        "scan_search",
        (3, False),
        RESCAN_PRIORITY,
    )
    assert first.retries == api_settings.scan_retries


def test_a_rescan_through_the_api_raises_when_the_queue_is_down(tmp_path: Path) -> None:
    queue = open_queue(load_settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:9/0"))
    with pytest.raises(redis.ConnectionError):
        rescan(queue, 1)
