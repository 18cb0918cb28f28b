"""Worker memory: the resident set of one worker process over `memory_scans` scans (2,000), and
whether it grows — the sign of a leak a long-running worker cannot afford.

The worker runs the most threads of `--scan-threads` (16) against the demo market as in the
throughput figure, fed rescans without pause. Every `SAMPLE_SECONDS` the bench reads VmRSS from
/proc/<pid>/status beside the number of scans stored so far. Reported: those samples (median and
p95), the peak (VmHWM, the kernel's own high-water mark), and the growth: the mean of the samples
taken during the last 500 scans against the mean during the first 500 (a quarter of the scans
each, when fewer than 2,000 are asked for).
"""

from __future__ import annotations

import statistics
import time

from bench.databases import create_searches
from bench.measure import Figure, Samples, Target, format_number
from bench.options import Options
from bench.worker import BACKEND, Feeder, completed_scans, running_worker, world

TARGET = Target(200, "lower", "p95")
PEAK_LIMIT_MB = 200.0
GROWTH_LIMIT_PCT = 5.0
SAMPLE_SECONDS = 0.1
STALL_SECONDS = 60.0  # no scan stored for this long: the worker is stuck, the figure void


def run(options: Options) -> list[Figure]:
    threads = max(options.thread_counts())
    samples: list[tuple[int, float]] = []  # (scans stored, RSS in MB)
    with world(options, "memory") as place:
        search_ids = create_searches(place.engine, 2 * threads)
        with running_worker(place, threads) as worker, Feeder(place.queue, search_ids):
            done, progressed = 0, time.monotonic()
            while done < options.memory_scans:
                time.sleep(SAMPLE_SECONDS)
                worker.check_alive()
                scans, (rss, _) = completed_scans(place.engine), worker.memory_mb()
                if scans > done:
                    done, progressed = scans, time.monotonic()
                elif time.monotonic() - progressed > STALL_SECONDS:
                    raise TimeoutError(f"no scan stored for {STALL_SECONDS:.0f} s ({done} so far)")
                if scans:
                    samples.append((scans, rss))
            peak = worker.memory_mb()[1]
    part = min(500, options.memory_scans // 4)
    first = statistics.mean(rss for scans, rss in samples if scans <= part)
    last = statistics.mean(rss for scans, rss in samples if scans > options.memory_scans - part)
    growth = (last / first - 1) * 100
    return [
        Figure(
            name="worker memory (RSS)",
            backend=BACKEND,
            how=(
                f"1 worker process, {threads} threads, {options.memory_scans:,} scans of 1 page of "
                f"{options.scan_page_listings}; VmRSS sampled every {SAMPLE_SECONDS} s ({len(samples)} samples)"
            ),
            samples=Samples(tuple(rss for _, rss in samples), "MB", "lower"),
            target=TARGET,
            note=(
                f"peak (VmHWM) {format_number(peak)} MB; last {part} scans vs first {part}: {growth:+.1f} % "
                f"(target: peak < {PEAK_LIMIT_MB:.0f} MB, growth < {GROWTH_LIMIT_PCT:.0f} %)"
            ),
            extra_met=peak < PEAK_LIMIT_MB and growth < GROWTH_LIMIT_PCT,
        )
    ]
