"""The worker process: its heartbeat row, and health and metrics served next to the consumer."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.db import create_db_engine
from models.settings import load_settings
from models.tables import WorkerHeartbeat
from scanner.heartbeat import Heartbeat
from scanner.worker import Worker

from .conftest import NOW, ROOT, Fetch, free_port


def _rows(engine: Engine) -> list[WorkerHeartbeat]:
    with Session(engine) as session:
        return list(session.exec(select(WorkerHeartbeat)))


def test_a_beat_upserts_one_row_per_worker_process(engine: Engine) -> None:
    heartbeat = Heartbeat(engine, threads=3)
    heartbeat.beat(now=NOW)
    heartbeat.beat(now=NOW + timedelta(seconds=15))
    [row] = _rows(engine)
    assert row.worker_id == f"{socket.gethostname()}:{os.getpid()}"
    assert (row.pid, row.threads) == (os.getpid(), 3)
    assert row.seen_at == NOW + timedelta(seconds=15)
    assert row.started_at == heartbeat.started_at


def test_the_heartbeat_thread_beats_at_once_and_survives_a_database_outage(tmp_path: Path, closed_port: int) -> None:
    broken = create_db_engine(f"postgresql+psycopg://scout@127.0.0.1:{closed_port}/scout")
    heartbeat = Heartbeat(broken, threads=1, interval=timedelta(milliseconds=50))
    heartbeat.start()
    time.sleep(0.3)
    assert heartbeat.running  # failed beats are logged, the thread keeps trying
    heartbeat.stop()
    assert not heartbeat.running
    broken.dispose()


def test_the_worker_registers_its_tasks_under_the_names_queued_messages_carry(tmp_path: Path) -> None:
    worker = Worker(load_settings(data_dir=tmp_path, redis_url=None))
    tasks = [
        worker.tasks.dispatch_due_scans,
        worker.tasks.scan_search,
        worker.tasks.send_notifications,
        worker.prune_old_rows,
    ]
    names = [worker.queue.serializer.deserialize(worker.queue.serialize_task(task.s())).name for task in tasks]
    assert names == [
        "scanner.tasks.dispatch_due_scans",
        "scanner.tasks.scan_search",
        "scanner.tasks.send_notifications",
        "scanner.housekeeping.prune_old_rows",
    ]


def _wait_for(fetch: Fetch, url: str, deadline: float) -> dict[str, object]:
    while True:
        try:
            status, body = fetch(url)
            report = json.loads(body)
            if status == 200 and report["worker_heartbeat"]:
                return report
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{url} did not report a worker heartbeat in time"
        time.sleep(0.2)


def test_worker_serves_health_and_metrics_and_writes_its_heartbeat(tmp_path: Path, fetch: Fetch) -> None:
    database = f"sqlite:///{tmp_path}/worker.db"
    env = {**os.environ, "DATABASE_URL": database, "DATA_DIR": str(tmp_path / "data")}
    migrate = subprocess.run(
        [sys.executable, "-m", "scanner", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    worker = subprocess.Popen(
        [sys.executable, "-m", "scanner", "worker", "--threads", "1", "--health-port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        report = _wait_for(fetch, f"http://127.0.0.1:{port}/health", time.monotonic() + 30)
        assert report["worker_heartbeat"]["worker_id"] == f"{socket.gethostname()}:{worker.pid}"
        status, metrics = fetch(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and "deal_scout_workers_alive 1.0" in metrics
    finally:
        worker.send_signal(signal.SIGTERM)  # immediate stop; SIGINT would wait out an idle poll (up to 10 s)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert f"health and metrics on http://127.0.0.1:{port}/health" in output  # HEALTH_BIND: loopback by default
    engine = create_db_engine(database)
    assert [row.pid for row in _rows(engine)] == [worker.pid]
    engine.dispose()
