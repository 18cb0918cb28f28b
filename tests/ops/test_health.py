"""`GET /health` and `/health/detailed`: 200 while work can happen, 503 when the database or
Redis is down, and a plain warning for everything a person should look at."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine

from models.db import create_db_engine
from models.health import SMTP_PROBE_TTL_SECONDS, HealthChecker
from models.settings import Settings, load_settings
from scanner.health_server import serve_health
from scanner.queue import make_huey

from .conftest import Fetch, RedisForwarder, Seeded, Serve, fetch_json, forwarded_redis_url, free_port


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path, redis_url=None, smtp_host=None)


def test_healthy_database_and_queue_answer_200(engine: Engine, serve: Serve, fetch: Fetch) -> None:
    status, body = fetch_json(fetch, serve(engine) + "/health")
    assert status == 200
    assert body["db"] == "ok"
    assert body["redis"] == "not configured"
    assert body["queue_backend"] == "sqlite"
    assert body["queue_depth"] == 0


def test_redis_down_is_503_and_redis_back_is_200(
    sqlite_engine: Engine, serve: Serve, fetch: Fetch, redis_forwarder: RedisForwarder, tmp_path: Path
) -> None:
    settings = load_settings(data_dir=tmp_path, redis_url=forwarded_redis_url(redis_forwarder))
    url = serve(sqlite_engine, settings) + "/health"

    status, body = fetch_json(fetch, url)
    assert (status, body["redis"], body["status"]) == (503, "down", "unhealthy")
    assert body["queue_depth"] is None
    assert "redis" in body["errors"]

    redis_forwarder.start()
    status, body = fetch_json(fetch, url)
    assert (status, body["redis"], body["queue_backend"], body["queue_depth"]) == (200, "ok", "redis", 0)

    redis_forwarder.stop()
    status, body = fetch_json(fetch, url)
    assert (status, body["redis"]) == (503, "down")


def test_database_down_is_503_without_showing_its_password(serve: Serve, fetch: Fetch, closed_port: int) -> None:
    engine = create_db_engine(f"postgresql+psycopg://scout:hunter2-secret@127.0.0.1:{closed_port}/scout")
    status, raw = fetch(serve(engine) + "/health")
    assert status == 503
    assert '"db": "down"' in raw
    assert "hunter2-secret" not in raw
    engine.dispose()


def test_missing_smtp_is_a_warning_not_a_failure(sqlite_engine: Engine, serve: Serve, fetch: Fetch) -> None:
    status, body = fetch_json(fetch, serve(sqlite_engine) + "/health")
    assert status == 200
    assert body["smtp"] == "not configured"
    assert body["status"] == "warning"
    assert any("SMTP_HOST is not set" in warning for warning in body["warnings"])


def test_heartbeat_reports_newest_worker_and_flags_staleness(
    engine: Engine, seeded: Seeded, local_settings: Settings
) -> None:
    checker = HealthChecker(local_settings, engine, make_huey(local_settings, name=f"t-{uuid.uuid4().hex[:8]}"))
    fresh = checker.check(now=seeded.now)["worker_heartbeat"]
    assert fresh == {
        "worker_id": "host-a:1",
        "seen_at": fresh["seen_at"],
        "age_seconds": 20.0,
        "stale": False,
        "workers_alive": 1,
    }
    later = checker.check(now=seeded.now + timedelta(minutes=5))
    assert later["worker_heartbeat"]["stale"] is True
    assert any("no worker heartbeat" in warning for warning in later["warnings"])
    assert later["status"] == "warning"


def test_detailed_adds_marketplaces_alerts_and_workers(
    engine: Engine, seeded: Seeded, serve: Serve, fetch: Fetch
) -> None:
    status, body = fetch_json(fetch, serve(engine) + "/health/detailed")
    assert status == 200
    markets = {item["marketplace"]: item for item in body["marketplaces"]}
    assert set(markets) == {"craigslist", "demo", "ebay", "mercari"}
    assert (markets["ebay"]["breaker_state"], markets["ebay"]["failure_rate_1h"], markets["ebay"]["scans_1h"]) == (
        "open",
        0.5,
        4,
    )
    assert markets["craigslist"]["paused"] is True
    assert markets["mercari"]["last_success_at"] is not None and markets["mercari"]["scans_1h"] == 0
    assert body["notifications"] == {"pending": 2, "sent": 1, "failed": 1}
    assert [worker["stale"] for worker in body["workers"]] == [False, True]
    assert "ebay circuit breaker is open (last error: rate_limited)" in body["warnings"]
    assert any("craigslist is paused" in warning for warning in body["warnings"])
    assert any("notify --retry-failed" in warning for warning in body["warnings"])


class _Quiet:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        return "250 OK"


def test_detailed_probes_smtp_and_an_unreachable_server_is_only_a_warning(
    sqlite_engine: Engine, serve: Serve, fetch: Fetch, tmp_path: Path, closed_port: int
) -> None:
    controller = Controller(_Quiet(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        reachable = load_settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=controller.port, smtp_tls="none")
        status, body = fetch_json(fetch, serve(sqlite_engine, reachable) + "/health/detailed")
        assert (status, body["smtp_reachable"]) == (200, True)
    finally:
        controller.stop()

    unreachable = load_settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=closed_port, smtp_tls="none")
    status, body = fetch_json(fetch, serve(sqlite_engine, unreachable) + "/health/detailed")
    assert (status, body["smtp_reachable"], body["status"]) == (200, False, "warning")
    assert any("does not answer" in warning for warning in body["warnings"])


def test_unknown_path_is_404(sqlite_engine: Engine, serve: Serve, fetch: Fetch) -> None:
    status, body = fetch(serve(sqlite_engine) + "/nope")
    assert status == 404
    assert "/health" in body


def test_taken_port_is_logged_and_the_worker_carries_on(
    sqlite_engine: Engine, local_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    queue = make_huey(local_settings, name=f"t-{uuid.uuid4().hex[:8]}")
    first = serve_health(HealthChecker(local_settings, sqlite_engine, queue), port=0, host="127.0.0.1")
    assert first is not None
    try:
        checker = HealthChecker(local_settings, sqlite_engine, queue)
        with caplog.at_level(logging.WARNING, logger="scanner.health_server"):
            second = serve_health(checker, port=first.port, host="127.0.0.1")
        assert second is None
        assert f"NOT served: cannot listen on 127.0.0.1:{first.port}" in caplog.text
    finally:
        first.shutdown()
        first.server_close()


# Issue 20, defect 11: the health server listens on HEALTH_BIND (loopback by default);
# `/health/detailed` caches its SMTP probe and needs HEALTH_TOKEN when one is set; `/health` stays
# anonymous, without names an outsider could use.

TOKEN = "s3cret-health-token-0123"


class _CountingSmtp:
    """An SMTP server that counts the probes (NOOP) it answers."""

    def __init__(self) -> None:
        self.noops = 0

    async def handle_NOOP(self, server: object, session: object, envelope: object, arg: str) -> str:  # noqa: N802
        self.noops += 1
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_CountingSmtp, int]]:
    handler = _CountingSmtp()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_the_health_server_listens_on_health_bind_loopback_by_default(
    sqlite_engine: Engine, local_settings: Settings
) -> None:
    assert local_settings.health_bind == "127.0.0.1"
    queue = make_huey(local_settings, name=f"t-{uuid.uuid4().hex[:8]}")
    server = serve_health(HealthChecker(local_settings, sqlite_engine, queue), port=0)
    assert server is not None
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.shutdown()
        server.server_close()


def test_listening_everywhere_without_a_token_is_logged(
    sqlite_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(data_dir=tmp_path, redis_url=None, smtp_host=None, health_bind="0.0.0.0")
    queue = make_huey(settings, name=f"t-{uuid.uuid4().hex[:8]}")
    with caplog.at_level(logging.WARNING, logger="scanner.health_server"):
        server = serve_health(HealthChecker(settings, sqlite_engine, queue), port=0)
    assert server is not None
    try:
        assert server.server_address[0] == "0.0.0.0"
        assert "without HEALTH_TOKEN" in caplog.text
    finally:
        server.shutdown()
        server.server_close()


def test_with_a_token_detailed_needs_it_and_health_hides_names(
    engine: Engine, seeded: Seeded, serve: Serve, tmp_path: Path, closed_port: int
) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        redis_url=None,
        smtp_host="mail.internal.example",
        smtp_port=closed_port,
        health_token=TOKEN,
    )
    base = serve(engine, settings)

    status, headers, body = get(base + "/health/detailed")
    assert (status, headers["WWW-Authenticate"]) == (401, 'Bearer realm="health"')
    assert "mail.internal.example" not in body and "host-a" not in body
    assert get(base + "/health/detailed", {"Authorization": "Bearer wrong-token-wrong-token"})[0] == 401
    assert get(base + f"/health/detailed?token={TOKEN}x")[0] == 401
    status, _, body = get(base + "/health/detailed", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and json.loads(body)["workers"]
    status, _, body = get(base + f"/health/detailed?token={TOKEN}")
    assert status == 200 and "mail.internal.example" in body  # the SMTP warning names it, for those with the token

    status, _, body = get(base + "/health")  # anonymous and cheap: states only
    report = json.loads(body)
    assert status == 200 and report["db"] == "ok" and report["smtp"] == "configured"
    assert "worker_id" not in report["worker_heartbeat"] and report["worker_heartbeat"]["workers_alive"] == 1
    assert "mail.internal.example" not in body and "host-a" not in body
    full = json.loads(get(base + "/health", {"Authorization": f"Bearer {TOKEN}"})[2])
    assert full["worker_heartbeat"]["worker_id"] == "host-a:1"
    assert full["smtp"] == f"configured (mail.internal.example:{closed_port})"


def test_anonymous_health_shows_only_the_class_of_an_error(serve: Serve, tmp_path: Path, closed_port: int) -> None:
    engine = create_db_engine(f"postgresql+psycopg://scout:pw@127.0.0.1:{closed_port}/scout")
    settings = load_settings(data_dir=tmp_path, redis_url=None, smtp_host=None, health_token=TOKEN)
    status, _, body = get(serve(engine, settings) + "/health")
    assert status == 503 and json.loads(body)["errors"] == {"db": "OperationalError"}
    assert str(closed_port) not in body
    engine.dispose()


def test_without_a_token_detailed_stays_open(sqlite_engine: Engine, serve: Serve, fetch: Fetch) -> None:
    status, body = fetch_json(fetch, serve(sqlite_engine) + "/health/detailed")
    assert status == 200 and "marketplaces" in body


def test_the_smtp_probe_is_cached_so_a_burst_opens_one_connection(
    sqlite_engine: Engine, serve: Serve, tmp_path: Path, smtp: tuple[_CountingSmtp, int]
) -> None:
    handler, port = smtp
    settings = load_settings(data_dir=tmp_path, redis_url=None, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none")
    url = serve(sqlite_engine, settings) + "/health/detailed"
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: get(url)[0], range(20)))
    assert answers == [200] * 20
    assert handler.noops == 1


def test_the_cached_smtp_probe_is_probed_again_after_its_ttl(
    sqlite_engine: Engine, tmp_path: Path, smtp: tuple[_CountingSmtp, int]
) -> None:
    handler, port = smtp
    settings = load_settings(data_dir=tmp_path, redis_url=None, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none")
    now = [0.0]
    queue = make_huey(settings, name=f"t-{uuid.uuid4().hex[:8]}")
    checker = HealthChecker(settings, sqlite_engine, queue, clock=lambda: now[0])
    assert checker.check(detailed=True)["smtp_reachable"] is True
    now[0] += SMTP_PROBE_TTL_SECONDS - 1
    checker.check(detailed=True)
    assert handler.noops == 1
    now[0] += 2
    checker.check(detailed=True)
    assert handler.noops == 2
    assert checker.check()["smtp"] == f"configured (127.0.0.1:{port})" and handler.noops == 2  # /health: no probe
