"""The worker figures at tiny sizes: a real worker process on PostgreSQL and Redis, scanning the
demo market over HTTP and mailing a real SMTP server; the numbers must be plausible."""

from __future__ import annotations

import pytest

from bench import alert_latency, scan_throughput, worker_memory
from bench.options import Options
from tests.conftest import POSTGRES_ADMIN_URL, REDIS_TEST_URL, require_postgres, require_redis

LATENCY_MS = 20
TINY = Options(
    postgres=POSTGRES_ADMIN_URL,
    redis=REDIS_TEST_URL,
    scan_threads="2",
    scan_latency_ms=LATENCY_MS,
    scan_seconds=3.0,  # windows of 0.3 s: a few scans each
    alert_runs=2,
    memory_scans=40,
)


@pytest.fixture(autouse=True)
def services() -> None:
    require_postgres()
    require_redis()


def test_scan_throughput_counts_stored_scans_per_window_and_the_cpu_they_took() -> None:
    [figure] = scan_throughput.run(TINY)
    assert figure.name == "scan throughput, 2 threads" and figure.target is None  # judged at 16 threads
    assert len(figure.samples.values) == scan_throughput.WINDOWS
    assert 0 < figure.samples.median < 2 / (LATENCY_MS / 1000)  # two threads, each waiting on the market
    assert "worker CPU" in figure.note and "ms/scan" in figure.note


def test_alert_latency_times_each_posted_deal_until_its_mail_is_accepted() -> None:
    [figure] = alert_latency.run(TINY)
    assert len(figure.samples.values) == TINY.alert_runs
    assert all(LATENCY_MS / 1000 < seconds < alert_latency.MESSAGE_TIMEOUT_SECONDS for seconds in figure.samples.values)
    assert figure.verdict == "met"


def test_worker_memory_samples_the_resident_set_through_the_scans() -> None:
    [figure] = worker_memory.run(TINY)
    assert len(figure.samples.values) >= 5
    assert all(20 < megabytes < 1000 for megabytes in figure.samples.values)
    assert "peak (VmHWM)" in figure.note and "last 10 scans vs first 10" in figure.note
