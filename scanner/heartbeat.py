"""The worker's heartbeat: a row per worker process, stamped from a daemon thread, that the
health check reads to tell whether any worker is alive."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from models.db import session_scope
from models.queries import ops
from models.tables import WorkerHeartbeat
from models.types import utcnow

log = logging.getLogger(__name__)


class Heartbeat:
    """Stamps this process's `WorkerHeartbeat` row now and every `interval` from a daemon thread.

    A failed write (database down) is logged once and retried on the next beat; the thread
    never dies of it.
    """

    def __init__(self, engine: Engine, threads: int, interval: timedelta = ops.HEARTBEAT_INTERVAL) -> None:
        self.engine = engine
        self.threads = threads
        self.interval = interval
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.worker_id = f"{self.hostname}:{self.pid}"
        self.started_at = utcnow()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._failing = False

    def beat(self, now: datetime | None = None) -> None:
        with session_scope(self.engine) as session:
            session.merge(
                WorkerHeartbeat(
                    worker_id=self.worker_id,
                    hostname=self.hostname,
                    pid=self.pid,
                    threads=self.threads,
                    started_at=self.started_at,
                    seen_at=now or utcnow(),
                )
            )

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the beating thread is alive (it survives a database outage)."""
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            try:
                self.beat()
                if self._failing:
                    log.info("worker heartbeat written again")
                self._failing = False
            except Exception as error:  # noqa: BLE001  (a database outage must not kill the heartbeat)
                if not self._failing:
                    log.warning("cannot write the worker heartbeat (will keep trying): %s", error)
                self._failing = True
            if self._stop.wait(self.interval.total_seconds()):
                return
