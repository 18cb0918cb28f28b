"""`GET /metrics`: scans counted where they happen, database state read at scrape time, and
counters that add up across worker processes in prometheus-client's multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from models.db import create_db_engine
from models.settings import load_settings
from scanner.metrics import build_registry, multiprocess_mode, record_rejected, record_scan, render
from scanner.queue import make_huey

from .conftest import ROOT, Fetch, Seeded, Serve


def sample(exposition: str, name: str, **labels: str) -> float | None:
    """The value of one sample in a Prometheus text exposition, None when it is absent."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and all(found.labels.get(key) == value for key, value in labels.items()):
                return found.value
    return None


def test_a_recorded_scan_shows_in_metrics_over_http(sqlite_engine: Engine, serve: Serve, fetch: Fetch) -> None:
    url = serve(sqlite_engine) + "/metrics"
    marketplace = f"m{uuid.uuid4().hex[:6]}"  # counters are process-wide: a label of this test's own
    _, before = fetch(url)
    assert sample(before, "deal_scout_scans_total", marketplace=marketplace, status="success") is None

    record_scan(marketplace, "success", 1.5, listings_found=10, listings_new=3, price_changes=2)

    status, after = fetch(url)
    assert status == 200
    assert sample(after, "deal_scout_scans_total", marketplace=marketplace, status="success") == 1
    assert sample(after, "deal_scout_scan_duration_seconds_count", marketplace=marketplace) == 1
    assert sample(after, "deal_scout_scan_duration_seconds_sum", marketplace=marketplace) == 1.5
    assert sample(after, "deal_scout_scan_duration_seconds_bucket", marketplace=marketplace, le="2.5") == 1
    assert sample(after, "deal_scout_scan_listings_found_total", marketplace=marketplace) == 10
    assert sample(after, "deal_scout_scan_listings_new_total", marketplace=marketplace) == 3
    assert sample(after, "deal_scout_price_changes_total", marketplace=marketplace) == 2


def test_listings_refused_at_the_adapter_boundary_are_counted_by_field(
    sqlite_engine: Engine, serve: Serve, fetch: Fetch
) -> None:
    url = serve(sqlite_engine) + "/metrics"
    marketplace = f"m{uuid.uuid4().hex[:6]}"

    record_rejected(marketplace, {"price": 2, "currency": 1})
    record_rejected(marketplace, {"price": 1})

    _, text = fetch(url)
    assert sample(text, "deal_scout_scan_listings_rejected_total", marketplace=marketplace, field="price") == 3
    assert sample(text, "deal_scout_scan_listings_rejected_total", marketplace=marketplace, field="currency") == 1


def test_database_state_is_read_at_scrape_time(engine: Engine, seeded: Seeded, serve: Serve, fetch: Fetch) -> None:
    _, text = fetch(serve(engine) + "/metrics")
    assert sample(text, "deal_scout_database_up") == 1
    assert sample(text, "deal_scout_listings_stored", marketplace="ebay", status="active") == 1
    assert sample(text, "deal_scout_notifications", status="pending") == 2
    assert sample(text, "deal_scout_notifications", status="failed") == 1
    assert sample(text, "deal_scout_deals", reason="price_drop") == 0
    assert sample(text, "deal_scout_breaker_state", marketplace="ebay", deal_scout_breaker_state="open") == 1
    assert sample(text, "deal_scout_breaker_state", marketplace="ebay", deal_scout_breaker_state="closed") == 0
    assert sample(text, "deal_scout_marketplace_paused", marketplace="craigslist") == 1
    assert sample(text, "deal_scout_queue_depth") == 0
    assert sample(text, "deal_scout_workers_alive") is not None


def test_a_down_database_is_a_gauge_not_a_failed_scrape(serve: Serve, fetch: Fetch, closed_port: int) -> None:
    engine = create_db_engine(f"postgresql+psycopg://scout@127.0.0.1:{closed_port}/scout")
    status, text = fetch(serve(engine) + "/metrics")
    assert status == 200
    assert sample(text, "deal_scout_database_up") == 0
    assert sample(text, "deal_scout_queue_up") == 1
    engine.dispose()


_RECORD = "from scanner.metrics import record_scan; record_scan('demo', 'success', 2.0, 5, 1, 0)"


def test_multiprocess_mode_adds_up_the_counters_of_every_worker_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two worker processes record a scan each (side by side); this one, like the process serving
    `/metrics`, sums their files. Counters of this process stay out: it started without the directory."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    workers = [
        subprocess.Popen([sys.executable, "-c", _RECORD], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=60)
        assert worker.returncode == 0, stderr

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    assert multiprocess_mode()
    engine = create_db_engine(f"sqlite:///{tmp_path}/m.db")
    queue = make_huey(load_settings(data_dir=tmp_path), name=f"t-{uuid.uuid4().hex[:8]}")
    body, _ = render(build_registry(engine, queue))
    engine.dispose()
    text = body.decode()
    assert sample(text, "deal_scout_scans_total", marketplace="demo", status="success") == 2
    assert sample(text, "deal_scout_scan_duration_seconds_count", marketplace="demo") == 2
    assert sample(text, "deal_scout_scan_listings_found_total", marketplace="demo") == 10
