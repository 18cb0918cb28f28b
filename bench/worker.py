"""What the worker figures share: a real worker process on real services.

`world(options)` gives a fresh PostgreSQL database, the bench's Redis db (flushed before and
after, and nothing else) as the worker's queue, and the demo market with
the bench's latency and page size, in this process. `WorkerProcess` is `python -m scanner
worker` pointed at them through its environment (as an operator configures it), with the
settings that would otherwise throttle a bench: no rate limit to speak of and one page per scan.
Scans are enqueued with `scanner.api.rescan` (as the dashboard enqueues them) and counted from
their task-log rows.
"""

from __future__ import annotations

import email
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bench.databases import postgres
from bench.options import Options
from bench.queues import redis_queue
from demo_market import DemoMarket
from models.settings import load_settings
from models.tables import TaskLog, TaskStatus
from scanner.api import rescan
from scanner.queue import TaskQueue
from scanner.tasks import register_tasks

ROOT = Path(__file__).resolve().parents[1]
BACKEND = "Redis + PostgreSQL"
_TICK = 0.02  # seconds between looks at the queue or the database while waiting
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], seconds: float, what: str, worker: WorkerProcess | None = None) -> None:
    """Poll `condition`; fail after `seconds`, or at once when the worker died."""
    deadline = time.monotonic() + seconds
    while not condition():
        if worker is not None:
            worker.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(_TICK)


@dataclass
class World:
    """The services one section's worker runs against."""

    options: Options
    engine: Engine
    market: DemoMarket
    queue: TaskQueue
    folder: Path

    def worker_env(self, **extra: str) -> dict[str, str]:
        """The worker's settings: these services, and nothing that throttles it artificially."""
        return {
            **os.environ,
            "DATA_DIR": str(self.folder),
            "DATABASE_URL": self.engine.url.render_as_string(hide_password=False),
            "REDIS_URL": self.options.redis,
            "DEMO_MARKET_URL": self.market.url,
            "RATE_LIMIT_PER_MINUTE": "1000000",  # the demo market is ours; politeness is not measured
            "SCAN_MAX_PAGES": "1",
            "HEALTH_PORT": str(free_port()),
            "SMTP_HOST": "",
            "SMTP_USER": "",
            "SMTP_PASSWORD": "",
            "LOG_LEVEL": "INFO",
            **extra,
        }


@contextmanager
def world(options: Options, label: str) -> Iterator[World]:
    """A fresh database, the worker's queue emptied (its tasks registered here so that the bench
    can enqueue them), the demo market."""
    with (
        redis_queue(options.redis) as queue,
        postgres(options.postgres, label) as engine,
        DemoMarket(latency=options.scan_latency_ms / 1000, per_page=options.scan_page_listings) as market,
        tempfile.TemporaryDirectory(prefix="deal-scout-bench-") as folder,
    ):
        register_tasks(queue, load_settings(data_dir=folder, redis_url=options.redis), engine)
        yield World(options, engine, market, queue, Path(folder))


class WorkerProcess:
    """`python -m scanner worker --threads N`, its CPU time and memory read from /proc."""

    def __init__(self, env: dict[str, str], threads: int, log: Path) -> None:
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scanner", "worker", "--threads", str(threads)],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the worker exited with {self.process.returncode}:\n{tail}")

    def cpu_seconds(self) -> float:
        """User plus system time so far (fields 14 and 15 of /proc/<pid>/stat)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def memory_mb(self) -> tuple[float, float]:
        """(resident set now, its peak so far) in MB: VmRSS and VmHWM of /proc/<pid>/status."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.MULTILINE))
        return int(values["VmRSS"]) / 1024, int(values["VmHWM"]) / 1024

    def stop(self) -> None:
        """SIGTERM, the graceful stop: running scans finish."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_worker(place: World, threads: int, **env: str) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(place.worker_env(**env), threads, place.folder / f"worker-{threads}.log")
    try:
        yield worker
    finally:
        worker.stop()


def completed_scans(engine: Engine) -> int:
    """Scans (of one marketplace) that stored their page: the task log's successful rows."""
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(TaskLog).where(TaskLog.status == TaskStatus.SUCCESS)
        ).scalar_one()


def failed_scans(engine: Engine) -> list[str]:
    """A few errors of failed scans: a bench whose scans fail measures nothing worth reporting."""
    with engine.connect() as connection:
        rows = connection.execute(select(TaskLog.error).where(TaskLog.status == TaskStatus.FAILED).limit(3))
        return [str(error) for (error,) in rows]


def mean_listings_per_scan(engine: Engine) -> float:
    """Listings a stored scan read on average: the page size the figure really had."""
    with engine.connect() as connection:
        average = connection.execute(
            select(func.avg(TaskLog.listings_found)).where(TaskLog.status == TaskStatus.SUCCESS)
        ).scalar_one()
    return float(average or 0)


class Feeder:
    """Keeps the queue full with rounds of rescans, one per search in each round, so the worker
    never waits for work and (with more searches than threads) never finds a search's lock taken."""

    def __init__(self, queue: TaskQueue, search_ids: Sequence[int]) -> None:
        self.queue = queue
        self.search_ids = list(search_ids)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-feeder", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.queue.pending_count() < len(self.search_ids):
                for search_id in self.search_ids:
                    rescan(self.queue, search_id)
            self._stop.wait(_TICK)

    def __enter__(self) -> Feeder:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.queue.flush()  # what is still queued is not the next section's work


@dataclass(frozen=True)
class Accepted:
    at: float  # time.monotonic() when the server accepted the message (its 250 reply)
    message: EmailMessage


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts, with the moment it accepted it."""

    def __init__(self) -> None:
        self.accepted: list[Accepted] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Envelope) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.original_content or b"", policy=default_policy)
        with self._arrived:
            self.accepted.append(Accepted(time.monotonic(), message))  # type: ignore[arg-type]
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, pattern: re.Pattern[str], seconds: float) -> Accepted:
        """The first message whose plain-text body matches `pattern`."""
        deadline = time.monotonic() + seconds
        with self._arrived:
            while True:
                for accepted in self.accepted:
                    body = accepted.message.get_body(("plain",))
                    if body is not None and pattern.search(body.get_content()):
                        return accepted
                if not self._arrived.wait(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError(f"no message matching {pattern.pattern!r} within {seconds:.0f} s")


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a local port: (its inbox, its port)."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
