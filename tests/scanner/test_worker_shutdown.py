"""A worker stopped with SIGTERM finishes its running scan, or hands it back to the queue when
the scan outlasts the shutdown timeout — and never stores anything half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from demo_market import DemoMarket
from models import crud
from models.db import create_db_engine
from models.migrate import upgrade
from models.schemas import SearchInput
from models.settings import load_settings
from models.tables import Listing, TaskLog, TaskStatus
from models.types import utcnow
from scanner.api import open_queue, rescan
from scanner.queue import TaskQueue
from tests.ops.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
World = tuple[Engine, TaskQueue, dict[str, str]]


@pytest.fixture
def world(tmp_path: Path, market: DemoMarket) -> Iterator[World]:
    """A migrated SQLite database with one search, the SQLite queue a worker with the returned
    environment consumes (opened as the dashboard opens it), and that environment."""
    database = f"sqlite:///{tmp_path}/deal-scout.db"
    engine = create_db_engine(database)
    upgrade(engine)
    with Session(engine) as session:
        data = SearchInput.parse({"name": "g", "query": "guitar", "marketplaces": ["demo"]}, min_interval_minutes=1)
        search = crud.create_search(session, data)
        search.next_scan_at = utcnow() + timedelta(days=1)  # only the test's rescan runs it
        session.commit()
    queue = open_queue(load_settings(data_dir=tmp_path, redis_url=None))
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "DATA_DIR": str(tmp_path),
        "DEMO_MARKET_URL": market.url,
        "HEALTH_PORT": str(free_port()),
        "WORKER_THREADS": "1",
        "HTTP_READ_TIMEOUT_SECONDS": "30",
        "SCAN_MAX_PAGES": "1",
    }
    yield engine, queue, env
    engine.dispose()


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "scanner", "worker"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def pending_scans(queue: TaskQueue) -> int:
    """Scans waiting in the queue (periodic tasks may be waiting too when a minute turns)."""
    return sum(1 for task in queue.pending() if isinstance(task, queue.tasks.scan_search.task_class))


def statuses(engine: Engine) -> list[TaskStatus]:
    with Session(engine) as session:
        return list(session.exec(select(TaskLog.status).order_by(TaskLog.id)))


def test_sigterm_lets_the_running_scan_finish(world: World, market: DemoMarket) -> None:
    engine, queue, env = world
    market.latency = 2.0
    rescan(queue, 1)
    worker = start_worker(env)
    try:
        wait_until(lambda: statuses(engine) == [TaskStatus.RUNNING], 30, "the scan to start")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        worker.kill()
    assert statuses(engine) == [TaskStatus.SUCCESS]
    assert pending_scans(queue) == 0


def test_a_scan_outlasting_the_shutdown_timeout_is_handed_back_untouched(world: World, market: DemoMarket) -> None:
    engine, queue, env = world
    market.latency = 8.0
    rescan(queue, 1)
    worker = start_worker({**env, "WORKER_SHUTDOWN_TIMEOUT_SECONDS": "1"})
    try:
        wait_until(lambda: statuses(engine) == [TaskStatus.RUNNING], 30, "the scan to start")
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
    finally:
        worker.kill()
    assert pending_scans(queue) == 1  # handed back for the next worker
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Listing)).one() == 0
    market.latency = 0.0
    worker = start_worker(env)
    try:
        wait_until(lambda: TaskStatus.SUCCESS in statuses(engine), 30, "the handed-back scan to run")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert statuses(engine) == [TaskStatus.FAILED, TaskStatus.SUCCESS]  # the stale row closed as interrupted
