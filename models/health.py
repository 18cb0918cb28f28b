"""Is Deal Scout healthy? One check shared by `GET /health`, `GET /health/detailed`,
`python -m scanner health` and the dashboard's status line; it lives in the core because all
of them need it and none should load the worker to ask.

Unhealthy (HTTP 503, exit 1) means work cannot happen: the database or the queue (Redis when
configured) does not answer. Everything else that needs a person — no SMTP, no fresh worker
heartbeat, an open breaker, failed alerts — is a warning with a plain sentence, still HTTP 200.
"""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import redis
from huey import Huey
from huey.storage import RedisStorage
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.db import ping
from models.migrate import current_revision, head_revision
from models.queries import ops
from models.secrets import mask_secrets, secret_values
from models.settings import Settings
from models.tables import BreakerState, NotificationStatus
from models.types import utcnow

PROBE_TIMEOUT_SECONDS = 3.0
#: How long one SMTP probe's answer is reused: a burst of `/health/detailed` calls opens one connection.
SMTP_PROBE_TTL_SECONDS = 60.0
FAILURE_WINDOW = timedelta(hours=1)

OK, WARNING, UNHEALTHY = "ok", "warning", "unhealthy"
UP, DOWN, NOT_CONFIGURED, OUTDATED = "ok", "down", "not configured", "schema out of date"


def queue_backend(queue: Huey) -> str:
    """Which storage the queue really uses, for health output and the dashboard."""
    return "redis" if isinstance(queue.storage, RedisStorage) else "sqlite"


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

    def __init__(
        self, settings: Settings, engine: Engine, queue: Huey, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.queue = queue
        self._secrets = secret_values(settings)
        self._clock = clock
        # (when probed, what failed or None): shared by the health server's threads, under the lock
        self._smtp_probe: tuple[float, str | None] | None = None
        self._smtp_lock = threading.Lock()

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
        return {
            "status": status,
            **found.body,
            "warnings": found.warnings,
            "errors": found.errors,
            "checked_at": _iso(now),
        }

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
            found.errors["db"] = (
                f"schema at {revision or 'nothing'}, this code needs {expected}: run `python -m scanner migrate`"
            )
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
        found.body["queue_backend"] = queue_backend(self.queue)
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
        error = self._cached_smtp_probe()
        found.body["smtp_reachable"] = error is None
        if error is not None:
            found.errors["smtp"] = error
            found.warnings.append(f"SMTP server {where} does not answer: alerts will wait and be retried")

    def _cached_smtp_probe(self) -> str | None:
        """What the SMTP probe failed with (None: it answered), probed at most once per SMTP_PROBE_TTL_SECONDS:
        `/health/detailed` is reachable by others, and each call must not open a connection.
        Concurrent callers wait for the one probe in flight instead of starting their own."""
        with self._smtp_lock:
            cached = self._smtp_probe
            if cached is not None and self._clock() - cached[0] < SMTP_PROBE_TTL_SECONDS:
                return cached[1]
            try:
                self._probe_smtp()
                error: str | None = None
            except (OSError, smtplib.SMTPException) as failure:
                error = self._error(failure)
            self._smtp_probe = (self._clock(), error)
            return error

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
    status: str = report["status"]
    return status != UNHEALTHY
