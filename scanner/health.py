"""Is Deal Scout healthy? One check shared by `GET /health`, `GET /health/detailed` and
`python -m scanner health`, the worker heartbeat that check reads, and the small HTTP server
the worker runs for health and `/metrics`.

Unhealthy (HTTP 503, exit 1) means work cannot happen: the database or the queue (Redis when
configured) does not answer. Everything else that needs a person — no SMTP, no fresh worker
heartbeat, an open breaker, failed alerts — is a warning with a plain sentence, still HTTP 200.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import redis
from huey import Huey
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.db import ping, session_scope
from models.migrate import current_revision, head_revision
from models.queries import ops
from models.settings import Settings
from models.tables import BreakerState, NotificationStatus, WorkerHeartbeat
from models.types import utcnow
from scanner.logs import mask_secrets, secret_values
from scanner.metrics import build_registry, render
from scanner.queue import backend_name

log = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 3.0
FAILURE_WINDOW = timedelta(hours=1)

OK, WARNING, UNHEALTHY = "ok", "warning", "unhealthy"
UP, DOWN, NOT_CONFIGURED, OUTDATED = "ok", "down", "not configured", "schema out of date"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


@dataclass
class _Findings:
    """What one check collected; `report()` turns it into the JSON people and probes read."""

    body: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unhealthy: bool = False


class HealthChecker:
    """Checks one deployment's database, queue, Redis, workers and SMTP from its settings."""

    def __init__(self, settings: Settings, engine: Engine, queue: Huey) -> None:
        self.settings = settings
        self.engine = engine
        self.queue = queue
        self._secrets = secret_values(settings)

    def check(self, *, detailed: bool = False, now: datetime | None = None) -> dict[str, Any]:
        now = now or utcnow()
        found = _Findings()
        db_up = self._check_database(found)
        self._check_redis(found)
        self._check_queue(found)
        if db_up:
            self._check_heartbeat(found, now)
        else:
            found.body["worker_heartbeat"] = None
        self._check_smtp(found, probe=detailed)
        if detailed and db_up:
            self._check_details(found, now)
        status = UNHEALTHY if found.unhealthy else WARNING if found.warnings else OK
        return {"status": status, **found.body, "warnings": found.warnings, "errors": found.errors,
                "checked_at": _iso(now)}

    def _error(self, error: BaseException) -> str:
        """The error's class and first line, with anything secret masked."""
        first_line = (str(error).strip().splitlines() or [""])[0]
        return mask_secrets(f"{type(error).__name__}: {first_line}", self._secrets)

    def _check_database(self, found: _Findings) -> bool:
        try:
            ping(self.engine)
        except Exception as error:  # noqa: BLE001  (any driver error means "down")
            found.body["db"] = DOWN
            found.errors["db"] = self._error(error)
            found.unhealthy = True
            return False
        revision, expected = current_revision(self.engine), head_revision()
        if revision != expected:
            found.body["db"] = OUTDATED
            found.errors["db"] = f"schema at {revision or 'nothing'}, this code needs {expected}: run `python -m scanner migrate`"
            found.unhealthy = True
            return False
        found.body["db"] = UP
        return True

    def _check_redis(self, found: _Findings) -> None:
        if not self.settings.redis_url:
            found.body["redis"] = NOT_CONFIGURED
            return
        client = redis.Redis.from_url(
            self.settings.redis_url, socket_connect_timeout=PROBE_TIMEOUT_SECONDS, socket_timeout=PROBE_TIMEOUT_SECONDS
        )
        try:
            client.ping()
            found.body["redis"] = UP
        except redis.RedisError as error:
            found.body["redis"] = DOWN
            found.errors["redis"] = self._error(error)
            found.unhealthy = True
        finally:
            client.close()

    def _check_queue(self, found: _Findings) -> None:
        found.body["queue_backend"] = backend_name(self.queue)
        found.body["queue_depth"] = found.body["queue_scheduled"] = None
        if found.body["redis"] == DOWN:
            return  # the queue lives in Redis: asking it again would only wait for the same failure
        try:
            found.body["queue_depth"] = self.queue.pending_count()
            found.body["queue_scheduled"] = self.queue.scheduled_count()
        except Exception as error:  # noqa: BLE001  (any storage error means the queue cannot be read)
            found.errors["queue"] = self._error(error)
            found.unhealthy = True

    def _check_heartbeat(self, found: _Findings, now: datetime) -> None:
        with Session(self.engine) as session:
            beats = ops.workers(session)
        if not beats:
            found.body["worker_heartbeat"] = None
            found.warnings.append("no worker has ever reported: is `python -m scanner worker` running?")
            return
        newest = beats[0]
        age = (now - newest.seen_at).total_seconds()
        alive = sum(1 for beat in beats if now - beat.seen_at <= ops.HEARTBEAT_STALE_AFTER)
        stale = age > ops.HEARTBEAT_STALE_AFTER.total_seconds()
        found.body["worker_heartbeat"] = {
            "worker_id": newest.worker_id,
            "seen_at": _iso(newest.seen_at),
            "age_seconds": round(age, 1),
            "stale": stale,
            "workers_alive": alive,
        }
        if stale:
            found.warnings.append(f"no worker heartbeat for {int(age)}s: no worker is running scans")

    def _check_smtp(self, found: _Findings, *, probe: bool) -> None:
        if not self.settings.smtp_configured:
            found.body["smtp"] = NOT_CONFIGURED
            found.warnings.append("SMTP_HOST is not set: alerts are kept pending and not emailed")
            return
        where = f"{self.settings.smtp_host}:{self.settings.smtp_port}"
        found.body["smtp"] = f"configured ({where})"
        if not probe:
            return
        try:
            self._probe_smtp()
            found.body["smtp_reachable"] = True
        except (OSError, smtplib.SMTPException) as error:
            found.body["smtp_reachable"] = False
            found.errors["smtp"] = self._error(error)
            found.warnings.append(f"SMTP server {where} does not answer: alerts will wait and be retried")

    def _probe_smtp(self) -> None:
        """Connect and say NOOP: proves the server answers without sending or logging in."""
        smtp_class = smtplib.SMTP_SSL if self.settings.smtp_tls == "ssl" else smtplib.SMTP
        with smtp_class(self.settings.smtp_host or "", self.settings.smtp_port, timeout=PROBE_TIMEOUT_SECONDS) as smtp:
            smtp.noop()

    def _check_details(self, found: _Findings, now: datetime) -> None:
        with Session(self.engine) as session:
            overview = ops.marketplace_overview(session, now - FAILURE_WINDOW)
            outbox = ops.outbox_counts(session)
            beats = ops.workers(session)
        found.body["marketplaces"] = [
            {
                "marketplace": item.marketplace,
                "breaker_state": item.breaker_state.value,
                "paused": item.paused,
                "last_success_at": _iso(item.last_success_at),
                "failure_rate_1h": round(item.failure_rate, 3),
                "scans_1h": item.runs,
                "failures_1h": item.failures,
                "last_error_class": item.last_error_class,
                "open_until": _iso(item.open_until),
            }
            for item in overview
        ]
        for item in overview:
            if item.paused:
                found.warnings.append(f"{item.marketplace} is paused: {item.pause_reason or 'no reason given'}")
            if item.breaker_state is not BreakerState.CLOSED:
                found.warnings.append(
                    f"{item.marketplace} circuit breaker is {item.breaker_state.value} "
                    f"(last error: {item.last_error_class or 'unknown'})"
                )
        found.body["notifications"] = {status.value: count for status, count in outbox.items()}
        if outbox[NotificationStatus.FAILED]:
            found.warnings.append(
                f"{outbox[NotificationStatus.FAILED]} alert(s) failed: `python -m scanner notify --retry-failed`"
            )
        found.body["workers"] = [
            {
                "worker_id": beat.worker_id,
                "threads": beat.threads,
                "started_at": _iso(beat.started_at),
                "seen_at": _iso(beat.seen_at),
                "stale": now - beat.seen_at > ops.HEARTBEAT_STALE_AFTER,
            }
            for beat in beats
        ]


