"""`GET /health` and `/health/detailed`: 200 while work can happen, 503 when the database or
Redis is down, and a plain warning for everything a person should look at."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine

from models.db import create_db_engine
from models.health import HealthChecker
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
