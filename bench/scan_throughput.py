"""Scan throughput: one worker process at 1, 4 and 16 threads (`--scan-threads`) against the
demo market with 100 ms added to every search, one 50-listing page per scan.

Each thread count gets a fresh worker process on the same database and searches: twice as many
as the most threads, over the market's three categories, so every scan has a full page and a
search is scanned again only after its previous scan ended (no skips for a taken scan lock).
A warm-up round scans every search once (the first one stores its baseline), so every measured
scan is a rescan: 50 listings upserted, their prices checked, the deal rules run. Measured in
`WINDOWS` windows: scans stored per second, from the task log, and the worker's CPU time per
scan (user + system, from /proc).
"""

from __future__ import annotations

import time

from bench.databases import create_searches
from bench.measure import Figure, Samples, Target, format_number
from bench.options import Options
from bench.worker import (
    BACKEND,
    Feeder,
    World,
    completed_scans,
    failed_scans,
    mean_listings_per_scan,
    running_worker,
    wait_until,
    world,
)

WINDOWS = 10
TARGET = Target(30, "higher")  # at 16 threads
TARGET_THREADS = 16


def run(options: Options) -> list[Figure]:
    thread_counts = options.thread_counts()
    with world(options, "scans") as place:
        search_ids = create_searches(place.engine, 2 * max(thread_counts))
        figures = [_measure(place, search_ids, threads) for threads in thread_counts]
        failures = failed_scans(place.engine)
    if failures:
        raise RuntimeError(f"scans failed during the bench, e.g. {failures}")
    return figures


def _measure(place: World, search_ids: list[int], threads: int) -> Figure:
    options, engine = place.options, place.engine
    window = options.scan_seconds / WINDOWS
    with running_worker(place, threads) as worker, Feeder(place.queue, search_ids):
        warm = completed_scans(engine) + len(search_ids)
        wait_until(lambda: completed_scans(engine) >= warm, 120, "the warm-up round of scans", worker)
        rates: list[float] = []
        cpu_ms: list[float] = []
        scans, cpu, then = completed_scans(engine), worker.cpu_seconds(), time.monotonic()
        started = then
        for number in range(1, WINDOWS + 1):
            time.sleep(max(0.0, started + number * window - time.monotonic()))
            now_scans, now_cpu, now = completed_scans(engine), worker.cpu_seconds(), time.monotonic()
            rates.append((now_scans - scans) / (now - then))
            if now_scans > scans:
                cpu_ms.append((now_cpu - cpu) * 1000 / (now_scans - scans))
            scans, cpu, then = now_scans, now_cpu, now
    cpu_samples = Samples(tuple(cpu_ms), "ms", "lower")
    plural = "s" if threads != 1 else ""
    return Figure(
        name=f"scan throughput, {threads} thread{plural}",
        backend=BACKEND,
        how=(
            f"1 worker process, {threads} thread{plural}; demo market +{options.scan_latency_ms} ms, "
            f"1 page of {options.scan_page_listings} per scan ({mean_listings_per_scan(engine):.0f} found on average); "
            f"{WINDOWS} windows of {format_number(window)} s"
        ),
        samples=Samples(tuple(rates), "scans/s", "higher"),
        target=TARGET if threads >= TARGET_THREADS else None,
        note=f"worker CPU {format_number(cpu_samples.median)} ms/scan (p95 {format_number(cpu_samples.p95)})"
        if cpu_ms
        else "no scan completed",
    )
