"""Fixtures for operations: a seeded world of scans, breakers, alerts and workers (both
backends), a way to run `python -m scanner` against it, an HTTP getter, and a TCP forwarder
that plays a Redis which can be switched off and on again.

`seed_ops` writes, relative to the moment it runs, in the last hour: ebay 2 successes and 2 rate-limited
failures, craigslist 1 success and 1 markup failure, demo 1 success and 1 skip; three hours ago
one ebay timeout. Breakers: ebay open, craigslist paused, mercari closed with no recent scans.
Alerts: 2 pending, 1 failed, 1 sent. Workers: one fresh, one stale.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.health import HealthChecker
from models.settings import Settings, load_settings
from models.tables import (
    BreakerState,
    Listing,
    MarketplaceState,
    Notification,
    NotificationStatus,
    Search,
    TaskLog,
    TaskStatus,
    WorkerHeartbeat,
)
from models.types import utcnow
from scanner.health_server import HealthServer, serve_health
from scanner.queue import make_huey
from tests.cli import Cli

from ..conftest import REDIS_TEST_URL, require_redis

ROOT = Path(__file__).resolve().parents[2]
NOW = utcnow().replace(microsecond=0)


@dataclass(frozen=True)
class Seeded:
    now: datetime
    strat_id: int
    leica_id: int


def _log(
    now: datetime,
    search: Search,
    marketplace: str | None,
    status: TaskStatus,
    minutes_ago: float,
    duration_ms: int,
    error_class: str | None = None,
    error: str | None = None,
    task_name: str = "scan_search",
) -> TaskLog:
    return TaskLog(
        task_name=task_name,
        task_id=f"task-{marketplace}-{minutes_ago}",
        search_id=search.id,
        marketplace=marketplace,
        status=status,
        error_class=error_class,
        error=error,
        duration_ms=duration_ms,
        created_at=now - timedelta(minutes=minutes_ago),
    )


def seed_ops(session: Session, now: datetime) -> Seeded:
    strat = Search(name="Fender Strat", query="fender stratocaster", marketplaces=["ebay", "demo"])
    leica = Search(name="Leica M6", query="leica m6", marketplaces=["ebay", "craigslist"])
    session.add_all([strat, leica])
    session.flush()
    listing = Listing(marketplace="ebay", external_id="e1", title="Fender Strat 1998", url="https://example.com/e1")
    session.add(listing)
    session.flush()
    session.add_all(
        [
            _log(now, strat, "ebay", TaskStatus.SUCCESS, 10, 2000),
            _log(now, leica, "ebay", TaskStatus.SUCCESS, 20, 8000),
            _log(now, strat, "ebay", TaskStatus.FAILED, 15, 1000, "rate_limited", "HTTP 429 (older)"),
            _log(now, strat, "ebay", TaskStatus.FAILED, 5, 1000, "rate_limited", "HTTP 429 from api.ebay.com"),
            _log(now, leica, "craigslist", TaskStatus.FAILED, 30, 4000, "markup_changed", "no result rows found"),
            _log(now, leica, "craigslist", TaskStatus.SUCCESS, 40, 6000),
            _log(now, strat, "demo", TaskStatus.SUCCESS, 50, 1000),
            _log(now, strat, "demo", TaskStatus.SKIPPED, 3, 0, error="paused: testing"),
            _log(now, strat, "ebay", TaskStatus.FAILED, 180, 20000, "timeout", "read timed out"),
            _log(now, strat, None, TaskStatus.SUCCESS, 1, 5, task_name="dispatch_due_scans"),
        ]
    )
    session.add_all(
        [
            MarketplaceState(
                marketplace="ebay",
                breaker_state=BreakerState.OPEN,
                consecutive_failures=5,
                open_until=now + timedelta(minutes=5),
                last_success_at=now - timedelta(minutes=10),
                last_failure_at=now - timedelta(minutes=5),
                last_error_class="rate_limited",
            ),
            MarketplaceState(marketplace="craigslist", paused=True, pause_reason="markup changed, fixing"),
            MarketplaceState(marketplace="mercari", last_success_at=now - timedelta(days=2)),
        ]
    )
    for index, status in enumerate(
        [NotificationStatus.PENDING, NotificationStatus.PENDING, NotificationStatus.FAILED, NotificationStatus.SENT]
    ):
        session.add(
            Notification(
                search_id=strat.id,
                listing_id=listing.id,
                reason="target_price",
                recipient=f"ops{index}@example.com",
                subject="Deal",
                body_text="deal",
                body_html="<p>deal</p>",
                status=status,
                sent_at=now if status is NotificationStatus.SENT else None,
            )
        )
    session.add_all(
        [
            WorkerHeartbeat(
                worker_id="host-a:1",
                hostname="host-a",
                pid=1,
                threads=4,
                started_at=now - timedelta(hours=1),
                seen_at=now - timedelta(seconds=20),
            ),
            WorkerHeartbeat(
                worker_id="host-b:2",
                hostname="host-b",
                pid=2,
                threads=4,
                started_at=now - timedelta(hours=2),
                seen_at=now - timedelta(minutes=10),
            ),
        ]
    )
    session.commit()
    assert strat.id is not None and leica.id is not None
    return Seeded(now=now, strat_id=strat.id, leica_id=leica.id)


@pytest.fixture
def seeded(session: Session) -> Seeded:
    """The world above, timed from this test's start (long runs must not age it)."""
    return seed_ops(session, utcnow().replace(microsecond=0))


@pytest.fixture
def seeded_sqlite(sqlite_engine: Engine) -> Seeded:
    with Session(sqlite_engine, expire_on_commit=False) as session:
        return seed_ops(session, utcnow().replace(microsecond=0))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (bound once, then released)."""
    return free_port()


Fetch = Callable[[str], tuple[int, str]]


@pytest.fixture
def fetch() -> Fetch:
    """GET a URL over real HTTP; returns status and body whatever the status."""

    def get(url: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(url, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    return get


def fetch_json(fetch: Fetch, url: str) -> tuple[int, dict[str, Any]]:
    status, body = fetch(url)
    return status, json.loads(body)


Serve = Callable[..., str]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """`serve(engine, settings=None)`: a health server for them on a free port; returns its base
    URL. Settings default to a SQLite queue in this test's folder, no Redis, no SMTP."""
    servers: list[HealthServer] = []

    def start(engine: Engine, settings: Settings | None = None) -> str:
        settings = settings or load_settings(data_dir=tmp_path, redis_url=None, smtp_host=None)
        queue = make_huey(settings, name=f"test-ops-{uuid.uuid4().hex[:12]}")
        server = serve_health(HealthChecker(settings, engine, queue), port=0, host="127.0.0.1")
        assert server is not None
        servers.append(server)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def scanner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """`scanner("health", env={...})`: the command run in process (`tests.cli`) with the test's
    environment plus `env`, its queue in a folder of this test's own."""
    return Cli(monkeypatch, capsys, env={"DATA_DIR": str(tmp_path / "data")})


class _Pipe(socketserver.BaseRequestHandler):
    server: RedisForwarder.Server

    def handle(self) -> None:
        with socket.create_connection(self.server.target, timeout=10) as upstream:
            back = threading.Thread(target=_pump, args=(upstream, self.request), daemon=True)
            back.start()
            _pump(self.request, upstream)
            back.join(5)


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        try:
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class RedisForwarder:
    """A local port that is Redis while started and a refused connection while stopped."""

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True
        block_on_close = False
        target: tuple[str, int]

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._server: RedisForwarder.Server | None = None

    def start(self) -> None:
        server = self.Server(("127.0.0.1", self.port), _Pipe)
        server.target = self.target
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def redis_forwarder() -> Iterator[RedisForwarder]:
    """Stopped at first; its URL (same database number as the test Redis) is `redis_url`."""
    require_redis()
    target = urlsplit(REDIS_TEST_URL)
    forwarder = RedisForwarder((target.hostname or "127.0.0.1", target.port or 6379))
    yield forwarder
    forwarder.stop()


def forwarded_redis_url(forwarder: RedisForwarder) -> str:
    return urlunsplit(urlsplit(REDIS_TEST_URL)._replace(netloc=f"127.0.0.1:{forwarder.port}"))
