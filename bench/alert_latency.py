"""Alert latency: from a deal-priced listing appearing on the demo market (and the rescan being
enqueued) to a local SMTP server accepting the e-mail that carries it.

One worker process with the default WORKER_THREADS (4) on Redis and PostgreSQL, the market with
its added latency; one search for "guitar" with a target price, scanned once first for its
baseline. Each run posts a new Fender at a third of its market price (`DemoMarket.post`),
enqueues `rescan`, and waits for the message naming that listing's address; the worker then goes
idle (queue empty, nothing pending) before the next run, so every run starts from a waiting
worker.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal

from bench.databases import create_searches
from bench.measure import Figure, Samples, Target
from bench.options import Options
from bench.worker import (
    BACKEND,
    WorkerProcess,
    World,
    completed_scans,
    running_worker,
    smtp_server,
    wait_until,
    world,
)
from models.settings import Settings
from scanner.alerts import count_pending
from scanner.api import rescan

TARGET = Target(2, "lower", "p95")
THREADS: int = Settings.model_fields["worker_threads"].default
TARGET_PRICE = Decimal(250)
DEAL_PRICE = Decimal(199)  # a Fender Player Stratocaster, market price $650
RECIPIENT = "bench@example.com"
MESSAGE_TIMEOUT_SECONDS = 30
IDLE_PAUSE_SECONDS = 0.3  # after the worker went quiet: its threads are back to waiting on the queue


def run(options: Options) -> list[Figure]:
    with world(options, "alerts") as place, smtp_server() as (inbox, port):
        [search_id] = create_searches(place.engine, 1, target_price=TARGET_PRICE, alert_recipients=[RECIPIENT])
        smtp = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_TLS": "none"}
        with running_worker(place, THREADS, **smtp) as worker:
            rescan(place.queue, search_id)  # the baseline: the catalogue's own cheap guitars may alert here
            _wait_idle(place, 1, worker)
            seconds = []
            for run_number in range(1, options.alert_runs + 1):
                started = time.monotonic()
                listing = place.market.post("guitar", DEAL_PRICE)
                rescan(place.queue, search_id)
                address = re.compile(re.escape(f"{place.market.url}/item/{listing.listing_id}") + r"(?![\w/])")
                accepted = inbox.wait_for(address, MESSAGE_TIMEOUT_SECONDS)
                seconds.append(accepted.at - started)
                _wait_idle(place, 1 + run_number, worker)
    return [
        Figure(
            name="alert latency",
            backend=BACKEND,
            how=(
                f"listing posted + rescan enqueued → SMTP accepted; {options.alert_runs} runs; 1 worker process, "
                f"{THREADS} threads; demo market +{options.scan_latency_ms} ms, 1 page of {options.scan_page_listings}"
            ),
            samples=Samples(tuple(seconds), "s", "lower"),
            target=TARGET,
        )
    ]


def _wait_idle(place: World, scans: int, worker: WorkerProcess) -> None:
    """Until `scans` scans are stored, the queue is empty and no alert waits to be sent."""
    wait_until(
        lambda: (
            completed_scans(place.engine) >= scans
            and place.queue.pending_count() == 0
            and count_pending(place.engine) == 0
        ),
        MESSAGE_TIMEOUT_SECONDS,
        "the worker to finish the scan and its alerts",
        worker,
    )
    time.sleep(IDLE_PAUSE_SECONDS)