def is_healthy(report: dict[str, Any]) -> bool:
    return report["status"] != UNHEALTHY


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


class HealthServer(ThreadingHTTPServer):
    """`/health`, `/health/detailed` and `/metrics` for one worker process."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], checker: HealthChecker, registry: CollectorRegistry) -> None:
        self.checker = checker
        self.registry = registry
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: HealthServer

    def do_GET(self) -> None:  # noqa: N802  (the name http.server looks for)
        path = urlsplit(self.path).path.rstrip("/")
        if path in ("/health", "/health/detailed"):
            report = self.server.checker.check(detailed=path == "/health/detailed")
            status = HTTPStatus.OK if is_healthy(report) else HTTPStatus.SERVICE_UNAVAILABLE
            self._send(status, json.dumps(report, indent=2).encode(), "application/json")
        elif path == "/metrics":
            body, content_type = render(self.server.registry)
            self._send(HTTPStatus.OK, body, content_type)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found: try /health, /health/detailed or /metrics\n", "text/plain")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (http.server's signature)
        log.debug("health server: " + format, *args)


def serve_health(checker: HealthChecker, port: int, host: str = "0.0.0.0") -> HealthServer | None:
    """Serve health and metrics from a daemon thread; None (logged) when the port is taken,
    so a second worker on the same machine runs on without its own endpoint."""
    try:
        server = HealthServer((host, port), checker, build_registry(checker.engine, checker.queue))
    except OSError as error:
        log.warning(
            "health and metrics NOT served: cannot listen on %s:%s (%s); this worker carries on without "
            "them (another worker on this machine probably has the port; set HEALTH_PORT per worker)",
            host, port, error.strerror or error,
        )
        return None
    threading.Thread(target=server.serve_forever, name="health-server", daemon=True).start()
    log.info("health and metrics on http://%s:%s/health and /metrics", host, server.port)
    return server
