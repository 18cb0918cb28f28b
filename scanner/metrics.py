"""Prometheus metrics for `/metrics` on the worker's health port.

Two kinds, so the numbers stay right however many workers run:

- What happens inside a process (scans, their duration, listings seen, price changes) is
  counted where it happens, through `record_scan`. When prometheus-client runs in multiprocess
  mode (it switches itself on when `PROMETHEUS_MULTIPROC_DIR` is set before start-up), every
  process writes to files in that directory and the one serving `/metrics` sums them;
  otherwise each process serves its own counters.
- What lives in the database (listings stored, deals, the outbox, breaker states, heartbeats)
  and the queue depth is read at scrape time by `StateCollector`, so it is the same whichever
  worker is asked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import datetime

from huey import Huey
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric, StateSetMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.queries import ops
from models.tables import BreakerState
from models.types import utcnow

# `*_created` timestamps would double the series and no alert or dashboard reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus-client leaves it unannotated

SCANS = Counter(
    "deal_scout_scans",
    "Marketplace scans by outcome (one per search and marketplace).",
    ["marketplace", "status"],
    registry=None,
)
SCAN_DURATION = Histogram(
    "deal_scout_scan_duration_seconds",
    "Time one marketplace scan of one search took.",
    ["marketplace"],
    buckets=(0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300),
    registry=None,
)
LISTINGS_FOUND = Counter(
    "deal_scout_scan_listings_found", "Listings returned by marketplaces.", ["marketplace"], registry=None
)
LISTINGS_NEW = Counter(
    "deal_scout_scan_listings_new", "Listings seen for the first time.", ["marketplace"], registry=None
)
PRICE_CHANGES = Counter(
    "deal_scout_price_changes", "Price changes recorded on known listings.", ["marketplace"], registry=None
)
LISTINGS_REJECTED = Counter(
    "deal_scout_scan_listings_rejected",
    "Listings refused at the adapter boundary (a value no column holds), by the field that failed.",
    ["marketplace", "field"],
    registry=None,
)
IN_PROCESS = (SCANS, SCAN_DURATION, LISTINGS_FOUND, LISTINGS_NEW, PRICE_CHANGES, LISTINGS_REJECTED)


def record_scan(
    marketplace: str,
    status: str,
    duration_seconds: float,
    listings_found: int,
    listings_new: int,
    price_changes: int,
) -> None:
    """Count one finished scan of one marketplace; the scan task calls this once per TaskLog row."""
    SCANS.labels(marketplace=marketplace, status=status).inc()
    SCAN_DURATION.labels(marketplace=marketplace).observe(max(duration_seconds, 0.0))
    LISTINGS_FOUND.labels(marketplace=marketplace).inc(max(listings_found, 0))
    LISTINGS_NEW.labels(marketplace=marketplace).inc(max(listings_new, 0))
    PRICE_CHANGES.labels(marketplace=marketplace).inc(max(price_changes, 0))


def record_rejected(marketplace: str, by_field: Mapping[str, int]) -> None:
    """Count the listings of one page refused at the adapter boundary, by the field that failed."""
    for field, count in by_field.items():
        LISTINGS_REJECTED.labels(marketplace=marketplace, field=field).inc(count)


def multiprocess_mode() -> bool:
    """Whether `PROMETHEUS_MULTIPROC_DIR` is set: prometheus-client's documented switch, which made
    it write this process's counters to files there, for `MultiProcessCollector` to sum."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class StateCollector(Collector):
    """Reads database state and the queue at scrape time; a dependency that is down shows as
    `deal_scout_database_up 0` / `deal_scout_queue_up 0` instead of failing the whole scrape."""

    def __init__(self, engine: Engine, queue: Huey) -> None:
        self.engine = engine
        self.queue = queue

    def collect(self) -> Iterator[Metric]:
        yield from self._queue_metrics()
        yield from self._database_metrics(utcnow())

    def _queue_metrics(self) -> Iterator[Metric]:
        try:
            depth, scheduled = self.queue.pending_count(), self.queue.scheduled_count()
        except Exception:  # noqa: BLE001  (any storage error means the queue cannot be read)
            yield _gauge("deal_scout_queue_up", "1 when the task queue answers.", 0)
            return
        yield _gauge("deal_scout_queue_up", "1 when the task queue answers.", 1)
        yield _gauge("deal_scout_queue_depth", "Tasks waiting in the queue.", depth)
        yield _gauge("deal_scout_queue_scheduled", "Tasks scheduled for later (retries, delays).", scheduled)

    def _database_metrics(self, now: datetime) -> Iterator[Metric]:
        try:
            with Session(self.engine) as session:
                listings = ops.listing_counts(session)
                deals = ops.deal_counts(session)
                outbox = ops.outbox_counts(session)
                states = ops.marketplace_states(session)
                heartbeats = ops.workers(session)
        except Exception:  # noqa: BLE001  (any driver error means the database cannot be read)
            yield _gauge("deal_scout_database_up", "1 when the database answers.", 0)
            return
        yield _gauge("deal_scout_database_up", "1 when the database answers.", 1)

        stored = GaugeMetricFamily(
            "deal_scout_listings_stored", "Listings in the database.", labels=["marketplace", "status"]
        )
        for (marketplace, status), count in sorted(listings.items()):
            stored.add_metric([marketplace, status], count)
        yield stored

        by_reason = GaugeMetricFamily("deal_scout_deals", "Deals detected, by reason.", labels=["reason"])
        for reason, count in deals.items():
            by_reason.add_metric([reason.value], count)
        yield by_reason

        notifications = GaugeMetricFamily(
            "deal_scout_notifications", "Alert outbox rows, by status.", labels=["status"]
        )
        for status, count in outbox.items():
            notifications.add_metric([status.value], count)
        yield notifications

        breaker = StateSetMetricFamily(
            "deal_scout_breaker_state", "Circuit breaker state per marketplace.", labels=["marketplace"]
        )
        paused = GaugeMetricFamily(
            "deal_scout_marketplace_paused", "1 when an operator paused the marketplace.", labels=["marketplace"]
        )
        for state in states:
            breaker.add_metric([state.marketplace], {s.value: s == state.breaker_state for s in BreakerState})
            paused.add_metric([state.marketplace], int(state.paused))
        yield breaker
        yield paused

        alive = [beat for beat in heartbeats if now - beat.seen_at <= ops.HEARTBEAT_STALE_AFTER]
        yield _gauge("deal_scout_workers_alive", "Worker processes with a fresh heartbeat.", len(alive))
        if heartbeats:
            age = (now - heartbeats[0].seen_at).total_seconds()
            yield _gauge("deal_scout_worker_heartbeat_age_seconds", "Age of the newest worker heartbeat.", age)


def build_registry(engine: Engine, queue: Huey) -> CollectorRegistry:
    """What one `/metrics` endpoint serves: scan counters, process figures and current state."""
    registry = CollectorRegistry()
    if multiprocess_mode():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus-client leaves it unannotated
    else:
        for metric in IN_PROCESS:
            registry.register(metric)
        ProcessCollector(registry=registry)
    registry.register(StateCollector(engine, queue))
    return registry


def render(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The Prometheus text exposition of `registry` and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST
