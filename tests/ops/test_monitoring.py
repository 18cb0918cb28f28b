"""Monitoring as shipped, run for real: Debian's Prometheus scrapes a `python -m scanner worker`
whose marketplace fails half its searches; the alert rules of deploy/prometheus/alerts.yml fire
and resolve in it, and every panel of the Grafana dashboard (deploy/grafana/deal-scout.json) is a
query it answers with data. The dashboard's structure is checked against Grafana's dashboard
model without any of that.

One Prometheus, worker and demo market serve the whole module (`monitored_worker`): starting them
costs seconds, the rest is waiting for Prometheus. Prometheus and the worker are child processes;
the demo market serves from a thread of this one, so that its failures stop the moment the test
says so (a market process would have to be restarted: seconds of imports and refused connections
that are failures of their own). Alert rules wait minutes (`for: 15m`, rates
over `[15m]`); the Prometheus here loads a copy of the shipped file with every duration divided by
`TIME_SCALE` (`time_scaled_rules`), so the same expressions, thresholds and labels play out in
seconds. The shipped file itself is what `promtool test rules` checks at full length
(tests/ops/test_alert_rules.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session

from demo_market import DemoMarket
from models.db import create_db_engine
from models.migrate import upgrade
from models.settings import load_settings
from models.tables import Search
from scanner.api import open_queue, rescan

from ..conftest import PROMETHEUS, require_prometheus
from .conftest import ROOT, free_port

ALERTS_FILE = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD: dict[str, Any] = json.loads((ROOT / "deploy" / "grafana" / "deal-scout.json").read_text())
PANELS: list[dict[str, Any]] = DASHBOARD["panels"]
TARGETS = [(panel["title"], target) for panel in PANELS for target in panel.get("targets", [])]
DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
#: The fields of Grafana's classic dashboard JSON model (a new dashboard has them all), and a panel's.
DASHBOARD_KEYS = {
    "id", "uid", "title", "tags", "timezone", "editable", "graphTooltip", "panels", "time", "timepicker",
    "templating", "annotations", "refresh", "schemaVersion", "version", "links",
}  # fmt: skip
PANEL_KEYS = {"id", "type", "title", "gridPos", "datasource", "targets", "fieldConfig", "options"}
GRID_COLUMNS = 24

#: A minute of the shipped rules is half a second here: `for: 15m` waits 7.5 s, `[15m]` looks back 7.5 s.
TIME_SCALE = 120
#: For `$__rate_interval`: Grafana puts at least four scrape intervals there, and this module scrapes every second.
RATE_INTERVAL = "5s"
#: The worker fails fast and says so: no HTTP or task retries, the breaker opens after two failures in
#: a row and tries again after a second; the politeness limit is no bottleneck; one page per scan.
FAST_FAILING: dict[str, int] = {
    "http_retries": 0,
    "scan_retries": 0,
    "breaker_failure_threshold": 2,
    "breaker_cooldown_seconds": 1,
    "rate_limit_per_minute": 60_000,
    "scan_max_pages": 1,
}
QUERIES = ("guitar", "camera", "laptop", "fender", "canon", "thinkpad")
HIGH_ERROR_RATE = "DealScoutScanFailureRateHigh"


def _scaled(duration: str) -> str:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    total = sum(int(number) * units[unit] for number, unit in re.findall(r"(\d+)(ms|s|m|h|d|w)", duration))
    return f"{max(1, round(total * 1000 / TIME_SCALE))}ms"


def time_scaled_rules(rules: str) -> str:
    """The rule file with every `for:` and every range selector (`[15m]`) divided by TIME_SCALE."""
    document = yaml.safe_load(rules)
    for group in document["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = _scaled(rule["for"])
            rule["expr"] = re.sub(r"\[(\w+)\]", lambda match: f"[{_scaled(match.group(1))}]", rule["expr"])
    return yaml.safe_dump(document, sort_keys=False)


class PromQLError(Exception):
    """Prometheus answered a query with an error (a bad expression, a bad request)."""


@dataclass(frozen=True)
class Prometheus:
    """The HTTP API of a running Prometheus."""

    url: str

    def get(self, path: str, **params: str) -> Any:
        address = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(address, timeout=10) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            answer = json.loads(error.read())
        if answer["status"] != "success":
            raise PromQLError(f"{params or path}: {answer.get('errorType')}: {answer.get('error')}")
        return answer["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/api/v1/query", query=expr)["result"]
        return result

    def value(self, expr: str) -> float | None:
        """The value of a query that selects one series, None when it selects none."""
        result = self.query(expr)
        assert len(result) <= 1, f"{expr} selects {len(result)} series"
        return float(result[0]["value"][1]) if result else None

    def alerts(self) -> dict[str, dict[str, Any]]:
        """Pending and firing alerts by name."""
        return {alert["labels"]["alertname"]: alert for alert in self.get("/api/v1/alerts")["alerts"]}


@dataclass(frozen=True)
class MonitoredWorker:
    prometheus: Prometheus
    market: DemoMarket
    logs: Path

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                tails = {log.name: log.read_text()[-2000:] for log in sorted(self.logs.glob("*.log"))}
                pytest.fail(f"{what}: not within {timeout} s; alerts: {self.prometheus.alerts()}; logs: {tails}")
            time.sleep(0.5)


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child process, SIGTERM'd (then killed) at the end; its output in `log`."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def rescanning(settings_overrides: dict[str, Any], search_ids: list[int]) -> Iterator[None]:
    """Keeps the worker busy the way the dashboard's "Rescan now" does: enqueue a scan of every
    search whenever fewer tasks than searches wait (a scan already running is not scanned twice)."""
    queue = open_queue(load_settings(**settings_overrides))
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(0.2):
            try:
                if queue.pending_count() < len(search_ids):
                    for search_id in search_ids:
                        rescan(queue, search_id)
            except sqlite3.OperationalError:  # the worker held the queue file's lock a moment too long
                continue

    thread = threading.Thread(target=loop, name="rescans", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)


def _seed_searches(database_url: str) -> list[int]:
    engine = create_db_engine(database_url)
    upgrade(engine)
    with Session(engine) as session:
        searches = [Search(name=query, query=query, marketplaces=["demo"]) for query in QUERIES]
        session.add_all(searches)
        session.commit()
        ids = [search.id for search in searches if search.id is not None]
    engine.dispose()
    return ids


@pytest.fixture(scope="module")
def monitored_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MonitoredWorker]:
    """A demo market failing half its searches (with HTTP 500), a worker scanning it non-stop and
    serving /metrics, and a Prometheus scraping that every second with the time-scaled rules."""
    require_prometheus()
    folder = tmp_path_factory.mktemp("monitoring")
    database_url = f"sqlite:///{folder}/deal-scout.db"
    search_ids = _seed_searches(database_url)
    worker_port, prometheus_port = free_port(), free_port()
    rules = folder / "alerts.yml"
    rules.write_text(time_scaled_rules(ALERTS_FILE.read_text()))
    config = folder / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(rules)],
                "scrape_configs": [
                    {"job_name": "deal-scout-worker", "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}]}
                ],
            }
        )
    )
    with ExitStack() as stack:
        market = stack.enter_context(DemoMarket(fail_rate=0.5, fail_mode="500", hang_seconds=1, retry_after=0))
        overrides: dict[str, Any] = {
            **FAST_FAILING,
            "data_dir": folder / "data",
            "database_url": database_url,
            "demo_market_url": market.url,
        }
        env = {
            **os.environ,
            **{name.upper(): str(value) for name, value in overrides.items()},
            "REDIS_URL": "",
            "SMTP_HOST": "",
        }
        stack.enter_context(
            running(
                [sys.executable, "-m", "scanner", "worker", "--threads", "4", "--health-port", str(worker_port)],
                env,
                folder / "worker.log",
            )
        )
        stack.enter_context(
            running(
                [
                    str(PROMETHEUS),
                    f"--config.file={config}",
                    f"--storage.tsdb.path={folder / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prometheus_port}",
                    "--log.level=warn",
                ],
                env,
                folder / "prometheus.log",
            )
        )
        stack.enter_context(rescanning({**overrides, "redis_url": None}, search_ids))
        monitored = MonitoredWorker(Prometheus(f"http://127.0.0.1:{prometheus_port}"), market, folder)

        def scraping() -> bool:
            try:
                return monitored.prometheus.value('up{job="deal-scout-worker"}') == 1
            except OSError:
                return False

        monitored.wait_for(scraping, "Prometheus scraping the worker", timeout=30)
        yield monitored


@pytest.mark.timeout(150)
def test_a_real_prometheus_fires_the_error_rate_alert_on_a_failing_worker_and_resolves_it(
    monitored_worker: MonitoredWorker,
) -> None:
    prometheus = monitored_worker.prometheus
    breaker_opened = 'max_over_time(deal_scout_breaker_state{marketplace="demo",deal_scout_breaker_state="open"}[1m])'

    monitored_worker.wait_for(
        lambda: (
            prometheus.alerts().get(HIGH_ERROR_RATE, {}).get("state") == "firing"
            and prometheus.value(breaker_opened) == 1
        ),
        "the high error rate alert firing and the demo breaker seen open",
        timeout=60,
    )
    alert = prometheus.alerts()[HIGH_ERROR_RATE]
    assert alert["labels"]["severity"] == "warning"
    assert alert["annotations"]["runbook_url"] == "docs/RUNBOOK.md#high-error-rate"
    assert float(alert["value"]) > 0.05

    monitored_worker.market.fail_rate = 0.0
    monitored_worker.wait_for(
        lambda: (
            HIGH_ERROR_RATE not in prometheus.alerts()
            and prometheus.value('deal_scout_breaker_state{marketplace="demo",deal_scout_breaker_state="closed"}') == 1
        ),
        "the alert resolved and the demo breaker closed again",
        timeout=45,
    )


@pytest.mark.timeout(150)
def test_every_dashboard_query_runs_on_the_real_prometheus_and_shows_data(
    monitored_worker: MonitoredWorker,
) -> None:
    prometheus = monitored_worker.prometheus
    waiting_for_data: dict[str, str] = {}
    for title, target in TARGETS:
        expr = target["expr"].replace("$__rate_interval", RATE_INTERVAL)
        try:
            if not prometheus.query(expr):
                waiting_for_data[f"{title} {target['refId']}"] = expr
        except PromQLError as error:
            pytest.fail(f"panel {title!r}, query {target['refId']}: {error}")
    # Rates need two scrapes after a scan: when this test runs first, the worker gets those seconds.
    monitored_worker.wait_for(
        lambda: all(prometheus.query(expr) for expr in waiting_for_data.values()),
        f"data for the panels {sorted(waiting_for_data)}",
        timeout=30,
    )


def test_the_dashboard_has_the_fields_of_grafanas_dashboard_model() -> None:
    assert DASHBOARD.keys() >= DASHBOARD_KEYS
    assert isinstance(DASHBOARD["schemaVersion"], int) and DASHBOARD["schemaVersion"] >= 36
    assert DASHBOARD["uid"] == "deal-scout" and DASHBOARD["title"]
    for panel in PANELS:
        assert panel.keys() >= PANEL_KEYS, f"panel {panel.get('title')!r} lacks {PANEL_KEYS - panel.keys()}"
        assert panel["gridPos"].keys() == {"x", "y", "w", "h"}


def test_panels_have_unique_ids_and_tile_the_grid_without_overlapping() -> None:
    assert len({panel["id"] for panel in PANELS}) == len(PANELS)
    cells: set[tuple[int, int]] = set()
    for panel in PANELS:
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= GRID_COLUMNS, panel["title"]
        covered = {
            (x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not covered & cells, f"panel {panel['title']!r} overlaps another"
        cells |= covered


def test_every_panel_queries_prometheus_through_the_datasource_variable() -> None:
    [variable] = [v for v in DASHBOARD["templating"]["list"] if v["name"] == "DS_PROMETHEUS"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    for panel in PANELS:
        assert panel["datasource"] == DATASOURCE
        assert panel["targets"], f"panel {panel['title']!r} has no query"
        assert len({target["refId"] for target in panel["targets"]}) == len(panel["targets"])
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE and target["expr"].strip()
            assert set(re.findall(r"\$\w+", target["expr"])) <= {"$__rate_interval"}, target["expr"]


@pytest.mark.parametrize(
    "what",
    [
        r"rate\(deal_scout_scans_total\[",  # scan rate by marketplace
        r'deal_scout_scans_total\{status="failed"\}.*by \(marketplace\)',  # failure rate by marketplace
        r"histogram_quantile\(0\.95, .*deal_scout_scan_duration_seconds_bucket",
        r"deal_scout_queue_depth",
        r"deal_scout_workers_alive",
        r"deal_scout_worker_heartbeat_age_seconds",
        r"deal_scout_notifications\{status=~\"pending\|failed\"\}",
        r"deal_scout_breaker_state",
        r"deal_scout_deals\b",
        r"deal_scout_listings_stored",
        r"process_resident_memory_bytes",
    ],
)
def test_the_dashboard_shows_what_the_runbook_watches(what: str) -> None:
    assert any(re.search(what, target["expr"]) for _, target in TARGETS), f"no panel queries {what}"
